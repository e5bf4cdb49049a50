// seed: the classic Animal example. main.main → seed/app.DoStuff → C.animal_print (BP), where
// animal_print lives in the C static library libanimal (libanimal/, built by
// tests/build_testdata.py and linked through CGO_CFLAGS/CGO_LDFLAGS).
package main

import "seed/app"

func main() {
	app.DoStuff()
}
