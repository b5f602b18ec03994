//! Wall-clock and monotonic time helpers.

/// The wall clock as a timespec. Read directly (vDSO, no system call):
/// it is read twice per command, and `SystemTime` adds a fallible u128
/// conversion on top that showed in profiles.
fn realtime() -> libc::timespec {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the provided struct.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let ts = realtime();
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    let ts = realtime();
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
}

/// Microseconds of a monotonic clock (for durations).
pub fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the provided struct.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}
