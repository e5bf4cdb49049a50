module stepgo

go 1.19
