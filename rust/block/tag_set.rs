// SPDX-License-Identifier: GPL-2.0

//! Tag sets: the requests of a multi-queue block driver and the operations
//! the block layer calls on them.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)

use super::batch::{self, CompletionBatch};
use super::request::{in_flight_with_tag, Owned, Pdu, Prepared, Request};
use super::status::Status;
use crate::kernel_ext::{bindings, pci};
use core::{cell::UnsafeCell, marker::PhantomData, mem::size_of, ptr, ptr::NonNull};
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::{error::to_result, prelude::*, types::ForeignOwnable, types::Opaque};

/// Kinds of hardware queue (`enum hctx_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueType {
    /// Everything not otherwise mapped; interrupt driven.
    Default,
    /// Reads, if mapped separately.
    Read,
    /// Requests whose submitter polls for completion.
    Poll,
}

impl QueueType {
    fn index(self) -> usize {
        (match self {
            QueueType::Default => bindings::NVME_RS_HCTX_TYPE_DEFAULT,
            QueueType::Read => bindings::NVME_RS_HCTX_TYPE_READ,
            QueueType::Poll => bindings::NVME_RS_HCTX_TYPE_POLL,
        }) as usize
    }
}

/// What the completion callback decided for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// End the request with this status.
    End(Status),
    /// Send it again later (the command failed in a retryable way).
    Requeue,
    /// Send it again, but not before this many milliseconds have passed
    /// (the device asked for a delay before the retry).
    RequeueAfter(u32),
}

/// What the timeout callback did with a request (`enum blk_eh_timer_return`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutAction {
    /// The request was completed (or will be, by whoever took it over).
    Done,
    /// Give the request another full timeout.
    ResetTimer,
}

