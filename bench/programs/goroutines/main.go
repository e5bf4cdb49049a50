// goroutines: N goroutines for listing benchmarks, a mix parked on channels and blocked in C.
//
//	goroutines N [IN_C]   N goroutines in all; IN_C of them (default 16) blocked in C, each on
//	                      its own thread; the rest parked receiving from channels, each
//	                      started inside pprof.Do with a label shard=0..7 (a label set per
//	                      goroutine, as a server labelling each request has). Then the main
//	                      goroutine calls main.benchReady (where bench.py's DAP rows stop
//	                      first: Delve breaks on Go code) and C.bench_ready (the
//	                      breakpoint), and exits.
package main

// #include "block.h"
import "C"

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

//go:noinline
func parked(ch chan int) int { return <-ch }

//go:noinline
func blockedInC() { C.bench_block() }

// benchReady is where bench.py's DAP rows stop first, to time `continue` to bench_ready.
//
//go:noinline
func benchReady(n int) { readyCount = n }

var readyCount int

func main() {
	n, inC := 1000, 16
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		inC, _ = strconv.Atoi(os.Args[2])
	}
	if inC > n {
		inC = n
	}
	chans := make([]chan int, 64)
	for i := range chans {
		chans[i] = make(chan int)
	}
	ctx := context.Background()
	for i := 0; i < n-inC; i++ {
		ch := chans[i%len(chans)]
		pprof.Do(ctx, pprof.Labels("shard", strconv.Itoa(i%8)), func(context.Context) { go parked(ch) })
	}
	for i := 0; i < inC; i++ {
		go blockedInC()
	}
	deadline := time.Now().Add(60 * time.Second)
	for int(C.bench_blocked()) < inC || runtime.NumGoroutine() < n+1 {
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "goroutines: not all goroutines started")
			os.Exit(1)
		}
		time.Sleep(time.Millisecond)
	}
	benchReady(n)
	C.bench_ready(C.int(n))
	os.Exit(0)
}
