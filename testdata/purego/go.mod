module purego

go 1.19
