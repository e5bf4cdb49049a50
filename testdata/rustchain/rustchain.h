#ifndef RUSTCHAIN_H
#define RUSTCHAIN_H

#include <stdint.h>

typedef int32_t (*cgu_rust_cb)(int32_t);

/* Implemented in Rust (rustlib/src/lib.rs): rust_entry → rustlib::rust_middle → cb(n). */
int32_t rust_entry(cgu_rust_cb cb, int32_t n);

/* C callback handed to Rust: calls the exported Go function GoFromRust. */
int32_t go_cb_trampoline(int32_t n);
/* The breakpoint function. */
int32_t c_after_rust(int32_t n);

#endif
