// deep: 12 levels of Go ↔ C alternation.
//
//	main.main → main.goLevel(12) → C.c_level(12) → GoLevel(11) → main.goLevel(11) → C.c_level(11)
//	→ ... → C.c_level(1) → GoLevel(0) → main.goLevel(0) → C.c_bottom (BP)
//
// At the breakpoint there are 12 c_level frames and 13 main.goLevel frames, interleaved.
package main

// #include "deep.h"
import "C"

import (
	"fmt"
	"os"
)

const depth = 12

//go:noinline
func goLevel(n int) int {
	if n == 0 {
		C.c_bottom()
		return 0
	}
	return int(C.c_level(C.int(n)))
}

//export GoLevel
//go:noinline
func GoLevel(n C.int) C.int {
	return C.int(goLevel(int(n)))
}

func main() {
	// Each c_level adds 1 on the way out.
	if r := goLevel(depth); r != depth {
		fmt.Fprintf(os.Stderr, "deep: got %d, want %d\n", r, depth)
		os.Exit(1)
	}
}
