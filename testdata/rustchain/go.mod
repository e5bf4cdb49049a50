module rustchain

go 1.19
