// storm: sixteen threads crossing the cgo boundary as fast as they can, for issue 15's random
// interrupts. Fourteen goroutines (GOMAXPROCS 16: each on its own thread) loop Go → C (c_call) → Go
// (goBack) → C (c_leaf), and in between grow their stack (morestack), allocate (GC assists,
// systemstack), read the clock (vDSO), yield and trade values on channels (gopark, mcall);
// two C threads loop c_call (cgo's needm path). storm_ready (BP) runs once all have started.
//
//	storm [milliseconds]   (default 200; the debugger tests pass a large number)
package main

/*
#include "storm.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const goWorkers = 14
const cThreads = 2

var sink atomic.Int64

//export goBack
func goBack(n C.long) C.long {
	if n%64 == 0 {
		buf := make([]byte, 4096+int(n%7)) // allocation: mallocgc, GC assists
		buf[0] = byte(n)
		sink.Add(int64(buf[0]))
	}
	return C.c_leaf(n) + 1
}

// grow outgrows a fresh stack (runtime.morestack → newstack → copystack).
//
//go:noinline
func grow(n int) int {
	var pad [512]byte
	pad[n%512] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return grow(n-1) + int(pad[n%512])
}

//go:noinline
func worker(id int, stop *atomic.Bool, in, out chan int, started *sync.WaitGroup) {
	started.Done()
	for i := 0; !stop.Load(); i++ {
		r := int(C.c_call(C.long(i*goWorkers + id)))
		switch i % 16 {
		case 3:
			r += grow(24)
		case 7:
			r += int(time.Now().UnixNano() & 1)
		case 11:
			runtime.Gosched()
		case 15:
			select { // pairs trade values: a goroutine parks, the other wakes it
			case out <- r:
			case v := <-in:
				r += v
			case <-time.After(time.Millisecond):
			}
		}
		sink.Add(int64(r & 1))
	}
}

func main() {
	ms := 200
	if len(os.Args) > 1 {
		ms, _ = strconv.Atoi(os.Args[1])
	}
	runtime.GOMAXPROCS(goWorkers + cThreads) // all sixteen run at once, time-sliced by the OS
	var stop atomic.Bool
	var started, done sync.WaitGroup
	chans := make([]chan int, goWorkers)
	for i := range chans {
		chans[i] = make(chan int)
	}
	started.Add(goWorkers)
	for i := 0; i < goWorkers; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			worker(i, &stop, chans[i], chans[i^1], &started)
		}(i)
	}
	C.storm_start_c_threads(cThreads)
	started.Wait()
	C.storm_ready()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	stop.Store(true)
	done.Wait()
	C.storm_stop_c_threads()
	fmt.Println("storm", sink.Load() >= 0)
}
