//! The global allocator: mimalloc, with a running count of allocated bytes.
//!
//! mimalloc keeps small objects in exact size classes with no per-chunk
//! header, which is most of our memory-per-key advantage (a 64-byte dict node
//! costs 64 bytes). `used_memory` in INFO is what we account here: the usable
//! size of every live allocation, as Redis's zmalloc does.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Counting;

static USED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded to mimalloc with the caller's layout.
        unsafe {
            let p = mimalloc::MiMalloc.alloc(layout);
            if !p.is_null() {
                USED.fetch_add(libmimalloc_sys::mi_usable_size(p as _), Ordering::Relaxed);
            }
            p
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        unsafe {
            let p = mimalloc::MiMalloc.alloc_zeroed(layout);
            if !p.is_null() {
                USED.fetch_add(libmimalloc_sys::mi_usable_size(p as _), Ordering::Relaxed);
            }
            p
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr came from this allocator.
        unsafe {
            USED.fetch_sub(libmimalloc_sys::mi_usable_size(ptr as _), Ordering::Relaxed);
            mimalloc::MiMalloc.dealloc(ptr, layout)
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: ptr came from this allocator; sizes are re-read around the call.
        unsafe {
            let old = libmimalloc_sys::mi_usable_size(ptr as _);
            let p = mimalloc::MiMalloc.realloc(ptr, layout, new_size);
            if !p.is_null() {
                let new = libmimalloc_sys::mi_usable_size(p as _);
                USED.fetch_add(new, Ordering::Relaxed);
                USED.fetch_sub(old, Ordering::Relaxed);
            }
            p
        }
    }
}

/// Bytes currently allocated through the global allocator.
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// Resident set size of the process, from /proc/self/statm.
pub fn rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = s
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf is always safe to call.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}
