// Package app calls into the C static library libanimal. The include path and the library come
// from CGO_CFLAGS / CGO_LDFLAGS set by tests/build_testdata.py.
package app

/*
#include <stdlib.h>
#include "animal.h"
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// DoStuff makes a dog with a 42-long tail and prints it: the first stop of a breakpoint on
// animal_print. It then makes a cat and prints it (second stop).
//
//go:noinline
func DoStuff() {
	dog := C.animal_make_dog(42)
	C.animal_print(dog)
	if C.animal_last_printed_kind != C.ANIMAL_KIND_DOG {
		fmt.Fprintln(os.Stderr, "seed: unexpected animal kind")
		os.Exit(1)
	}

	name := C.CString("Tom")
	cat := C.animal_make_cat(name)
	C.free(unsafe.Pointer(name))
	C.animal_print(cat)

	C.free(unsafe.Pointer(dog))
	C.free(unsafe.Pointer(cat))
}
