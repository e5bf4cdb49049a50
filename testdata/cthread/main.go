// cthread: a pthread created in C calls an exported Go function that calls C.
//
//	main.main → C.c_start_thread → pthread_create(c_thread_main)
//	c_thread_main → GoFromCThread (exported) → main.goWorkInThread → C.c_leaf_in_thread (BP)
//	main.main → C.c_join_thread
package main

// #include "cthread.h"
import "C"

import (
	"fmt"
	"os"
)

//export GoFromCThread
//go:noinline
func GoFromCThread(n C.int) C.int {
	return C.int(goWorkInThread(int(n)) + 1)
}

//go:noinline
func goWorkInThread(n int) int {
	return int(C.c_leaf_in_thread(C.int(n)))
}

func main() {
	if rc := C.c_start_thread(); rc != 0 {
		fmt.Fprintf(os.Stderr, "cthread: pthread_create failed: %d\n", int(rc))
		os.Exit(1)
	}
	// c_leaf_in_thread(5) = 105 → GoFromCThread returns 106.
	if r := C.c_join_thread(); r != 106 {
		fmt.Fprintf(os.Stderr, "cthread: got %d, want 106\n", int(r))
		os.Exit(1)
	}
}
