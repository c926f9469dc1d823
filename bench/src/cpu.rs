//! CPU time consumed by the calling thread: the client's own work, whatever the wake-up latency
//! between the client and server threads.

use std::time::Duration;

/// CPU time used so far by the calling thread (`CLOCK_THREAD_CPUTIME_ID`), or `None` where the
/// clock is not available.
#[cfg(unix)]
pub fn thread_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`; the call only writes to it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u32::try_from(ts.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

/// CPU time used so far by the calling thread; not measured on this platform.
#[cfg(not(unix))]
pub fn thread_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_clock_is_monotonic() {
        if let (Some(a), Some(b)) = (thread_time(), thread_time()) {
            assert!(b >= a);
        }
    }
}
