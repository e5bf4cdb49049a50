// callback: Go → C → Go → C.
//
//	main.main → main.goOuter → C.c_outer → GoMiddle (exported) → main.goInner → C.c_inner (BP)
//
// Built three ways by tests/build_testdata.py: callback (C at -O0), callback-O2 (C at -O2) and
// callback-stripped (-ldflags=-w).
package main

// #include "callback.h"
import "C"

import (
	"fmt"
	"os"
)

//go:noinline
func goOuter(n int) int {
	return int(C.c_outer(C.int(n)))
}

//export GoMiddle
//go:noinline
func GoMiddle(n C.int) C.int {
	return C.int(goInner(int(n)) + 1)
}

//go:noinline
func goInner(n int) int {
	return int(C.c_inner(C.int(n)))
}

func main() {
	// goOuter(1): c_outer(1) → GoMiddle(2) → c_inner(2) = 4 → 5 → 6.
	if r := goOuter(1); r != 6 {
		fmt.Fprintf(os.Stderr, "callback: got %d, want 6\n", r)
		os.Exit(1)
	}
}
