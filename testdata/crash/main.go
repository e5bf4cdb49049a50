// crash: a NULL dereference in C called from Go, with other threads in C and parked.
//
//	main.main → main.goCrash → C.c_mid → c_crash (SIGSEGV)
//	goroutine main.goBlock → C.c_block (usleep for ever, on its own thread)
//	goroutine main.goParked (chan receive)
//
// Unlike every other testdata program it does not exit 0: it dies of the SIGSEGV. Run with
// GOTRACEBACK=crash, the runtime prints every goroutine, sends SIGQUIT to the other threads
// (which stop inside the signal handler) and re-raises SIGABRT on the crashing thread, so that
// a debugger (or the kernel's core file) sees the fault, then the abort.
package main

// #include "crash.h"
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
func goCrash(n int) int {
	return int(C.c_mid(C.int(n)))
}

func main() {
	go goBlock()
	go goParked(make(chan int))
	for C.cgu_crash_ready == 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(goCrash(1))
}
