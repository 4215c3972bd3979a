// SPDX-License-Identifier: GPL-2.0

//! Sleeping for a while in process context.
//!
//! C header: [`include/linux/delay.h`](srctree/include/linux/delay.h)

use super::bindings;

/// Sleeps for at least `min_us` and at most about `max_us` microseconds.
/// The range lets the timer code batch wake-ups. Process context only.
pub fn usleep_range(min_us: u64, max_us: u64) {
    // SAFETY: `usleep_range` has no preconditions beyond process context,
    // which every caller of this function is in (it may sleep).
    unsafe { bindings::nvme_rs_usleep_range(min_us as _, max_us as _) };
}

/// Sleeps for at least `ms` milliseconds. Process context only.
pub fn msleep(ms: u32) {
    // SAFETY: as for `usleep_range`.
    unsafe { bindings::msleep(ms) };
}
