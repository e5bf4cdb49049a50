module godeep

go 1.19
