module switches

go 1.19
