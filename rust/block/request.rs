// SPDX-License-Identifier: GPL-2.0

//! Block requests and their per-request driver data.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)

use super::batch::CompletionBatch;
use super::tag_set::{complete_callback, HwQueue, Operations};
use crate::kernel_ext::bindings;
use core::sync::atomic::{AtomicU32, Ordering};
use core::{cell::UnsafeCell, marker::PhantomData};
use kernel::types::{ForeignOwnable, Opaque};

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read data.
    Read,
    /// Write data.
    Write,
    /// Flush the volatile write cache.
    Flush,
    /// Discard (deallocate) ranges.
    Discard,
    /// Write zeroes.
    WriteZeroes,
    /// Write at a zone's write pointer; the completion says where.
    ZoneAppend,
    /// Open a zone explicitly.
    ZoneOpen,
    /// Close a zone.
    ZoneClose,
    /// Make a zone full.
    ZoneFinish,
    /// Reset a zone's write pointer.
    ZoneReset,
    /// Reset every zone's write pointer.
    ZoneResetAll,
    /// Driver-private operation that reads from the device.
    DriverIn,
    /// Driver-private operation that writes to the device.
    DriverOut,
    /// Anything else, by its `REQ_OP_*` value.
    Other(u32),
}

/// The per-request data the tag set allocates behind each `struct request`.
///
/// # Invariants
///
/// Initialised in `init_request` and dropped in `exit_request`; `private` is
/// accessed only through an [`Owned`], of which at most one exists per
/// request at a time.
#[repr(C)]
pub(crate) struct Pdu<T: Operations> {
    pub(crate) shared: T::Shared,
    pub(crate) private: UnsafeCell<T::Private>,
}

/// A block request (`struct request`).
///
/// Shared references are handed to every context that deals with the
/// request; they give its attributes and the driver's `Shared` data.
///
/// # Invariants
///
/// The request belongs to a tag set of operations `T` (so its PDU is a
/// `Pdu<T>`), and references to it only exist while the tag set does.
#[repr(transparent)]
pub struct Request<T: Operations>(Opaque<bindings::request>, PhantomData<T>);

// SAFETY: requests are used from any CPU; the C block layer synchronises
// their state, and the driver parts are `Send`/`Sync` as `T` requires.
unsafe impl<T: Operations> Send for Request<T> {}
// SAFETY: as above; `&Request` only reads attributes and `Shared` data
// (`Sync`), or calls C functions that are safe to call concurrently.
unsafe impl<T: Operations> Sync for Request<T> {}

/// The request with `tag` in tag map `tags`, if the driver has it in flight
/// (C `blk_mq_tag_to_rq` with a state check): a stale or corrupt tag from
/// the device must not complete a free request.
///
/// # Safety
///
/// `tags` must be a valid tag map of a live tag set with operations `T`,
/// which outlives `'a`.
pub(crate) unsafe fn in_flight_with_tag<'a, T: Operations>(
    tags: *const bindings::blk_mq_tags,
    tag: u32,
) -> Option<&'a Request<T>> {
    // SAFETY: `tags` is valid; `rqs` has `nr_tags` entries, each null or a
    // request of the tag set, which lives as long as the tag set.
    let rq = unsafe {
        if tag >= (*tags).nr_tags {
            return None;
        }
        *(*tags).rqs.add(tag as usize)
    };
    if rq.is_null() {
        return None;
    }
    // SAFETY: a request of a tag set with operations `T`, valid for `'a`.
    let rq = unsafe { Request::<T>::from_raw(rq) };
    rq.is_in_flight().then_some(rq)
}

/// The driver's data behind request `rq` (C `blk_mq_rq_to_pdu`): the tag
/// set's `cmd_size` bytes that follow the request. Computed here rather than
/// through a C helper, as it is needed for every I/O.
///
/// # Safety
///
/// `rq` must point to a request of a tag set.
pub(crate) unsafe fn pdu_of(rq: *mut bindings::request) -> *mut kernel::ffi::c_void {
    // SAFETY: the block layer allocates the PDU right after the request.
    unsafe { rq.add(1).cast() }
}

