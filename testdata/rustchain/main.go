// rustchain: Go → Rust → C → Go → C.
//
//	main.main → main.goCallRust → C.rust_entry (Rust) → rustlib::rust_middle (Rust)
//	→ go_cb_trampoline (C) → GoFromRust (exported) → main.goAfterRust → C.c_after_rust (BP)
//
// The Rust staticlib (rustlib/) is built by tests/build_testdata.py with cargo and linked through
// CGO_LDFLAGS.
package main

/*
#cgo LDFLAGS: -lpthread -ldl -lm
#include "rustchain.h"
*/
import "C"

import (
	"fmt"
	"os"
)

//go:noinline
func goCallRust(n int) int {
	return int(C.rust_entry(C.cgu_rust_cb(C.go_cb_trampoline), C.int32_t(n)))
}

//export GoFromRust
//go:noinline
func GoFromRust(n C.int) C.int {
	return C.int(goAfterRust(int(n)) + 1)
}

//go:noinline
func goAfterRust(n int) int {
	return int(C.c_after_rust(C.int32_t(n)))
}

func main() {
	// rust_entry(7): rust_middle(7) → trampoline(8) → GoFromRust(8) → c_after_rust(8) = 24
	// → 25 → trampoline 26 → rust_middle 27 → rust_entry 28.
	if r := goCallRust(7); r != 28 {
		fmt.Fprintf(os.Stderr, "rustchain: got %d, want 28\n", r)
		os.Exit(1)
	}
}
