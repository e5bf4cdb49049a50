// A Go program without cgo, cross-built for an architecture cgounwind has no rules for
// (riscv64): the debuggers must behave exactly as without cgounwind, which says so once.
package main

import "fmt"

//go:noinline
func marker(n int) int { return n * 3 }

func main() {
	fmt.Println(marker(14))
}