impl<T: Operations> Request<T> {
    /// # Safety
    ///
    /// `ptr` must be a request of a live tag set with operations `T`, valid
    /// for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::request) -> &'a Self {
        // SAFETY: `Request` is a transparent wrapper; validity is the caller's.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::request {
        self.0.get()
    }

    fn pdu(&self) -> *mut Pdu<T> {
        // SAFETY: the request is valid (type invariant); its PDU is a `Pdu<T>`.
        unsafe { pdu_of(self.as_raw()).cast() }
    }

    /// The private data; only an owner of the request may dereference it.
    pub(crate) fn private_ptr(&self) -> *mut T::Private {
        // SAFETY: the PDU is initialised (type invariant of `Pdu`).
        unsafe { (*self.pdu()).private.get() }
    }

    /// The tag: unique among the in-flight requests of its hardware queue.
    pub fn tag(&self) -> u32 {
        // SAFETY: the request is valid; its tag does not change while the
        // driver has it. A started request's tag is never negative.
        unsafe { (*self.as_raw()).tag as u32 }
    }

    /// The operation.
    pub fn op(&self) -> Op {
        // SAFETY: the request is valid; its flags do not change while the
        // driver has it.
        match unsafe { (*self.as_raw()).cmd_flags } & bindings::NVME_RS_REQ_OP_MASK {
            bindings::NVME_RS_REQ_OP_READ => Op::Read,
            bindings::NVME_RS_REQ_OP_WRITE => Op::Write,
            bindings::NVME_RS_REQ_OP_FLUSH => Op::Flush,
            bindings::NVME_RS_REQ_OP_DISCARD => Op::Discard,
            bindings::NVME_RS_REQ_OP_WRITE_ZEROES => Op::WriteZeroes,
            bindings::NVME_RS_REQ_OP_ZONE_APPEND => Op::ZoneAppend,
            bindings::NVME_RS_REQ_OP_ZONE_OPEN => Op::ZoneOpen,
            bindings::NVME_RS_REQ_OP_ZONE_CLOSE => Op::ZoneClose,
            bindings::NVME_RS_REQ_OP_ZONE_FINISH => Op::ZoneFinish,
            bindings::NVME_RS_REQ_OP_ZONE_RESET => Op::ZoneReset,
            bindings::NVME_RS_REQ_OP_ZONE_RESET_ALL => Op::ZoneResetAll,
            bindings::NVME_RS_REQ_OP_DRV_IN => Op::DriverIn,
            bindings::NVME_RS_REQ_OP_DRV_OUT => Op::DriverOut,
            other => Op::Other(other),
        }
    }

    fn has_flag(&self, flag: bindings::blk_opf_t) -> bool {
        // SAFETY: as in `op`.
        unsafe { (*self.as_raw()).cmd_flags & flag != 0 }
    }

    /// Force Unit Access: the data must be on stable media when the write
    /// completes.
    pub fn is_fua(&self) -> bool {
        self.has_flag(bindings::NVME_RS_REQ_FUA)
    }

    /// For write zeroes: the blocks must stay allocated.
    pub fn is_nounmap(&self) -> bool {
        self.has_flag(bindings::NVME_RS_REQ_NOUNMAP)
    }

    /// The request carries a metadata buffer from the disk's integrity
    /// profile (C `blk_integrity_rq`).
    #[inline]
    pub fn has_metadata_buffer(&self) -> bool {
        // As C's `blk_integrity_rq`: never, without the kernel's support.
        super::integrity::SUPPORTED && self.has_flag(bindings::NVME_RS_REQ_INTEGRITY)
    }

    /// The submitter wants device errors reported, not retried.
    pub fn is_failfast(&self) -> bool {
        self.has_flag(bindings::NVME_RS_REQ_FAILFAST_DEV)
    }

    /// A driver-private request carrying a command of the driver's own
    /// (a user's passthrough command, say) rather than a block operation.
    pub fn is_passthrough(&self) -> bool {
        matches!(self.op(), Op::DriverIn | Op::DriverOut)
    }

    /// The submitter polls for the completion.
    pub fn is_polled(&self) -> bool {
        self.has_flag(bindings::NVME_RS_REQ_POLLED)
    }

    /// The first sector (512 bytes) the request addresses.
    pub fn sector(&self) -> u64 {
        // SAFETY: the request is valid; the block layer moves its position
        // only as it completes parts of it, after the driver is done.
        unsafe { (*self.as_raw()).__sector }
    }

    /// Bytes the request transfers (for discard and write zeroes: covers).
    pub fn bytes(&self) -> u32 {
        // SAFETY: as in `sector`.
        unsafe { (*self.as_raw()).__data_len }
    }

    /// Physical segments of the data, before DMA mapping (for discards: ranges).
    pub fn phys_segments(&self) -> u16 {
        // SAFETY: as in `sector`. No request here has a special payload
        // (`RQF_SPECIAL_PAYLOAD`), for which C's `blk_rq_nr_phys_segments`
        // would say 1.
        unsafe { (*self.as_raw()).nr_phys_segments }
    }

    /// The driver data every context may read.
    pub fn shared(&self) -> &T::Shared {
        // SAFETY: the PDU was initialised in `init_request` and lives as long
        // as the tag set, which outlives `self`; `shared` is only ever
        // accessed through shared references.
        unsafe { &(*self.pdu()).shared }
    }

    /// The name of the disk the request was sent to (`nvme0n1`), empty for
    /// a request queue without one.
    pub fn disk_name(&self) -> &kernel::str::CStr {
        // SAFETY: the request is valid, and so is its queue; the queue's
        // disk, if any, outlives the queue's requests, and its name is a
        // NUL-terminated string in an array.
        unsafe {
            let disk = (*(*self.as_raw()).q).disk;
            if disk.is_null() {
                return kernel::c_str!("");
            }
            kernel::str::CStr::from_char_ptr((*disk).disk_name.as_ptr())
        }
    }

    /// The data of the disk (request queue) the request was sent to.
    pub fn queue_data(&self) -> <T::QueueData as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: every request queue of a tag set with operations `T` is
        // made by `Disk::add`, which sets `queuedata` from
        // `T::QueueData::into_foreign`; it is reclaimed only after
        // `del_gendisk` has drained all requests, or replaced while the
        // queue is frozen, when no request exists (`Frozen::update`).
        unsafe { T::QueueData::borrow((*(*self.as_raw()).q).queuedata) }
    }

    /// The tag set's data.
    pub fn tag_set_data(&self) -> <T::TagSetData as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: the request's queue and its tag set outlive the request;
        // the tag set's `driver_data` is `T::TagSetData::into_foreign` for
        // the tag set's whole life (see `TagSet::new`).
        unsafe { T::TagSetData::borrow((*(*(*self.as_raw()).q).tag_set).driver_data) }
    }

    /// Whether the request is in flight: started and neither completed nor
    /// freed since.
    pub fn is_in_flight(&self) -> bool {
        // SAFETY: the request is valid; its state changes concurrently, so
        // it is read once, as C's `blk_mq_rq_state` (`READ_ONCE`) does.
        let state =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_raw()).state)) };
        state == bindings::mq_rq_state_MQ_RQ_IN_FLIGHT
    }

    /// Whether the fault injection `fail_io_timeout` wants this completion
    /// dropped, so the request times out instead. Only a completion from
    /// the hardware asks; cancelling a request must not.
    pub fn should_fake_timeout(&self) -> bool {
        // As C's `blk_should_fake_timeout`: nothing to ask unless the kernel
        // has the fault injection and this queue has it switched on.
        if !bindings::NVME_RS_FAIL_IO_TIMEOUT {
            return false;
        }
        // SAFETY: the request and its queue are valid; the flags change
        // concurrently, so they are read once.
        let flags = unsafe {
            core::ptr::read_volatile(core::ptr::addr_of!((*(*self.as_raw()).q).queue_flags))
        };
        if flags & bindings::NVME_RS_QUEUE_FLAG_FAIL_IO_MASK == 0 {
            return false;
        }
        // SAFETY: the request is valid.
        unsafe { bindings::nvme_rs_rq_should_fake_timeout(self.as_raw()) }
    }

    /// The hardware queue the request was dispatched to. Only meaningful
    /// while the request is in flight, as in the timeout callback.
    pub fn hw_queue(&self) -> Option<&HwQueue<T>> {
        // SAFETY: the request is valid.
        let hctx = unsafe { (*self.as_raw()).mq_hctx };
        // SAFETY: a started request's hardware context lives as long as its
        // request queue, which outlives every reference to the request;
        // `HwQueue` is a transparent wrapper.
        (!hctx.is_null()).then(|| unsafe { &*hctx.cast::<HwQueue<T>>() })
    }

    /// Asks the block layer to complete the request: the completion
    /// callback ([`Operations::complete`]) runs soon, on a CPU of the
    /// submitter's choosing, or right here for polled requests.
    ///
    /// Returns `false`, doing nothing, if the request is not in flight: it
    /// was completed already (the hardware reported it twice) or was never
    /// sent. The check and the transition are one atomic step.
    pub fn complete(&self) -> bool {
        self.complete_in(&mut CompletionBatch::none(), false)
    }

    /// As [`Self::complete`], but where the block layer allows it (no I/O
    /// scheduler, and for a block request no error and no `end_io`) the
    /// request joins `batch` instead: its completion callback runs when the
    /// batch is ended, with the others'. `failed` says the hardware
    /// reported an error.
    pub fn complete_in(&self, batch: &mut CompletionBatch<'_, T>, failed: bool) -> bool {
        let rq = self.as_raw();
        // Claimed atomically, so a second completion (a device repeating a
        // command identifier, say) is refused rather than ending the request
        // twice: C's `blk_mq_complete_request` marks it complete unchecked.
        // SAFETY: the request is valid; its state is only ever changed with
        // atomic operations (C `cmpxchg`, `WRITE_ONCE`), as here.
        let state = unsafe { AtomicU32::from_ptr((&raw mut (*rq).state).cast()) };
        if state
            .compare_exchange(
                bindings::mq_rq_state_MQ_RQ_IN_FLIGHT,
                bindings::mq_rq_state_MQ_RQ_COMPLETE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return false;
        }
        // The rest is C's `blk_mq_complete_request`, with the batch of
        // `nvme_handle_cqe`, written here rather than called through a C
        // helper: it runs for every completion.
        // SAFETY: the request is valid and was in flight until just now.
        if unsafe { bindings::blk_mq_complete_request_remote(rq) } {
            // Another CPU completes it.
            return true;
        }
        // SAFETY: moved out of flight just now, by this context only.
        if !unsafe { batch.add(self, failed) } {
            // SAFETY: a completed request of a tag set with operations `T`,
            // which is what that callback takes; this context completes it
            // once, as the transition above let only one context through.
            unsafe { complete_callback::<T>()(rq) };
        }
        true
    }
}

