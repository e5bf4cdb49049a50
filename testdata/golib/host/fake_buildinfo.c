/* Linked into fakego-host: a `.go.buildinfo` section in a C program, so that the host looks like a
 * Go module from its section headers but has no Go runtime to read (no pclntab). cgounwind says so
 * in one line, skips it, and still splices the real Go library (libgocb.so) it loads. */
__attribute__((used, section(".go.buildinfo"))) const char fake_go_buildinfo[32] =
    "\xff Go buildinf:not really Go";
