module storm

go 1.19