/// A request together with its private data, handed to the context that
/// owns the request.
///
/// # Invariants
///
/// At most one `Owned` exists per request at a time: the abstraction makes
/// one while the request is being prepared (before the hardware sees it)
/// and one in the completion callback (after the hardware is done with it).
pub struct Owned<'a, T: Operations> {
    rq: &'a Request<T>,
}

impl<'a, T: Operations> Owned<'a, T> {
    /// # Safety
    ///
    /// The caller must own the request: no other `Owned` for it may exist
    /// during `'a`.
    pub(crate) unsafe fn new(rq: &'a Request<T>) -> Self {
        // INVARIANT: the caller guarantees exclusivity.
        Owned { rq }
    }

    /// The request, as proof of ownership, and its private data.
    pub fn parts(&mut self) -> (OwnedRequest<'_, T>, &mut T::Private) {
        // SAFETY: by the type invariant this is the only `Owned` for the
        // request, and `&mut self` makes this the only live borrow of its
        // private data.
        let private = unsafe { &mut *self.rq.private_ptr() };
        (OwnedRequest(self.rq), private)
    }
}

/// A prepared, started request on its way to the hardware, as
/// [`Operations::submit`] gets it: the last moment its owner can read its
/// private data, where [`Operations::prepare`] left the command (C
/// `iod->cmd`), to copy the command into the hardware's queue.
///
/// Once the hardware can see the command, its completion may take the
/// request over on another CPU. So the data is lent once, by
/// [`Prepared::hand_over`], for the copy, and the request is given up when
/// that returns: the driver makes the command visible (writes the doorbell)
/// only after.
///
/// # Invariants
///
/// As [`Owned`]'s: the only owner of the request while it exists.
pub struct Prepared<'a, T: Operations>(Owned<'a, T>);

