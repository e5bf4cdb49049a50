// godeep: a plain Go stack of DEPTH frames (argv[1]), no cgo: how long the debugger itself takes
// to print Go frames, the baseline for a spliced Go/C backtrace. main.level recurses to
// main.bottom (the breakpoint).
package main

import (
	"os"
	"strconv"
)

//go:noinline
func bottom(n int) int { return n + len(os.Args) }

//go:noinline
func level(n int) int {
	if n == 0 {
		return bottom(n)
	}
	return level(n-1) + 1
}

func main() {
	depth := 100
	if len(os.Args) > 1 {
		depth, _ = strconv.Atoi(os.Args[1])
	}
	level(depth)
}
