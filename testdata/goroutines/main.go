// goroutines: the goroutine listing's filters, groups, labels and creation sites
// (`info goroutines ARGS`, `goroutine list ARGS`). main parks nine goroutines, then calls
// C.c_stop (the breakpoint):
//
//	go statement in       started in     pprof labels               parked in
//	main.startParked  3 × main.parkedWorker  worker=a                   chan receive
//	main.startParked  2 × main.parkedWorker  worker=b                   chan receive
//	main.startSleepers 2 × main.sleeper      role=sleeper, worker=b     time.Sleep
//	main.main         2 × main.locker        (none)                     sync.Mutex.Lock
//
// Run with GOMAXPROCS=1 (as the tests do) its goroutine ids are the same from run to run.
package main

// #include "stop.h"
import "C"

import (
	"context"
	"runtime/pprof"
	"sync"
	"time"
)

var ready sync.WaitGroup

//go:noinline
func parkedWorker(ch chan int) {
	ready.Done()
	<-ch
}

//go:noinline
func sleeper() {
	ready.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func locker(mu *sync.Mutex) {
	ready.Done()
	mu.Lock()
	mu.Unlock()
}

//go:noinline
func startParked(ch chan int, n int) {
	for i := 0; i < n; i++ {
		go parkedWorker(ch)
	}
}

//go:noinline
func startSleepers(n int) {
	for i := 0; i < n; i++ {
		go sleeper()
	}
}

func main() {
	ch := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	ctx := context.Background()
	ready.Add(9)
	pprof.Do(ctx, pprof.Labels("worker", "a"), func(context.Context) { startParked(ch, 3) })
	pprof.Do(ctx, pprof.Labels("worker", "b"), func(ctx context.Context) {
		startParked(ch, 2)
		pprof.Do(ctx, pprof.Labels("role", "sleeper"), func(context.Context) { startSleepers(2) })
	})
	for i := 0; i < 2; i++ {
		go locker(&mu)
	}
	ready.Wait()
	// Done comes just before each one parks: a moment for the last ones to get there.
	time.Sleep(50 * time.Millisecond)
	C.c_stop(9)
	mu.Unlock()
	close(ch)
}