impl<'a, T: Operations> Prepared<'a, T> {
    /// # Safety
    ///
    /// As [`Owned::new`]; the request has been prepared and started.
    pub(crate) unsafe fn new(rq: &'a Request<T>) -> Self {
        // SAFETY: the caller's guarantee is `Owned::new`'s.
        Prepared(unsafe { Owned::new(rq) })
    }

    /// Lends the request's private data to `copy`, which copies the
    /// command out of it (into the hardware's queue, under the queue's
    /// lock), and gives the request up. Nothing of the borrow outlives the
    /// call (`R` cannot borrow from the data). `copy` must not make the
    /// command visible to the hardware (write the doorbell): that is the
    /// rule every [`Owned`] rests on, that the driver hands a command to
    /// the hardware only once it no longer holds its request.
    // Always inline: it is the copy of every command into its ring.
    #[inline(always)]
    pub fn hand_over<R>(mut self, copy: impl FnOnce(&T::Private) -> R) -> R {
        let (_, private) = self.0.parts();
        copy(private)
    }
}

/// A request the current context owns, borrowed from an [`Owned`]: the
/// request's data (its bios) is stable while this exists, so it can be
/// walked and mapped.
pub struct OwnedRequest<'a, T: Operations>(&'a Request<T>);

impl<T: Operations> Clone for OwnedRequest<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Operations> Copy for OwnedRequest<'_, T> {}

