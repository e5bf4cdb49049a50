// stepgo: `next` follows one goroutine across threads (tests/e2e/test_stepping.py,
// test_goroutine_next). Eight goroutines run the same function, main.worker, in pairs that
// play ping-pong over unbuffered channels; every line of the loop body is one simple statement
// and the channel lines block, so a goroutine stepped with `next` very likely resumes on
// another OS thread (GOMAXPROCS 4, CPU work between the blocking lines, async preemption on).
// Worker 3 calls main.markerStart once before its loop (the breakpoint). Pure Go.
//
//	main.main → 8 × main.worker (pairs 0-1, 2-3, 4-5, 6-7), each `iterations` rounds
package main

import (
	"fmt"
	"runtime"
	"sync"
)

const iterations = 200

var sink int

//go:noinline
func markerStart(id int) {
	sink += id
}

// spin is CPU work between the blocking lines.
//
//go:noinline
func spin(v int) int {
	for i := 0; i < 20000; i++ {
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
		out <- sum         // loop: send
		v := <-in          // loop: receive
		v = spin(v)        // loop: work
		sum += v & 0xff    // loop: add
		runtime.Gosched()  // loop: yield
	}
	sink += sum
}

func main() {
	runtime.GOMAXPROCS(4)
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		a, b := make(chan int, 1), make(chan int, 1)
		wg.Add(2)
		go worker(2*p, a, b, &wg)
		go worker(2*p+1, b, a, &wg)
	}
	wg.Wait()
	fmt.Println("stepgo: done")
}
