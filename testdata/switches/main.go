// switches: the runtime's other stack switches, each reached after its own marker so a test can
// break on runtime code that runs all the time and still stop in a known place.
//
//	markerGrow   → main.grow recursion with a large frame: runtime.morestack → runtime.newstack (g0)
//	markerPark   → main.waitHere blocks on a channel: runtime.gopark → runtime.mcall → runtime.park_m (g0)
//	markerSignal → main.raise sends SIGUSR1 to the process: runtime.sigtramp → sigtrampgo → sighandler
//
// It is a cgo binary like users' programs; each phase also passes through C once.
package main

// static int c_id(int x) { return x; }
import "C"

import (
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
)

//go:noinline
func markerGrow() {}

//go:noinline
func markerPark() {}

//go:noinline
func markerSignal() {}

// grow uses a 1 KiB frame per level: 64 levels outgrow a new goroutine's 8 KiB stack.
//
//go:noinline
func grow(n int) int {
	var pad [1024]byte
	pad[n%1024] = byte(n)
	if n == 0 {
		return int(C.c_id(C.int(pad[0])))
	}
	return grow(n-1) + int(pad[n%1024])
}

//go:noinline
func growInGoroutine(done chan int) {
	markerGrow()
	done <- grow(64)
	// main waits for this send too: a `next` over the line above ends here before main goes
	// on (and raises SIGUSR1 or exits while the step is still under way).
	done <- 0
}

//go:noinline
func waitHere(ch chan int) int {
	markerPark()
	atomic.StoreInt32(&parking, 1)
	return <-ch
}

var parking int32

//go:noinline
func raise() {
	markerSignal()
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
}

func main() {
	done := make(chan int)
	go growInGoroutine(done)
	<-done
	<-done

	// main must park in waitHere even when a debugger pauses the program (timers fire during
	// such pauses): the sender waits for main's flag, then yields (runtime.Gosched goes through
	// gosched_m, not park_m) long enough for main to park, and only then sends.
	ch := make(chan int)
	go func() {
		for atomic.LoadInt32(&parking) == 0 {
			runtime.Gosched()
		}
		for i := 0; i < 20000; i++ {
			runtime.Gosched()
		}
		ch <- int(C.c_id(7))
	}()
	if waitHere(ch) != 7 {
		os.Exit(1)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	raise()
	<-sigs
}