impl<T: Operations> core::ops::Deref for OwnedRequest<'_, T> {
    type Target = Request<T>;

    fn deref(&self) -> &Request<T> {
        self.0
    }
}

impl<'a, T: Operations> OwnedRequest<'a, T> {
    /// Says where a zone append went: its first sector, before the
    /// request ends (C sets `req->__sector` in `nvme_end_req_zoned`).
    pub fn set_appended_sector(&self, sector: u64) {
        // SAFETY: the request is owned, so nothing else reads or writes
        // its position until it is ended.
        unsafe { (*self.0.as_raw()).__sector = sector };
    }

    /// The ranges of a discard request: one per bio, as (first sector,
    /// bytes).
    pub fn discard_ranges(&self) -> DiscardRanges<'a> {
        DiscardRanges {
            // SAFETY: the request is valid; its bios stay attached while it
            // is owned, which `'a` covers. A discard request carries one
            // range per bio (the block layer merges discards as separate
            // ranges, up to `max_discard_segments`).
            bio: unsafe { (*self.0.as_raw()).bio },
            _owner: PhantomData,
        }
    }
}

/// Iterator over a discard request's ranges, from
/// [`OwnedRequest::discard_ranges`].
pub struct DiscardRanges<'a> {
    bio: *mut bindings::bio,
    _owner: PhantomData<&'a ()>,
}

impl Iterator for DiscardRanges<'_> {
    type Item = (u64, u32);

    fn next(&mut self) -> Option<(u64, u32)> {
        if self.bio.is_null() {
            return None;
        }
        // SAFETY: `bio` is in the owned request's bio chain, which does not
        // change while the request is owned (the iterator borrows the owner).
        let bio = unsafe { &*self.bio };
        self.bio = bio.bi_next;
        Some((bio.bi_iter.bi_sector, bio.bi_iter.bi_size))
    }
}
