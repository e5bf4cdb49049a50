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

// label and n stay live across the C call, so Go's DWARF places them on the goroutine stack
// there: the e2e tests read them in the spliced frame (`cgo frame N`).
//
//go:noinline
func goOuter(n int) int {
	label := fmt.Sprintf("outer-%d", n) // "outer-1"
	r := int(C.c_outer(C.int(n)))
	Sink = label
	return r
}

// Sink keeps values alive across the C calls.
var Sink string
var SinkInt int

//export GoMiddle
//go:noinline
func GoMiddle(n C.int) C.int {
	return C.int(goInner(int(n)) + 1)
}

//go:noinline
func goInner(n int) int {
	scale := n*100 + 7 // 207
	r := int(C.c_inner(C.int(n)))
	SinkInt = scale
	return r
}

func main() {
	// goOuter(1): c_outer(1) → GoMiddle(2) → c_inner(2) = 4 → 5 → 6.
	if r := goOuter(1); r != 6 {
		fmt.Fprintf(os.Stderr, "callback: got %d, want 6\n", r)
		os.Exit(1)
	}
}
