// parked: N goroutines (default 2000) parked on channels in main.park, each with its own
// locals, then main calls into C (c_stop, the breakpoint) three times (the later stops are for
// tests that change a setting between stops).
//
//	main.main → C.c_stop (BP), N × main.park parked in chan receive (built with -N -l)
package main

// #include "parked.h"
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

//go:noinline
func park(id int, ch chan int) int {
	name := fmt.Sprintf("worker-%d", id)
	got := <-ch
	return got + len(name)
}

func main() {
	n := 2000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go park(i, ch)
	}
	deadline := time.Now().Add(60 * time.Second)
	for runtime.NumGoroutine() < n+1 {
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "parked: not all goroutines started")
			os.Exit(1)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // the last ones reach their receive
	for i := 0; i < 3; i++ {
		C.c_stop(C.int(n + i))
	}
	os.Exit(0)
}
