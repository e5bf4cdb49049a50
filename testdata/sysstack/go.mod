module sysstack

go 1.19
