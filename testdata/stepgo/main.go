// stepgo: `next` follows one goroutine across threads (tests/e2e/test_stepping.py,
// test_goroutine_next). Eight goroutines run the same function, main.worker, in pairs that
// play ping-pong over channels; each line of its loop is one simple statement (marked
// `// loop: NAME`, the test reads them) and the channel lines block. Four hogs keep the four
// Ps busy meanwhile (GOMAXPROCS 4), so a goroutine that blocks, or that sysmon preempts, is
// picked up by whichever P gets to it first: the goroutine stepped with `next` very likely
// goes on on another OS thread than GDB's step (which is bound to the thread).
// Worker 3 calls main.markerStart once before its loop (the breakpoint). Pure Go, built with
// -N -l (its lines in source order with every toolchain); runs `iterations` rounds, the hogs
// stop when the workers are done.
//
//	main.main → 8 × main.worker (pairs 0-1, 2-3, 4-5, 6-7) + 4 × main.hog
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

const iterations = 60

var (
	sink    int
	results [8]int
	hogged  [4]int
	stop    int32
)

//go:noinline
func markerStart(id int) {
	sink += id
}

// spin is CPU work (under a millisecond).
//
//go:noinline
func spin(v int) int {
	for i := 0; i < 500000; i++ {
		v = v*31 + i
	}
	return v
}

//go:noinline
func worker(id int, in <-chan int, out chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	if id == 3 {
		markerStart(id)
	}
	sum := 0
	for i := 0; i < iterations; i++ { // loop: header
		out <- sum      // loop: send
		v := <-in       // loop: receive
		v = spin(v)     // loop: work
		sum += v & 0xff // loop: add
	}
	results[id] = sum
}

//go:noinline
func hog(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	v := n
	for atomic.LoadInt32(&stop) == 0 {
		v = spin(v)
	}
	hogged[n] = v
}

func main() {
	runtime.GOMAXPROCS(4)
	var hogs, workers sync.WaitGroup
	for n := 0; n < 4; n++ {
		hogs.Add(1)
		go hog(n, &hogs)
	}
	for p := 0; p < 4; p++ {
		a, b := make(chan int, 1), make(chan int, 1)
		workers.Add(2)
		go worker(2*p, a, b, &workers)
		go worker(2*p+1, b, a, &workers)
	}
	workers.Wait()
	atomic.StoreInt32(&stop, 1)
	hogs.Wait()
	fmt.Println("stepgo: done")
}
