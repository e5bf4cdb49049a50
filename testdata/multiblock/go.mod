module multiblock

go 1.19
