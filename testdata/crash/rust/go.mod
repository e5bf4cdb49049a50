module crashrust

go 1.19
