// SPDX-License-Identifier: GPL-2.0

//! A request queue without a disk, for a driver's own commands: what C's
//! NVMe driver keeps as `admin_q` (`blk_mq_alloc_queue` with no disk).
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)

use super::passthrough::{alloc_request, UserCommands, UserRequest};
use super::tag_set::{Operations, TagSet};
use crate::kernel_ext::{bindings, error};
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// A request queue on a tag set of operations `T`, with no disk.
///
/// # Invariants
///
/// `queue` was allocated by `blk_mq_alloc_queue` on `_set`, with `queuedata`
/// `T::QueueData::into_foreign`; `Drop` destroys the queue (waiting for its
/// requests), puts it, then reclaims the data.
pub struct RequestQueue<T: Operations> {
    queue: NonNull<bindings::request_queue>,
    // Keeps the tag set alive while the queue uses it.
    _set: Arc<TagSet<T>>,
}

// SAFETY: the queue is used from any thread through the block layer, which
// locks it; it is destroyed only through `Drop`.
unsafe impl<T: Operations> Send for RequestQueue<T> {}
// SAFETY: shared use only allocates requests, which the block layer locks.
unsafe impl<T: Operations> Sync for RequestQueue<T> {}

impl<T: Operations> RequestQueue<T> {
    /// Allocates a request queue on `set` with `data` as its queue data.
    pub fn new(set: Arc<TagSet<T>>, data: T::QueueData) -> Result<Self> {
        let foreign = data.into_foreign();
        // SAFETY: `set` is a live tag set; no limits (the defaults);
        // `foreign` stays valid until reclaimed below or in `Drop`.
        let queue = unsafe {
            bindings::blk_mq_alloc_queue(set.as_raw(), core::ptr::null_mut(), foreign as _)
        };
        match error::from_err_ptr(queue) {
            // INVARIANT: allocated on `set` with the queue data just given.
            // SAFETY: `from_err_ptr` passed a valid, non-null pointer.
            Ok(queue) => Ok(RequestQueue {
                queue: unsafe { NonNull::new_unchecked(queue) },
                _set: set,
            }),
            Err(err) => {
                // SAFETY: allocation failed; nothing else holds `foreign`.
                drop(unsafe { T::QueueData::from_foreign(foreign) });
                Err(err)
            }
        }
    }
}

impl<T: Operations> RequestQueue<T> {
    /// Waits until every request allocated so far has ended (a freeze and
    /// unfreeze: new requests wait meanwhile).
    pub fn drain(&self) {
        // SAFETY: the queue is alive (type invariant); frozen and unfrozen
        // once each.
        unsafe {
            bindings::blk_mq_freeze_queue(self.queue.as_ptr());
            bindings::blk_mq_unfreeze_queue(self.queue.as_ptr());
        }
    }
}

impl<T: UserCommands> RequestQueue<T> {
    /// Allocates a driver-private request that writes to the device
    /// (`write`) or reads from it, waiting for a tag unless `nowait` (then
    /// `EAGAIN`); see [`super::passthrough::QueueRef::alloc`].
    pub fn alloc(&self, write: bool, nowait: bool) -> Result<UserRequest<T>> {
        // SAFETY: the queue is alive while `self` is (type invariant).
        unsafe { alloc_request(self.queue.as_ptr(), write, nowait, false, false) }
    }
}

impl<T: Operations> Drop for RequestQueue<T> {
    fn drop(&mut self) {
        let queue = self.queue.as_ptr();
        // SAFETY: allocated by `new` (type invariant) and never added to a
        // disk. Destroying it waits for its requests; after the put nothing
        // uses the queue data.
        unsafe {
            let foreign = (*queue).queuedata;
            bindings::blk_mq_destroy_queue(queue);
            bindings::blk_put_queue(queue);
            drop(T::QueueData::from_foreign(foreign));
        }
    }
}
