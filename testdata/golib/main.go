// golib: the callback chain as a Go library that calls back into its host's C. Built as a
// c-shared library (libgocb.so) and a c-archive (libgocb.a) for the hosts in host/ and host.py:
//
//	host main → host_run (host C) → GoRun (export) → main.goRun → C.call_host (library C) →
//	host_cb (host C) → GoMiddle (export) → main.goInner → C.lib_c_inner (BP)
package main

// #include "lib.h"
import "C"

import (
	"fmt"
	"time"
)

// Sink keeps values alive across the C calls.
var Sink int

var parked = make(chan struct{})

// LibName tells the two builds of this library apart (libgocb2.so: -X main.LibName=b).
var LibName = "a"

// Label keeps goRun's label alive across the C call: the e2e tests read it in a spliced frame.
var Label string

//go:noinline
func goRun(cb C.host_cb_fn, n int) int {
	label := fmt.Sprintf("run-%d", n) // "run-1"
	r := int(C.call_host(cb, C.int(n)))
	Label = label
	return r
}

//export GoRun
//go:noinline
func GoRun(cb C.host_cb_fn, n C.int) C.int {
	return C.int(goRun(cb, int(n)))
}

//go:noinline
func goInner(n int) int {
	scale := n*100 + 7
	r := int(C.lib_c_inner(C.int(n)))
	Sink = scale
	return r
}

//export GoMiddle
//go:noinline
func GoMiddle(n C.int) C.int {
	return C.int(goInner(int(n)) + 1)
}

//go:noinline
func parkedWorker(ready chan<- struct{}) {
	ready <- struct{}{}
	<-parked
	Sink = len(LibName)
}

// GoParkMany starts n goroutines that wait on a channel for the rest of the process's life, and
// returns once they are all about to block there (a moment later, they are parked).
//
//export GoParkMany
func GoParkMany(n C.int) {
	ready := make(chan struct{})
	for i := 0; i < int(n); i++ {
		go parkedWorker(ready)
	}
	for i := 0; i < int(n); i++ {
		<-ready
	}
	time.Sleep(20 * time.Millisecond)
}

func main() {}
