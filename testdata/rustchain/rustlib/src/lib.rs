//! The Rust part of the rustchain test program: Go calls `rust_entry`, which calls
//! `rust_middle`, which calls back through a C function pointer (into C, then Go).
//!
//! Only uses what Rust 1.63 (Debian bookworm's rustc) already has.

use std::sync::atomic::{AtomicI32, Ordering};

/// Observable side effect so that nothing here is folded away.
static RUST_SINK: AtomicI32 = AtomicI32::new(0);

/// An opaque identity: the optimiser cannot see through it.
#[inline(always)]
fn opaque(v: i32) -> i32 {
    // SAFETY: reads a live, aligned local.
    unsafe { std::ptr::read_volatile(&v) }
}

#[inline(never)]
fn rust_middle(cb: extern "C" fn(i32) -> i32, n: i32) -> i32 {
    let r = cb(opaque(n + 1));
    // Work after the call: keeps this a real call, not a tail call.
    RUST_SINK.store(r, Ordering::SeqCst);
    opaque(r) + 1
}

#[no_mangle]
pub extern "C" fn rust_entry(cb: extern "C" fn(i32) -> i32, n: i32) -> i32 {
    let r = rust_middle(cb, opaque(n));
    RUST_SINK.store(r, Ordering::SeqCst);
    opaque(r) + 1
}

/// Also linked into testdata/crash/rust (lines above keep their numbers: tests name them).
/// Panics when `n > 0`: with the profile's `panic = "abort"` the panic does not unwind, it
/// aborts the process (std::process::abort → libc abort → SIGABRT) from inside the cgo call
/// (testdata/crash/rust: main.goRust → C.rust_crash → rustlib::rust_fail).
#[inline(never)]
fn rust_fail(n: i32) -> i32 {
    if opaque(n) > 0 {
        panic!("cgounwind crash test: rust_fail({})", n);
    }
    opaque(n) - 1
}

#[no_mangle]
pub extern "C" fn rust_crash(n: i32) -> i32 {
    let r = rust_fail(opaque(n));
    RUST_SINK.store(r, Ordering::SeqCst);
    opaque(r) + 1
}
