// values: Go values held across a C call, for reading them in a spliced frame.
//
//	main.main → main.goValues → C.c_values_stop (BP)
//
// Every local of goValues is used after the call, so Go keeps it on the goroutine stack there.
package main

// #include "values.h"
import "C"

import (
	"errors"
	"fmt"
	"os"
)

type Point struct {
	X, Y int
	Name string
}

// Sinks keep the values alive across the C call.
var (
	sinkS            string
	sinkXs           []int
	sinkPt           Point
	sinkP            *Point
	sinkF            float64
	sinkOk           bool
	sinkSh           C.Shape
	sinkE            error
	sinkA            interface{}
	sinkCh           chan int
	sinkCs           *C.char
	sinkM            map[string]int
	sinkB            map[int]int
	sinkCat, sinkDog C.Animal
	sinkNum          C.Number
	sinkPos          C.Pos
	sinkStr          C.CStr
	sinkArr          [3]int
	sinkGrowing      map[int]int
)

//go:noinline
func goValues(n int, s string) int {
	xs := []int{10, 20, 30}
	pt := Point{X: 1, Y: 2, Name: "origin"}
	p := &Point{X: 3, Y: 4, Name: "heap"}
	f := 2.5 * float64(n)
	ok := n > 0
	sh := C.make_circle(5)
	psh := &sh
	err := errors.New("boom")
	var anyv interface{} = 42
	ch := make(chan int, 4)
	ch <- 1
	ch <- 2
	cs := C.CString("Tom")
	m := map[string]int{"answer": 42}
	big := map[int]int{} // more than a group or a bucket: tables, overflow, growth
	for i := 0; i < 20; i++ {
		big[i] = i * i
	}
	// 1665 entries: the 1665th starts growing the map from 256 to 512 buckets (Go <= 1.23 moves
	// the entries later, a bucket or two per write): caught with old and new buckets in use.
	// Swiss tables (Go >= 1.24): more than one table fills, so the map has a directory.
	growing := map[int]int{}
	for i := 0; i < 1665; i++ {
		growing[i] = -i
	}
	cat := C.make_cat(cs)
	dog := C.make_dog(42)
	num := C.make_float(1.5)
	pos := C.make_pos(3, -4)
	cstr := C.make_cstr(cs, 3)
	arr := [3]int{7, 8, 9}
	r := int(C.c_values_stop(C.int(n)))
	sinkS = s
	sinkXs = xs
	sinkPt = pt
	sinkP = p
	sinkF = f
	sinkOk = ok
	sinkSh = *psh
	sinkE = err
	sinkA = anyv
	sinkCh = ch
	sinkCs = cs
	sinkM = m
	sinkB = big
	sinkCat, sinkDog, sinkNum, sinkPos, sinkStr, sinkArr = cat, dog, num, pos, cstr, arr
	sinkGrowing = growing
	return r
}

func main() {
	if r := goValues(7, "hello, 世界"); r != 8 {
		fmt.Fprintf(os.Stderr, "values: got %d, want 8\n", r)
		os.Exit(1)
	}
	fmt.Println(sinkS, sinkXs, sinkPt, *sinkP, sinkF, sinkOk)
}
