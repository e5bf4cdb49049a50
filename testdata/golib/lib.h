#ifndef GOLIB_LIB_H
#define GOLIB_LIB_H

/* The host's callback, handed to GoRun: it calls the library's GoMiddle. */
typedef int (*host_cb_fn)(int n);

int call_host(host_cb_fn cb, int n);
int lib_c_inner(int n);

#endif
