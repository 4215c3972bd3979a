// SPDX-License-Identifier: GPL-2.0

//! What 6.12's `kernel::workqueue` lacks: waiting for a work item, so that
//! nothing it uses is torn down under it, and a queue of the module's own
//! that is drained before the module's code goes.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use super::bindings;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::workqueue::{Queue, RawWorkItem, Work};

/// Waits until `work` is neither queued nor running (C `flush_work`).
/// Returns whether it had to wait. Must not be called from `work` itself,
/// nor with a lock `work` takes held.
pub fn flush<T: ?Sized, const ID: u64>(work: &Work<T, ID>) -> bool {
    // SAFETY: `work` is a live reference, so the pointer is aligned and not
    // dangling; a `Work` is only ever reachable initialised and pinned, as
    // `flush_work` requires. The two bindings name the same C type.
    unsafe { bindings::flush_work(Work::raw_get(work).cast()) }
}

/// A workqueue of the module's own, for work that must not outlive the
/// module's code but cannot be waited for by whatever queued it (such as
/// work that unbinds the device whose teardown would wait for it): made by
/// [`ModuleQueue::create`] at module init, drained and destroyed when the
/// returned guard drops at module exit.
///
/// # Invariants
///
/// `ptr` is null or a workqueue made by `alloc_workqueue` that is not
/// destroyed before `ptr` is null again and `users` is zero.
pub struct ModuleQueue {
    ptr: AtomicPtr<bindings::workqueue_struct>,
    /// Calls of [`ModuleQueue::enqueue`] in progress.
    users: AtomicUsize,
}

impl ModuleQueue {
    /// No queue yet.
    pub const fn new() -> Self {
        // INVARIANT: null.
        ModuleQueue {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            users: AtomicUsize::new(0),
        }
    }

    /// Makes the queue, named `name`; it lasts until the guard drops.
    pub fn create(&'static self, name: &'static CStr) -> Result<ModuleQueueGuard> {
        // SAFETY: the format is "%s" with one string argument, as given;
        // flags 0 and max_active 0 (the default) are valid.
        let ptr =
            unsafe { bindings::alloc_workqueue(c"%s".as_ptr().cast(), 0, 0, name.as_char_ptr()) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        self.ptr
            .compare_exchange(
                core::ptr::null_mut(),
                ptr,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .map_err(|_| {
                // SAFETY: made just above and never published.
                unsafe { bindings::destroy_workqueue(ptr) };
                EBUSY
            })?;
        // INVARIANT: published; only the guard destroys it.
        Ok(ModuleQueueGuard(self))
    }

    /// Queues `w` (see [`kernel::workqueue::Queue::enqueue`]); `ENODEV`
    /// with `w` dropped if the queue does not exist (yet or any more).
    pub fn enqueue<W, const ID: u64>(&self, w: W) -> Result<W::EnqueueOutput>
    where
        W: RawWorkItem<ID> + Send + 'static,
    {
        // Announce the use before looking at the pointer; the guard clears
        // the pointer before it waits for users (both sequentially
        // consistent), so one of the two sees the other.
        self.users.fetch_add(1, Ordering::SeqCst);
        let ptr = self.ptr.load(Ordering::SeqCst);
        let result = if ptr.is_null() {
            Err(ENODEV)
        } else {
            // SAFETY: by the type invariant a non-null pointer is a live
            // workqueue, and it stays live while `users` counts this call.
            // The two bindings name the same C type.
            Ok(unsafe { Queue::from_raw(ptr.cast()) }.enqueue(w))
        };
        self.users.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

impl Default for ModuleQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// Destroys the queue of a [`ModuleQueue`] when dropped, after running what
/// is queued on it.
pub struct ModuleQueueGuard(&'static ModuleQueue);

impl Drop for ModuleQueueGuard {
    fn drop(&mut self) {
        let ptr = self.0.ptr.swap(core::ptr::null_mut(), Ordering::SeqCst);
        // Callers that saw the pointer finish queueing first.
        while self.0.users.load(Ordering::SeqCst) != 0 {
            core::hint::spin_loop();
        }
        if !ptr.is_null() {
            // SAFETY: made by `create`, unpublished above and no longer
            // used by any `enqueue`; `destroy_workqueue` drains it first.
            unsafe { bindings::destroy_workqueue(ptr) };
        }
    }
}
