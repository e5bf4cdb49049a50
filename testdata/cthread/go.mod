module cthread

go 1.19
