// alternate: a Go↔C alternating stack of DEPTH levels (default 50): main.goLevel(n) calls
// C.c_level(n), which calls back into Go (GoLevel → goLevel(n-1)); at level 0 Go calls
// C.c_bottom, the breakpoint.
package main

/*
int c_level(int n);
int c_bottom(int n);
*/
import "C"

import (
	"os"
	"strconv"
)

//export GoLevel
func GoLevel(n C.int) C.int { return goLevel(n) }

//go:noinline
func goLevel(n C.int) C.int {
	if n == 0 {
		return C.c_bottom(n)
	}
	return C.c_level(n-1) + 1
}

func main() {
	depth := 50
	if len(os.Args) > 1 {
		depth, _ = strconv.Atoi(os.Args[1])
	}
	goLevel(C.int(depth))
}
