// crash-rust: a Rust panic with panic = "abort" inside a cgo call, with other threads in C and
// parked.
//
//	main.main → main.goRust → C.rust_crash (Rust) → rustlib::rust_fail → panic → abort (SIGABRT)
//	goroutine main.goBlock → C.c_block (usleep for ever, on its own thread)
//	goroutine main.goParked (chan receive)
//
// The Rust staticlib is testdata/rustchain/rustlib (built by tests/build_testdata.py with cargo,
// linked through CGO_LDFLAGS). Like testdata/crash it dies: libc's abort raises SIGABRT, which
// the Go runtime's handler catches ("signal arrived during cgo execution"); with
// GOTRACEBACK=crash it stops the other threads in their handlers and re-raises SIGABRT.
package main

/*
#cgo LDFLAGS: -lpthread -ldl -lm
#include "crashrust.h"
*/
import "C"

import (
	"fmt"
	"time"
)

//go:noinline
func goBlock() {
	C.c_block()
}

//go:noinline
func goParked(ch chan int) {
	fmt.Println(<-ch)
}

//go:noinline
func goRust(n int) int {
	return int(C.rust_crash(C.int32_t(n)))
}

func main() {
	go goBlock()
	go goParked(make(chan int))
	for C.cgu_crash_ready == 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(goRust(1))
}
