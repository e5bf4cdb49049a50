module alternate

go 1.19
