// multiblock: several goroutines blocked in C at the same time, each on its own (locked) thread.
//
//	main.workerAlpha → C.c_block(1)   (blocked in pthread_cond_wait)
//	main.workerBeta  → C.c_block(2)   (blocked in pthread_cond_wait)
//	main.workerGamma → C.c_block(3)   (blocked in pthread_cond_wait)
//	main.main → C.c_all_blocked (BP) once all three are blocked, then C.c_release and join.
package main

// #include "block.h"
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

var results [4]int

//go:noinline
func workerAlpha(wg *sync.WaitGroup) {
	defer wg.Done()
	runtime.LockOSThread()
	results[1] = int(C.c_block(1))
}

//go:noinline
func workerBeta(wg *sync.WaitGroup) {
	defer wg.Done()
	runtime.LockOSThread()
	results[2] = int(C.c_block(2))
}

//go:noinline
func workerGamma(wg *sync.WaitGroup) {
	defer wg.Done()
	runtime.LockOSThread()
	results[3] = int(C.c_block(3))
}

func main() {
	var wg sync.WaitGroup
	wg.Add(3)
	go workerAlpha(&wg)
	go workerBeta(&wg)
	go workerGamma(&wg)

	deadline := time.Now().Add(20 * time.Second)
	for C.c_blocked_count() < 3 {
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "multiblock: workers never blocked")
			os.Exit(1)
		}
		time.Sleep(time.Millisecond)
	}
	C.c_all_blocked()
	C.c_release()
	wg.Wait()
	if results != [4]int{0, 1, 2, 3} {
		fmt.Fprintf(os.Stderr, "multiblock: bad results %v\n", results)
		os.Exit(1)
	}
}
