// hostile: breaks its own runtime state in C, stops in hostile_bp, repairs it and exits 0.
//
//	hostile [normal|depth|gzero|gscramble|cycle|deep|soak N]
//
//	main.main → main.recurse (×10,000 in deep mode) → main.work → C.hostile_sabotage
//	→ (cycle_a → cycle_b in cycle mode) → hostile_bp (BP)
//
// What each mode breaks is in hostile.h. soak N makes N stops from the same place.
package main

// #include "hostile.h"
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

var modes = map[string]int{"normal": 0, "depth": 1, "gzero": 2, "gscramble": 3, "cycle": 4,
	"deep": 5, "soak": 6}

//go:noinline
func work(mode int) int {
	var anchor int
	r := int(C.hostile_sabotage(C.int(mode), C.uintptr_t(uintptr(unsafe.Pointer(&anchor)))))
	return r + anchor
}

//go:noinline
func recurse(n, mode int) int {
	if n == 0 {
		return work(mode)
	}
	return recurse(n-1, mode) + 1
}

func main() {
	name := "normal"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	mode, ok := modes[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "hostile: unknown mode %q\n", name)
		os.Exit(2)
	}
	depth, times := 0, 1
	if name == "deep" {
		depth = 10000
	}
	if name == "soak" && len(os.Args) > 2 {
		times, _ = strconv.Atoi(os.Args[2])
	}
	for i := 0; i < times; i++ {
		if r := recurse(depth, mode); r != depth {
			fmt.Fprintf(os.Stderr, "hostile: sabotage failed (%d)\n", r-depth)
			os.Exit(1)
		}
	}
}
