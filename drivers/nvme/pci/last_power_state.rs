// SPDX-License-Identifier: GPL-2.0

//! The power state to restore on resume (C `nvme_dev.last_ps`), kept by
//! `power` across a system suspend that leaves the controller enabled in
//! a low power state.

use core::sync::atomic::{AtomicU64, Ordering};

/// The power state the controller had before a suspend put it in a low
/// power state, if one did.
pub(super) struct PowerStateToRestore(AtomicU64);

/// [`PowerStateToRestore`] holds none.
const NONE: u64 = u64::MAX;

impl PowerStateToRestore {
    /// None to restore.
    pub(super) const fn new() -> Self {
        PowerStateToRestore(AtomicU64::new(NONE))
    }

    /// Records what to restore on resume, or that nothing is to be.
    pub(super) fn set(&self, state: Option<u32>) {
        self.0
            .store(state.map_or(NONE, u64::from), Ordering::Relaxed);
    }

    /// What to restore, leaving none.
    pub(super) fn take(&self) -> Option<u32> {
        u32::try_from(self.0.swap(NONE, Ordering::Relaxed)).ok()
    }
}
