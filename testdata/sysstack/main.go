// sysstack: a breakpoint inside runtime code running on the system stack (g0).
//
// The test breaks on main.marker, then on runtime.(*mheap).allocSpan and continues: the first
// hit is the 64 MiB allocation in main.bigAlloc, where the runtime has switched to the system
// stack (runtime.systemstack) to allocate the span:
//
//	runtime.(*mheap).allocSpan ... runtime.systemstack [g0] | [goroutine] ... runtime.mallocgc
//	→ runtime.makeslice → main.bigAlloc → main.main → runtime.main → runtime.goexit
//
// No C is needed, but it is a cgo binary (like users' programs), calling one trivial C function.
package main

// static int c_trivial(int x) { return x + 1; }
import "C"

import (
	"fmt"
	"os"
)

var (
	allocSize = 64 << 20 // a variable: make() must go through runtime.makeslice
	sink      []byte
	markCount int
)

//go:noinline
func marker() {
	markCount++
}

//go:noinline
func bigAlloc() int {
	b := make([]byte, allocSize)
	for i := 0; i < len(b); i += 4096 {
		b[i] = byte(i >> 12)
	}
	sink = b
	return len(b)
}

func main() {
	if C.c_trivial(1) != 2 {
		os.Exit(1)
	}
	marker()
	if n := bigAlloc(); n != 64<<20 || markCount != 1 {
		fmt.Fprintf(os.Stderr, "sysstack: bad result %d\n", n)
		os.Exit(1)
	}
}