/// The operations of a multi-queue block driver.
///
/// The methods with a default body are optional, as their entries in C's
/// `struct blk_mq_ops` are: one a driver does not implement leaves its entry
/// null, and the block layer does without it (the default bodies are never
/// called; a call would fail the build). A driver implements this trait in an
/// `impl` block marked `#[vtable]`, which records which ones it provides.
///
/// The others are required even where C's entry may be null:
/// [`Operations::init_hw_queue`] and [`Operations::new_request`] (C
/// `init_hctx` and `init_request`) make the hardware queue data and the
/// per-request data that [`HwQueue::data`] and [`Owned`] hand out, and
/// [`Operations::complete`] is what every completion of a request, batched
/// or not, ends in.
#[vtable]
pub trait Operations: Sized + Send + Sync + 'static {
    /// Data of the whole tag set: the driver's hardware queues.
    type TagSetData: ForeignOwnable + Send + Sync;
    /// Data of each disk (request queue): its namespace, say.
    type QueueData: ForeignOwnable + Send + Sync;
    /// Data of each hardware queue context: the driver's queue pair, say.
    /// Kept in the context (C `hctx->driver_data`, which the NVMe driver
    /// points at its queue in `init_hctx`), where submission finds it with
    /// one load.
    type HwQueueData: ForeignOwnable + Send + Sync;
    /// Per-request data used only by the request's owner.
    type Private: Send;
    /// Per-request data every context may read, such as a completion status
    /// written by the interrupt handler.
    type Shared: Send + Sync;

    /// Makes the data of hardware queue `index`, when a disk's hardware
    /// context for it is set up.
    fn init_hw_queue(
        set: <Self::TagSetData as ForeignOwnable>::Borrowed<'_>,
        index: u32,
    ) -> Result<Self::HwQueueData>;

    /// Makes the per-request data, once per request when the tag set is
    /// allocated.
    fn new_request(
        set: <Self::TagSetData as ForeignOwnable>::Borrowed<'_>,
    ) -> Result<(Self::Private, Self::Shared)>;

    /// Builds the hardware command for a request in its private data (and
    /// maps its data for DMA, say), where [`Operations::submit`] copies it
    /// from: a command is built once, in the request, and copied once, into
    /// the hardware's queue (C `iod->cmd`). The request is started (its
    /// timeout timer armed) only once this succeeds, as C's `nvme_prep_rq`
    /// does.
    fn prepare(rq: Owned<'_, Self>) -> Result<(), Status>;

    /// Undoes [`Operations::prepare`], or what of it was done before it
    /// failed, for a command that was not submitted.
    fn unprepare(rq: Owned<'_, Self>);

    /// Hands the prepared request `rq` to the hardware queue whose data is
    /// `hw`: copies its command into the queue with [`Prepared::hand_over`],
    /// then makes it visible to the hardware (C `nvme_sq_copy_cmd` and
    /// `nvme_write_sq_db`). `last` says no further request follows right
    /// away, so doorbells can be batched. An error means the command did
    /// not reach the hardware.
    fn submit(
        hw: <Self::HwQueueData as ForeignOwnable>::Borrowed<'_>,
        rq: Prepared<'_, Self>,
        last: bool,
    ) -> Result<(), Status>;

    /// Flushes batched submissions of the hardware queue whose data is `hw`
    /// (C `commit_rqs`). Optional: a driver without it must make every
    /// command visible to the hardware in [`Operations::submit`], whatever
    /// `last` says, since nothing else would.
    fn commit(_hw: <Self::HwQueueData as ForeignOwnable>::Borrowed<'_>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Finishes a request the hardware is done with (undoes the mapping)
    /// and says how it ends.
    fn complete(rq: Owned<'_, Self>) -> Disposition;

    /// Reaps completions of polled hardware queue `hq`, adding what it
    /// can to the poller's `batch`; returns how many. Optional: without it a
    /// tag set has no poll queues (see [`TagSetConfig::maps`]).
    fn poll(_hq: &HwQueue<Self>, _batch: &mut CompletionBatch<'_, Self>) -> u32 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A request has been in flight longer than the queue's timeout. Runs
    /// in process context (the block layer's timeout work) and may sleep;
    /// the request may be completed concurrently. Optional: without it the
    /// block layer only rearms the timer (and hides the queue's
    /// `io_timeout` attribute).
    fn timeout(_rq: &Request<Self>) -> TimeoutAction {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Assigns hardware queues to CPUs for each queue type. Optional:
    /// without it the block layer spreads the CPUs evenly over the queues,
    /// which it can do for one queue type only (see [`TagSetConfig::maps`]).
    fn map_queues(
        _set: <Self::TagSetData as ForeignOwnable>::Borrowed<'_>,
        _maps: &mut QueueMaps<'_>,
    ) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A hardware queue context, as the callbacks see it.
#[repr(transparent)]
pub struct HwQueue<T: Operations>(Opaque<bindings::blk_mq_hw_ctx>, PhantomData<T>);

impl<T: Operations> HwQueue<T> {
    /// The data [`Operations::init_hw_queue`] made for this context.
    pub fn data(&self) -> <T::HwQueueData as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: `driver_data` is `T::HwQueueData::into_foreign` from
        // `init_hctx`, released only by `exit_hctx`, after the context's
        // last use.
        unsafe { T::HwQueueData::borrow((*self.0.get()).driver_data) }
    }

    /// The in-flight request with `tag` on this hardware queue, if any.
    pub fn find_request(&self, tag: u32) -> Option<&Request<T>> {
        // SAFETY: the context is valid, and its tag map is one of the tag
        // set's, which outlives the context.
        unsafe { in_flight_with_tag((*self.0.get()).tags, tag) }
    }
}

/// The queue maps of a tag set, for [`Operations::map_queues`].
pub struct QueueMaps<'a> {
    set: *mut bindings::blk_mq_tag_set,
    _set: PhantomData<&'a mut ()>,
}

impl QueueMaps<'_> {
    fn map(&mut self, kind: QueueType) -> Option<*mut bindings::blk_mq_queue_map> {
        // SAFETY: the tag set is valid during the callback.
        let nr_maps = unsafe { (*self.set).nr_maps } as usize;
        if kind.index() >= nr_maps {
            return None;
        }
        // SAFETY: `index < nr_maps <= HCTX_MAX_TYPES`.
        Some(unsafe { ptr::addr_of_mut!((*self.set).map[kind.index()]) })
    }

    /// Gives queue type `kind` the `count` hardware queues starting at
    /// `first`, spread over the CPUs by the affinity of the device's
    /// interrupt vectors from `first_vector` on (`blk_mq_pci_map_queues`),
    /// or evenly when `pci` is `None` or a vector has no affinity mask
    /// (`blk_mq_map_queues`; the PCI variant would warn and put every CPU on
    /// one queue). A type with no queues, or one the tag set has no map
    /// for, is left alone.
    pub fn assign(
        &mut self,
        kind: QueueType,
        first: u32,
        count: u32,
        pci: Option<(&pci::Device, u32)>,
    ) {
        let Some(map) = self.map(kind) else { return };
        // SAFETY: `map` points into the valid tag set.
        unsafe {
            (*map).nr_queues = count;
            (*map).queue_offset = first;
        }
        if count == 0 {
            return;
        }
        let by_affinity = pci.filter(|(dev, vector)| {
            (0..count).all(|i| {
                // SAFETY: the device is valid while borrowed; an index beyond
                // its vectors gives null.
                let mask =
                    unsafe { bindings::pci_irq_get_affinity(dev.as_raw(), (vector + i) as _) };
                !mask.is_null()
            })
        });
        match by_affinity {
            // SAFETY: `map` is valid with its queue count set, and the
            // device is valid while borrowed.
            Some((dev, vector)) => unsafe {
                bindings::blk_mq_pci_map_queues(map, dev.as_raw(), vector as _)
            },
            // SAFETY: `map` is valid with its queue count set.
            None => unsafe { bindings::blk_mq_map_queues(map) },
        }
    }
}

/// Shape of a tag set.
pub struct TagSetConfig {
    /// Hardware queues, all types together.
    pub hw_queues: u32,
    /// Queue types: 1 (default), 2 (default, read) or 3 (with poll). More
    /// than 1 needs [`Operations::map_queues`] (the block layer's own
    /// mapping would `BUG`), and 3 needs [`Operations::poll`] (the block
    /// layer polls a tag set with a poll map); [`TagSet::new`] refuses
    /// other shapes.
    pub maps: u32,
    /// Requests per hardware queue.
    pub depth: u32,
    /// Request timeout in milliseconds.
    pub timeout_ms: u32,
}

/// A tag set.
///
/// # Invariants
///
/// `set` was allocated by `blk_mq_alloc_tag_set` with operations `T`, and
/// its `driver_data` is `T::TagSetData::into_foreign`; both are released
/// in `drop`.
#[pin_data(PinnedDrop)]
pub struct TagSet<T: Operations> {
    #[pin]
    set: Opaque<bindings::blk_mq_tag_set>,
    _ops: PhantomData<T>,
}

// SAFETY: the tag set is used from any CPU; the block layer synchronises it.
unsafe impl<T: Operations> Send for TagSet<T> {}
// SAFETY: shared use only reads the tag set or calls thread-safe C code.
unsafe impl<T: Operations> Sync for TagSet<T> {}

impl<T: Operations> TagSet<T> {
    /// Allocates a tag set with `data` as its data.
    ///
    /// Fails with `EINVAL` if `config` asks for queue maps the operations
    /// cannot serve (see [`TagSetConfig::maps`]).
    pub fn new(data: T::TagSetData, config: TagSetConfig) -> impl PinInit<Self, Error> {
        const {
            assert!(core::mem::align_of::<Pdu<T>>() <= core::mem::align_of::<u64>());
        };
        let init = move |slot: *mut Opaque<bindings::blk_mq_tag_set>| {
            // Without `map_queues`, `blk_mq_update_queue_map` `BUG`s on more
            // than one map; without `poll`, `blk_hctx_poll` would call a null
            // pointer on a tag set with a poll map (which makes its disks
            // pollable, `blk_mq_alloc_queue`).
            let needs_map_queues = config.maps > 1;
            let needs_poll = config.maps > bindings::NVME_RS_HCTX_TYPE_POLL;
            if (needs_map_queues && !T::HAS_MAP_QUEUES) || (needs_poll && !T::HAS_POLL) {
                return Err(EINVAL);
            }
            let set = Opaque::raw_get(slot);
            let timeout = {
                // SAFETY: pure conversion.
                let jiffies = unsafe { bindings::nvme_rs_msecs_to_jiffies(config.timeout_ms) };
                u32::try_from(jiffies).unwrap_or(u32::MAX)
            };
            let foreign = data.into_foreign();
            // SAFETY: `set` is valid for writes; a zeroed tag set with these
            // fields is what `blk_mq_alloc_tag_set` expects.
            unsafe {
                set.write(Default::default());
                (*set).ops = OperationsVTable::<T>::build();
                (*set).nr_hw_queues = config.hw_queues;
                (*set).nr_maps = config.maps;
                (*set).queue_depth = config.depth;
                (*set).cmd_size = size_of::<Pdu<T>>() as u32;
                (*set).numa_node = -1;
                (*set).timeout = timeout;
                (*set).flags = bindings::NVME_RS_BLK_MQ_F_SHOULD_MERGE;
                (*set).driver_data = foreign as *mut _;
            }
            // SAFETY: `set` is initialised as the function requires.
            let ret = to_result(unsafe { bindings::blk_mq_alloc_tag_set(set) });
            if ret.is_err() {
                // SAFETY: allocation failed, so nothing else holds `foreign`.
                drop(unsafe { T::TagSetData::from_foreign(foreign) });
            }
            ret
        };
        // SAFETY: on success `init` leaves `set` allocated, which `drop`
        // frees; on error it has released everything it took.
        let set = unsafe { kernel::init::pin_init_from_closure(init) };
        // INVARIANT: allocated by the initialiser above.
        try_pin_init!(Self {
            set <- set,
            _ops: PhantomData,
        })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::blk_mq_tag_set {
        self.set.get()
    }

    /// The tag set's data.
    pub fn data(&self) -> <T::TagSetData as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: `driver_data` came from `into_foreign` (type invariant).
        unsafe { T::TagSetData::borrow((*self.as_raw()).driver_data) }
    }

    /// Stops dispatching requests to the driver on every queue of the tag
    /// set, waiting for dispatches in progress; requests wait in blk-mq.
    pub fn quiesce(&self) {
        // SAFETY: the tag set is allocated (type invariant).
        unsafe { bindings::blk_mq_quiesce_tagset(self.as_raw()) };
    }

    /// Resumes dispatching after [`Self::quiesce`].
    pub fn unquiesce(&self) {
        // SAFETY: the tag set is allocated (type invariant).
        unsafe { bindings::blk_mq_unquiesce_tagset(self.as_raw()) };
    }

    /// Calls `f` on every request the driver has started and not completed
    /// (`blk_mq_tagset_busy_iter`), then waits until the completions `f`
    /// started have run (`blk_mq_tagset_wait_completed_request`). For
    /// cancelling the requests of a controller that was reset.
    pub fn for_each_started<F: FnMut(&Request<T>)>(&self, mut f: F) {
        /// # Safety
        ///
        /// Called by `blk_mq_tagset_busy_iter` with `data` the `F` below.
        unsafe extern "C" fn visit<T: Operations, F: FnMut(&Request<T>)>(
            rq: *mut bindings::request,
            data: *mut kernel::ffi::c_void,
        ) -> bool {
            // SAFETY: `data` is the closure, borrowed for the iteration; `rq`
            // is a request of this tag set, referenced during the call.
            unsafe { (*data.cast::<F>())(Request::from_raw(rq)) };
            true
        }
        // SAFETY: the tag set is allocated; the closure outlives the call.
        unsafe {
            bindings::blk_mq_tagset_busy_iter(
                self.as_raw(),
                Some(visit::<T, F>),
                (&raw mut f).cast(),
            );
            bindings::blk_mq_tagset_wait_completed_request(self.as_raw());
        }
    }

    /// The tag map of hardware queue `hctx`, where an interrupt handler
    /// finds the requests its completions are for. Looked up once per
    /// interrupt rather than once per completion.
    pub fn hw_tags(&self, hctx: u32) -> Option<HwTags<'_, T>> {
        let set = self.as_raw();
        // SAFETY: the tag set is allocated (type invariant): `tags` has
        // `nr_hw_queues` entries, each null or a valid tag map of this tag
        // set, which lives as long as `self`.
        let tags = unsafe {
            if hctx >= (*set).nr_hw_queues || (*set).tags.is_null() {
                return None;
            }
            *(*set).tags.add(hctx as usize)
        };
        // INVARIANT: a tag map of this tag set, which outlives the borrow.
        NonNull::new(tags).map(|tags| HwTags {
            tags,
            _set: PhantomData,
        })
    }
}

/// The tag map of one hardware queue (C `struct blk_mq_tags`).
///
/// # Invariants
///
/// `tags` is a valid tag map of a live tag set with operations `T` that
/// outlives `'a`.
pub struct HwTags<'a, T: Operations> {
    // Not null, so that an `Option` of this is one word, tested for null.
    tags: NonNull<bindings::blk_mq_tags>,
    _set: PhantomData<(&'a TagSet<T>, T)>,
}

impl<'a, T: Operations> HwTags<'a, T> {
    /// The in-flight request with `tag`, if any.
    #[inline]
    pub fn find_request(&self, tag: u32) -> Option<&'a Request<T>> {
        // SAFETY: a valid tag map of a tag set with operations `T` that
        // outlives `'a` (type invariant).
        unsafe { in_flight_with_tag(self.tags.as_ptr(), tag) }
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for TagSet<T> {
    fn drop(self: Pin<&mut Self>) {
        let set = self.as_raw();
        // SAFETY: allocated (type invariant); every disk of this tag set holds
        // an `Arc` of it, so none is left. Freeing runs `exit_request`.
        unsafe { bindings::blk_mq_free_tag_set(set) };
        // SAFETY: the block layer no longer uses `driver_data`.
        drop(unsafe { T::TagSetData::from_foreign((*set).driver_data) });
    }
}

/// Why [`OperationsVTable::issue`] did not hand a command to the hardware.
enum Unsent {
    /// It could not be prepared; the request was not started.
    Idle(Status),
    /// It could not be submitted; the request was started.
    Started(Status),
}

/// The callback that ends a completion batch of requests of operations `T`,
/// for [`Request::complete_in`].
pub(crate) fn batch_callback<T: Operations>() -> unsafe extern "C" fn(*mut bindings::io_comp_batch)
{
    OperationsVTable::<T>::complete_batch
}

/// The block layer's completion callback of operations `T` (what C reaches
/// as `rq->q->mq_ops->complete`), for [`Request::complete_in`] to call for a
/// request it does not add to a batch.
pub(crate) fn complete_callback<T: Operations>() -> unsafe extern "C" fn(*mut bindings::request) {
    OperationsVTable::<T>::complete
}

struct OperationsVTable<T: Operations>(PhantomData<T>);

impl<T: Operations> OperationsVTable<T> {
    /// Prepares `rq`, starts it and hands its command to hardware queue
    /// `hq` (C `nvme_prep_rq` and `nvme_sq_copy_cmd`).
    ///
    /// # Safety
    ///
    /// `rq` must be a request of a tag set with operations `T`, handed to
    /// the driver by the block layer and not started.
    // Built into both callers, as C's `nvme_queue_rq` does the work itself
    // rather than calling it: called, passing the outcome back cost 12
    // instructions a request. (The driver's `submit` must be built in with
    // it; left to the compiler, it came out of line and the whole was
    // worse than the call.)
    #[inline(always)]
    unsafe fn issue(rq: &Request<T>, hq: &HwQueue<T>, last: bool) -> Result<(), Unsent> {
        // SAFETY: the block layer handed the request to the driver, and the
        // hardware has not seen it: this context is its only owner.
        if let Err(status) = T::prepare(unsafe { Owned::new(rq) }) {
            // SAFETY: nothing reached the hardware; still the only owner.
            T::unprepare(unsafe { Owned::new(rq) });
            return Err(Unsent::Idle(status));
        }
        // Started before the hardware can see it: its completion looks for a
        // request in flight.
        // SAFETY: the request is valid and not started (caller's guarantee).
        unsafe { bindings::blk_mq_start_request(rq.as_raw()) };
        // SAFETY: still the only owner: prepared and started, and not yet
        // seen by the hardware.
        let prepared = unsafe { Prepared::new(rq) };
        T::submit(hq.data(), prepared, last).map_err(|status| {
            // SAFETY: the command never reached the hardware, so this
            // context still owns the request.
            T::unprepare(unsafe { Owned::new(rq) });
            Unsent::Started(status)
        })
    }

    /// # Safety
    ///
    /// Called by the block layer for a request of a tag set with operations
    /// `T`, which the hardware context and `bd` are valid for.
    unsafe extern "C" fn queue_rq(
        hctx: *mut bindings::blk_mq_hw_ctx,
        bd: *const bindings::blk_mq_queue_data,
    ) -> bindings::blk_status_t {
        // SAFETY: `bd` and `hctx` are valid during the call (`HwQueue` is
        // transparent); `bd.rq` is a request of this tag set, handed over
        // and not started.
        let result = unsafe {
            Self::issue(
                Request::from_raw((*bd).rq),
                &*hctx.cast::<HwQueue<T>>(),
                (*bd).last,
            )
        };
        match result {
            Ok(()) => Status::OK.raw(),
            // The block layer deals with a started request too: it requeues
            // or ends it by the status.
            Err(Unsent::Idle(status) | Unsent::Started(status)) => status.raw(),
        }
    }

    /// Issues a plugged list of requests of one request queue at once (C
    /// `nvme_queue_rqs`): each hardware queue's doorbell is written for the
    /// last of its requests, not through `commit_rqs`, and the block layer's
    /// per-request dispatch is skipped. Requests that could not be prepared
    /// are left on the list, which the block layer then issues one by one
    /// through `queue_rq`, with its handling of their errors.
    ///
    /// # Safety
    ///
    /// Called by the block layer with a valid list of requests of a tag set
    /// with operations `T`, handed to the driver and not started.
    unsafe extern "C" fn queue_rqs(list: *mut bindings::rq_list) {
        // SAFETY: the list is valid and the driver's during the call.
        let list = unsafe { &mut *list };
        let mut leftover = bindings::rq_list::default();
        // SAFETY: the list is valid.
        while let Some(raw) = unsafe { batch::pop(list) } {
            let next = batch::peek(list);
            // SAFETY: requests on the list are valid and have been assigned
            // a hardware context; so has `next`, if any.
            let (hctx, last) = unsafe {
                let hctx = (*raw).mq_hctx;
                (hctx, next.is_null() || (*next).mq_hctx != hctx)
            };
            // SAFETY: `hctx` is valid while its request is; `HwQueue` is
            // transparent.
            let hq = unsafe { &*hctx.cast::<HwQueue<T>>() };
            // SAFETY: a request of this tag set, valid during the call.
            let rq = unsafe { Request::<T>::from_raw(raw) };
            // SAFETY: handed over and not started, as the list's requests are.
            let Err(unsent) = (unsafe { Self::issue(rq, hq, last) }) else {
                continue;
            };
            if last && T::HAS_COMMIT {
                // The commands already copied for this hardware queue were
                // waiting for this one to ring the doorbell. (A driver
                // without `commit` rang it for each of them.)
                T::commit(hq.data());
            }
            match unsent {
                // SAFETY: popped off the list, so on none; not started.
                Unsent::Idle(_) => unsafe { batch::push_tail(&mut leftover, raw) },
                Unsent::Started(status) => Self::end_unsent(rq, status),
            }
        }
        *list = leftover;
    }

    /// Ends a started request whose command was never sent, as the block
    /// layer does for one `queue_rq` refuses: a resource shortage
    /// requeues it, anything else fails it.
    fn end_unsent(rq: &Request<T>, status: Status) {
        let disposition = if status == Status::RESOURCE || status == Status::DEV_RESOURCE {
            Disposition::Requeue
        } else {
            Disposition::End(status)
        };
        Self::end(rq, disposition);
    }

    /// Ends or requeues a request as its completion callback decided.
    fn end(rq: &Request<T>, disposition: Disposition) {
        match disposition {
            // SAFETY: the request is valid, and ended exactly once: its
            // owner gives it up here.
            Disposition::End(status) => unsafe {
                bindings::blk_mq_end_request(rq.as_raw(), status.raw())
            },
            // SAFETY: as above; the block layer sends it again later.
            Disposition::Requeue | Disposition::RequeueAfter(0) => unsafe {
                bindings::blk_mq_requeue_request(rq.as_raw(), true)
            },
            Disposition::RequeueAfter(ms) => {
                // SAFETY: the request is valid and still the caller's, so
                // its queue is too. The kick is scheduled first: once the
                // request is given back below, it may be sent, ended and
                // its tag reused before this goes on. The work runs `ms`
                // later and finds it on the list, as C's `nvme_retry_req`
                // intends.
                unsafe {
                    bindings::blk_mq_delay_kick_requeue_list(
                        (*rq.as_raw()).q,
                        ms as kernel::ffi::c_ulong,
                    )
                };
                // SAFETY: as for `Requeue`; not kicked now, so it waits on
                // the queue's requeue list for the kick above.
                unsafe { bindings::blk_mq_requeue_request(rq.as_raw(), false) };
            }
        }
    }

    /// # Safety
    ///
    /// Called by the block layer with a valid hardware context.
    unsafe extern "C" fn commit_rqs(hctx: *mut bindings::blk_mq_hw_ctx) {
        // SAFETY: `hctx` is valid for the call; `HwQueue` is transparent.
        let hq = unsafe { &*hctx.cast::<HwQueue<T>>() };
        T::commit(hq.data());
    }

    /// # Safety
    ///
    /// Called for a request of this tag set that was moved out of flight:
    /// by the block layer after `blk_mq_complete_request`, or by
    /// [`Request::complete_in`] for one it did not add to a batch.
    // Out of line: besides the block layer, only `Request::complete_in`
    // calls it, for the few requests that cannot join a batch, and built in
    // there it would keep that per-completion path from being built into
    // the driver's loop.
    #[inline(never)]
    unsafe extern "C" fn complete(rq: *mut bindings::request) {
        // SAFETY: a request of this tag set, valid during the call.
        let rq = unsafe { Request::<T>::from_raw(rq) };
        // SAFETY: the hardware is done with the request and the completion
        // callback runs once per completion: this context owns it.
        Self::end(rq, T::complete(unsafe { Owned::new(rq) }));
    }

    /// Ends a batch of completed requests of this tag set (C
    /// `nvme_pci_complete_batch`): each goes through the completion
    /// callback, then those ending successfully are ended together; any
    /// other outcome (only possible for a request that failed) is handled
    /// on its own.
    ///
    /// # Safety
    ///
    /// Called through an `io_comp_batch` whose requests were added with this
    /// callback by [`Request::complete_in`], so are completed requests of
    /// a tag set with operations `T`.
    unsafe extern "C" fn complete_batch(iob: *mut bindings::io_comp_batch) {
        // SAFETY: the batch is valid and ours during the call.
        let iob = unsafe { &mut *iob };
        let mut ending = bindings::rq_list::default();
        // SAFETY: the batch's list is valid.
        while let Some(raw) = unsafe { batch::pop(&mut iob.req_list) } {
            // SAFETY: a request of this tag set (callback's contract).
            let rq = unsafe { Request::<T>::from_raw(raw) };
            // SAFETY: completed by the hardware; the batch hands each of its
            // requests to this callback once, so this context owns it.
            match T::complete(unsafe { Owned::new(rq) }) {
                // SAFETY: popped off the batch, so on no list.
                Disposition::End(Status::OK) => unsafe { batch::push_tail(&mut ending, raw) },
                other => Self::end(rq, other),
            }
        }
        if !ending.head.is_null() {
            iob.req_list = ending;
            // SAFETY: the batch holds only requests whose owners are done,
            // each ended here exactly once.
            unsafe { bindings::blk_mq_end_request_batch(iob) };
        }
    }

    /// # Safety
    ///
    /// Called by the block layer with a valid polled hardware context.
    unsafe extern "C" fn poll(
        hctx: *mut bindings::blk_mq_hw_ctx,
        iob: *mut bindings::io_comp_batch,
    ) -> kernel::ffi::c_int {
        // SAFETY: `hctx` is valid for the call; `HwQueue` is transparent.
        let hq = unsafe { &*hctx.cast::<HwQueue<T>>() };
        // SAFETY: the poller's batch is null or valid, and lent to this call.
        let mut batch = unsafe { CompletionBatch::from_raw(iob) };
        T::poll(hq, &mut batch).min(i32::MAX as u32) as kernel::ffi::c_int
    }

    /// # Safety
    ///
    /// Called by the block layer's timeout work for a started request of a
    /// tag set with operations `T`.
    unsafe extern "C" fn timeout(rq: *mut bindings::request) -> bindings::blk_eh_timer_return {
        // SAFETY: a request of this tag set, valid during the call.
        let rq = unsafe { Request::<T>::from_raw(rq) };
        match T::timeout(rq) {
            TimeoutAction::Done => bindings::blk_eh_timer_return_BLK_EH_DONE,
            TimeoutAction::ResetTimer => bindings::blk_eh_timer_return_BLK_EH_RESET_TIMER,
        }
    }

    /// # Safety
    ///
    /// Called by the block layer when it sets up hardware context `hctx` of
    /// a tag set with operations `T`, whose `driver_data` is `data`.
    unsafe extern "C" fn init_hctx(
        hctx: *mut bindings::blk_mq_hw_ctx,
        data: *mut kernel::ffi::c_void,
        index: kernel::ffi::c_uint,
    ) -> kernel::ffi::c_int {
        // SAFETY: `data` is `T::TagSetData::into_foreign`, alive as long as
        // the tag set, which outlives this call.
        let set = unsafe { T::TagSetData::borrow(data) };
        match T::init_hw_queue(set, index) {
            Ok(hw) => {
                // SAFETY: `hctx` is valid and not yet used; `exit_hctx`
                // takes the data back.
                unsafe { (*hctx).driver_data = hw.into_foreign() as *mut _ };
                0
            }
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the block layer when it tears down a hardware context that
    /// `init_hctx` set up, after its last use.
    unsafe extern "C" fn exit_hctx(
        hctx: *mut bindings::blk_mq_hw_ctx,
        _index: kernel::ffi::c_uint,
    ) {
        // SAFETY: `driver_data` is the `into_foreign` of `init_hctx`, taken
        // back once, here.
        drop(unsafe { T::HwQueueData::from_foreign((*hctx).driver_data) });
    }

    /// # Safety
    ///
    /// Called by `blk_mq_alloc_tag_set` for each request, whose PDU is
    /// `cmd_size` (the size of `Pdu<T>`) uninitialised bytes.
    unsafe extern "C" fn init_request(
        set: *mut bindings::blk_mq_tag_set,
        rq: *mut bindings::request,
        _hctx_idx: kernel::ffi::c_uint,
        _numa_node: kernel::ffi::c_uint,
    ) -> kernel::ffi::c_int {
        // SAFETY: `driver_data` is `T::TagSetData` (set before allocation).
        let data = unsafe { T::TagSetData::borrow((*set).driver_data) };
        match T::new_request(data) {
            Ok((private, shared)) => {
                // SAFETY: the PDU is valid, suitably aligned (checked in
                // `TagSet::new`) and uninitialised.
                unsafe {
                    super::request::pdu_of(rq).cast::<Pdu<T>>().write(Pdu {
                        shared,
                        private: UnsafeCell::new(private),
                    })
                };
                0
            }
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called when the tag set frees a request that `init_request` set up.
    unsafe extern "C" fn exit_request(
        _set: *mut bindings::blk_mq_tag_set,
        rq: *mut bindings::request,
        _hctx_idx: kernel::ffi::c_uint,
    ) {
        // SAFETY: the PDU was initialised by `init_request` and is dropped once.
        unsafe { ptr::drop_in_place(super::request::pdu_of(rq).cast::<Pdu<T>>()) };
    }

    /// # Safety
    ///
    /// Called by the block layer with a valid tag set of operations `T`.
    unsafe extern "C" fn map_queues(set: *mut bindings::blk_mq_tag_set) {
        // SAFETY: `driver_data` is `T::TagSetData`.
        let data = unsafe { T::TagSetData::borrow((*set).driver_data) };
        let mut maps = QueueMaps {
            set,
            _set: PhantomData,
        };
        T::map_queues(data, &mut maps);
    }

    // Entries not named are none; which entries exist depends on the kernel
    // configuration (`show_rq` on `CONFIG_BLK_DEBUG_FS`). Optional methods
    // the driver does not implement leave their entry none, which 6.12's
    // blk-mq checks for each of them before calling (`commit_rqs` in
    // `blk_mq_commit_rqs`, `timeout` in `blk_mq_rq_timed_out`, `map_queues`
    // in `blk_mq_update_queue_map`) or, for `poll`, never calls without a
    // poll map, which `TagSet::new` refuses.
    const VTABLE: bindings::blk_mq_ops = bindings::blk_mq_ops {
        queue_rq: Some(Self::queue_rq),
        queue_rqs: Some(Self::queue_rqs),
        commit_rqs: if T::HAS_COMMIT {
            Some(Self::commit_rqs)
        } else {
            None
        },
        poll: if T::HAS_POLL { Some(Self::poll) } else { None },
        complete: Some(Self::complete),
        timeout: if T::HAS_TIMEOUT {
            Some(Self::timeout)
        } else {
            None
        },
        init_request: Some(Self::init_request),
        exit_request: Some(Self::exit_request),
        map_queues: if T::HAS_MAP_QUEUES {
            Some(Self::map_queues)
        } else {
            None
        },
        init_hctx: Some(Self::init_hctx),
        exit_hctx: Some(Self::exit_hctx),
        // SAFETY: every entry is an optional function pointer; zero is none.
        ..unsafe { core::mem::zeroed() }
    };

    const fn build() -> &'static bindings::blk_mq_ops {
        &Self::VTABLE
    }
}
