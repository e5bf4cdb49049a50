module callback

go 1.19
