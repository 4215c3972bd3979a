// SPDX-License-Identifier: GPL-2.0

//! Completion batches and request lists.
//!
//! A completion batch (`struct io_comp_batch`) gathers requests the
//! hardware finished so the block layer ends them together
//! (`blk_mq_end_request_batch`): one timestamp for all, and their tags
//! freed in one go per hardware queue, instead of a full
//! `blk_mq_end_request` each. Pollers get one from the block layer (io_uring
//! passes its own down); an interrupt handler makes one with [`gather`].
//!
//! Request lists (`struct rq_list`) are how batches, and the plugged
//! requests handed to `queue_rqs`, are chained: through each request's
//! `rq_next`.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)

use super::request::Request;
use super::tag_set::{batch_callback, Operations};
use crate::kernel_ext::bindings;
use core::{marker::PhantomData, ptr};

/// A batch that completions may be added to, or none.
///
/// # Invariants
///
/// `iob` is null or points to a batch that is valid, and used by nothing
/// else, for `'a`.
pub struct CompletionBatch<'a, T: Operations> {
    iob: *mut bindings::io_comp_batch,
    _batch: PhantomData<(&'a mut bindings::io_comp_batch, T)>,
}

impl<'a, T: Operations> CompletionBatch<'a, T> {
    /// No batch: every request is ended on its own as it completes.
    pub fn none() -> Self {
        // INVARIANT: null.
        CompletionBatch {
            iob: ptr::null_mut(),
            _batch: PhantomData,
        }
    }

    /// # Safety
    ///
    /// `iob` must be null or a batch valid, and used by nothing else, for
    /// `'a`.
    pub(crate) unsafe fn from_raw(iob: *mut bindings::io_comp_batch) -> Self {
        // INVARIANT: guaranteed by the caller.
        CompletionBatch {
            iob,
            _batch: PhantomData,
        }
    }

    /// Adds `rq`, which the hardware completed, if the block layer can end
    /// it with the batch (C `blk_mq_add_to_batch`, written here because it
    /// runs for every completion): there is a batch, the request holds no
    /// I/O scheduler's tag, and a block request has no `end_io` of its own
    /// and did not fail (`failed`). Returns whether it was added; if so, the
    /// batch's callback ends it. Kept in step by hand with the C function of
    /// the kernel built against: the generated bindings catch a changed
    /// structure, not a changed rule.
    ///
    /// # Safety
    ///
    /// `rq` must have just been moved out of flight by the caller, so it is
    /// on no list and no other context ends it.
    pub(crate) unsafe fn add(&mut self, rq: &Request<T>, failed: bool) -> bool {
        if self.iob.is_null() {
            return false;
        }
        let raw = rq.as_raw();
        // SAFETY: the request is valid; its flags and `end_io` are set before
        // it is started and do not change until it ends.
        let (flags, end_io) = unsafe { ((*raw).rq_flags, (*raw).end_io.is_some()) };
        if flags & bindings::NVME_RS_RQF_SCHED_TAGS != 0 {
            return false;
        }
        let passthrough = rq.is_passthrough();
        if !passthrough && (end_io || failed) {
            return false;
        }
        // SAFETY: not null, so valid and used by nothing else (invariant).
        let iob = unsafe { &mut *self.iob };
        let complete = batch_callback::<T>();
        match iob.complete {
            None => iob.complete = Some(complete),
            // One batch, one callback: requests of another kind end apart.
            Some(other) if other as usize != complete as usize => return false,
            Some(_) => {}
        }
        // C `blk_mq_need_time_stamp`: passthrough requests take none.
        if !passthrough && flags & bindings::NVME_RS_RQF_NEED_TIME_STAMP != 0 {
            iob.need_ts = true;
        }
        // SAFETY: the batch's list is valid and ours; the request is on no
        // list and its `rq_next` is free for the batch to use (the caller's
        // guarantee).
        unsafe { push_head(&mut iob.req_list, raw) };
        true
    }
}

/// Runs `f` with an empty batch, then ends the requests `f` added to it (C
/// `DEFINE_IO_COMP_BATCH` and `iob.complete(&iob)`, as in `nvme_irq`).
#[inline(always)]
pub fn gather<T: Operations, R>(f: impl FnOnce(&mut CompletionBatch<'_, T>) -> R) -> R {
    let mut iob = bindings::io_comp_batch::default();
    // SAFETY: `iob` lives on this stack frame until after `f` returns, and
    // only the batch made here uses it meanwhile.
    let result = f(&mut unsafe { CompletionBatch::from_raw(&raw mut iob) });
    if !iob.req_list.head.is_null() {
        if let Some(complete) = iob.complete {
            // SAFETY: the requests in the batch were added with this
            // callback (`blk_mq_add_to_batch` sets it with the first), which
            // ends them; the batch is valid for the call.
            unsafe { complete(&raw mut iob) };
        }
    }
    result
}

/// Takes the first request off `list`.
///
/// # Safety
///
/// `list` must be a valid request list that the caller may change.
pub(crate) unsafe fn pop(list: &mut bindings::rq_list) -> Option<*mut bindings::request> {
    let rq = list.head;
    if rq.is_null() {
        return None;
    }
    // SAFETY: `rq` is on the list, so valid, and chained through `rq_next`.
    list.head = unsafe { (*rq).__bindgen_anon_1.rq_next };
    if list.head.is_null() {
        list.tail = ptr::null_mut();
    }
    Some(rq)
}

/// The request that [`pop`] would take next, left on the list.
pub(crate) fn peek(list: &bindings::rq_list) -> *mut bindings::request {
    list.head
}

/// Puts `rq` first on `list` (C `rq_list_add_head`).
///
/// # Safety
///
/// `list` must be a valid request list that the caller may change, and
/// `rq` a valid request on no list, whose `rq_next` the caller may use.
unsafe fn push_head(list: &mut bindings::rq_list, rq: *mut bindings::request) {
    // SAFETY: `rq` is valid and free to be chained (caller's guarantee).
    unsafe { (*rq).__bindgen_anon_1.rq_next = list.head };
    list.head = rq;
    if list.tail.is_null() {
        list.tail = rq;
    }
}

/// Appends `rq` to `list` (C `rq_list_add_tail`).
///
/// # Safety
///
/// `list` must be a valid request list that the caller may change, and
/// `rq` a valid request on no list, whose `rq_next` the caller may use.
pub(crate) unsafe fn push_tail(list: &mut bindings::rq_list, rq: *mut bindings::request) {
    // SAFETY: `rq` is valid and free to be chained (caller's guarantee);
    // the list's tail, if any, is a valid request on it.
    unsafe {
        (*rq).__bindgen_anon_1.rq_next = ptr::null_mut();
        if list.tail.is_null() {
            list.head = rq;
        } else {
            (*list.tail).__bindgen_anon_1.rq_next = rq;
        }
    }
    list.tail = rq;
}
