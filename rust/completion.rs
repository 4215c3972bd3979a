// SPDX-License-Identifier: GPL-2.0

//! Completions: one side waits until another, possibly in interrupt
//! context, says an event happened.
//!
//! C header: [`include/linux/completion.h`](srctree/include/linux/completion.h)

use super::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A `struct completion`.
///
/// # Invariants
///
/// The wrapped completion is initialised by [`Completion::new`] and pinned.
#[pin_data]
pub struct Completion {
    #[pin]
    inner: Opaque<bindings::completion>,
}

// SAFETY: the C completion API synchronises internally with its own lock;
// `complete` may be called from any context, including hard interrupts.
unsafe impl Send for Completion {}
// SAFETY: as above, every operation takes `&self` and locks internally.
unsafe impl Sync for Completion {}

impl Completion {
    /// A new completion, not yet done.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `init_completion` initialises the memory it is given,
            // which `ffi_init` provides pinned.
            inner <- Opaque::ffi_init(|slot| unsafe { bindings::nvme_rs_init_completion(slot) }),
        })
    }

    /// Marks the event as done and wakes one waiter. Callable from any
    /// context, hard interrupt handlers included.
    pub fn complete(&self) {
        // SAFETY: the completion is initialised by the type invariant.
        unsafe { bindings::complete(self.inner.get()) };
    }

    /// Forgets earlier `complete` calls, so the next wait waits again.
    /// Must not race with [`Self::complete`].
    pub fn reinit(&self) {
        // SAFETY: the completion is initialised by the type invariant.
        unsafe { bindings::nvme_rs_reinit_completion(self.inner.get()) };
    }

    /// Sleeps until the event is done or `timeout_ms` passes; returns whether
    /// it was done. Must be called from process context.
    pub fn wait_timeout_ms(&self, timeout_ms: u32) -> bool {
        // SAFETY: pure conversion.
        let jiffies = unsafe { bindings::nvme_rs_msecs_to_jiffies(timeout_ms) };
        // SAFETY: the completion is initialised by the type invariant.
        unsafe { bindings::wait_for_completion_timeout(self.inner.get(), jiffies) != 0 }
    }
}
