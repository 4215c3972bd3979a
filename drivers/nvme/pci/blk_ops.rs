// SPDX-License-Identifier: GPL-2.0

//! The block I/O path: blk-mq operations that turn requests into NVMe
//! commands on the I/O queues, map their data with PRPs or SGLs, and finish
//! them from their completions (C `nvme_queue_rq`, `nvme_map_data`,
//! `nvme_pci_complete_rq`, `nvme_poll`, `nvme_pci_map_queues`).

use super::io_queue::IoQueue;
use super::queue_set::IoQueues;
use super::registers::PAGE_SIZE;
use crate::kernel_ext::block::batch::CompletionBatch;
use crate::kernel_ext::block::passthrough::UserCommands;
use crate::kernel_ext::block::request::{Owned, OwnedRequest, Request};
use crate::kernel_ext::block::sg::{DmaSegment, RequestSg};
use crate::kernel_ext::block::status::Status as BlkStatus;
use crate::kernel_ext::block::tag_set::{
    Disposition, HwQueue, Operations, QueueMaps, QueueType, TimeoutAction,
};
use crate::kernel_ext::device::log_ratelimit;
use crate::kernel_ext::dma_pool::PoolBlock;
use crate::nvme_core::namespace::{blk_status, Namespace, Payload};
use crate::spec::cid;
use crate::spec::command::Command;
use crate::spec::completion::{Completion, Status};
use crate::spec::io::{sectors_to_blocks, DsmRange, DSM_RANGE_SIZE, MAX_DSM_RANGES};
use crate::spec::prp::{offset_in_page, prp_list_entries, two_page_prps, walk_prps, Segment};
use crate::spec::sgl::{
    last_segment, prefer_sgl, single_segment_prefers_sgl, SglDescriptor, SglType,
};
use crate::spec::status::{block_status, disposition, Disposition as NvmeDisposition};
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// The blk-mq operations of nvme-rs.
pub struct NvmeOps;

/// Per-request state the completion path writes and the submitter reads.
#[derive(Default)]
pub struct RqShared {
    /// Generation of the request's current command identifier.
    generation: AtomicU8,
    /// Status field of the completion (phase tag included).
    status: AtomicU16,
    /// Command-specific result of the completion.
    result: AtomicU64,
    /// An Abort went out for the current command (C `iod->aborted`): the
    /// next timeout resets the controller instead.
    aborted: AtomicBool,
}

impl RqShared {
    /// Whether a completion carrying `cid` is for this request's current use.
    pub fn owns(&self, cid: u16) -> bool {
        cid::generation_matches(cid, self.generation.load(Ordering::Acquire))
    }

    /// Records `cqe` as the request's outcome and completes it, in `batch`
    /// where it can be; returns `false` if the request was no longer in
    /// flight. With the `fail_io_timeout` fault injection on, the completion
    /// may be dropped on purpose so the request times out (C
    /// `nvme_try_complete_req`, `nvme_handle_cqe`).
    pub fn finish(
        &self,
        rq: &Request<NvmeOps>,
        cqe: &Completion,
        batch: &mut CompletionBatch<'_, NvmeOps>,
    ) -> bool {
        if rq.should_fake_timeout() {
            return true;
        }
        self.result.store(
            u64::from(cqe.result_hi) << 32 | u64::from(cqe.result),
            Ordering::Relaxed,
        );
        // Pairs with the acquire in `status`, which the completion callback
        // (possibly on another CPU) reads first.
        self.status.store(cqe.status_field, Ordering::Release);
        let failed = !Status::from_field(cqe.status_field).is_success();
        rq.complete_in(batch, failed)
    }

    /// Completes the request as aborted by the host: its controller was
    /// reset and forgot the command. Block I/O is retried, a user's command
    /// fails with that status (C `nvme_cancel_request`). Returns `false` if
    /// the request was no longer in flight.
    pub fn abort(&self, rq: &Request<NvmeOps>) -> bool {
        self.result.store(0, Ordering::Relaxed);
        self.status
            .store(Status::HOST_ABORTED.to_field(), Ordering::Release);
        rq.complete()
    }

    fn status(&self) -> Status {
        Status::from_field(self.status.load(Ordering::Acquire))
    }

    /// Notes that an Abort goes out for the current command; returns
    /// whether one already had.
    pub fn mark_aborted(&self) -> bool {
        self.aborted.swap(true, Ordering::AcqRel)
    }

    /// The command identifier of the request's current command.
    pub fn cid(&self, rq: &Request<NvmeOps>) -> u16 {
        cid::encode(rq.tag() as u16, self.generation.load(Ordering::Acquire))
    }
}

/// Per-request state of the request's owner.
pub struct RqPrivate {
    sg: RequestSg,
    /// A PRP list, SGL segment or DSM range list in flight with the command.
    list: Option<PoolBlock>,
    retries: u8,
    /// The command of a passthrough request, set by its submitter.
    user_command: Option<Command>,
}

impl RqPrivate {
    /// Makes the request carry `cmd` (identifier and data pointer are set
    /// when it is sent).
    pub fn set_user_command(&mut self, cmd: Command) {
        self.user_command = Some(cmd);
    }
}

impl RqPrivate {
    /// Gives back what the command used: the data mapping and the list.
    #[inline]
    fn release(&mut self) {
        self.sg.unmap();
        // Most commands have no list: `take` looks before it drops, where
        // assigning `None` would call the drop glue every time.
        if let Some(list) = self.list.take() {
            drop(list);
        }
    }
}

/// A mapped piece of data as the PRP and SGL builders take it.
fn segment(s: DmaSegment) -> Segment {
    Segment {
        addr: s.addr,
        len: s.len,
    }
}

fn resource_or_error(err: Error) -> BlkStatus {
    if err == ENOMEM {
        BlkStatus::RESOURCE
    } else {
        BlkStatus::IO_ERROR
    }
}

impl IoQueues {
    /// Maps the request's data and points the command at it, with PRPs or,
    /// where the controller supports them and the segments are large, SGLs.
    fn map_data(
        &self,
        rq: OwnedRequest<'_, NvmeOps>,
        private: &mut RqPrivate,
        cmd: &mut Command,
        user_command: bool,
    ) -> Result<(), BlkStatus> {
        private.sg.map(rq).map_err(resource_or_error)?;
        if let Some(seg) = private.sg.only_segment() {
            // Most requests: one segment within two pages takes PRP1 and
            // PRP2 and nothing else, whatever the request (C's
            // `nvme_setup_prp_simple`).
            if let Some((prp1, prp2)) = two_page_prps(segment(seg), PAGE_SIZE) {
                cmd.set_prps(prp1, prp2);
                return Ok(());
            }
        }
        self.map_segments(private, cmd, u64::from(rq.bytes()), user_command)
    }

    /// [`Self::map_data`] for the `total` bytes its fast path does not
    /// take: an SGL, or PRPs with a list. Kept out of line so the common
    /// path's frame stays small.
    #[inline(never)]
    fn map_segments(
        &self,
        private: &mut RqPrivate,
        cmd: &mut Command,
        total: u64,
        user_command: bool,
    ) -> Result<(), BlkStatus> {
        let single = private.sg.only_segment().map(segment);
        let segments = private.sg.mapped_segments();
        let sgl = single
            .and_then(|s| {
                single_segment_prefers_sgl(
                    self.sgls,
                    false,
                    offset_in_page(s.addr, PAGE_SIZE),
                    s.len,
                    PAGE_SIZE,
                    self.sgl_threshold,
                )
            })
            .unwrap_or_else(|| {
                prefer_sgl(
                    self.sgls,
                    false,
                    user_command,
                    total,
                    segments,
                    self.sgl_threshold,
                )
            });
        if sgl {
            self.map_sgl(private, cmd, segments)
        } else {
            self.map_prps(private, cmd, total)
        }
    }

    fn map_prps(
        &self,
        private: &mut RqPrivate,
        cmd: &mut Command,
        total: u64,
    ) -> Result<(), BlkStatus> {
        let first = private.sg.segments().next().ok_or(BlkStatus::IO_ERROR)?;
        // A list is needed only for more than two pages; most requests fit
        // in PRP1 and PRP2 and need no allocation.
        let entries = prp_list_entries(offset_in_page(first.addr, PAGE_SIZE), total, PAGE_SIZE);
        let mut list = if entries > 1 {
            Some(self.pool.alloc_atomic().map_err(resource_or_error)?)
        } else {
            None
        };
        let segments = private.sg.segments().map(segment);
        // Two walks, with a list and without, so the one writing entries
        // does not ask for every page whether there is a list.
        let walk = match list.as_mut() {
            // A write past the list fails, and leaves more entries than the
            // list holds, which `prps` refuses below.
            Some(list) => walk_prps(segments, PAGE_SIZE, |i, addr| {
                let _ = list.write_u64_at(i, addr);
            }),
            None => walk_prps(segments, PAGE_SIZE, |_, _| {}),
        }
        .map_err(|_| BlkStatus::IO_ERROR)?;
        let capacity = list.as_ref().map_or(0, |l| l.size() / 8);
        let prps = walk.prps(capacity).map_err(|_| BlkStatus::IO_ERROR)?;
        let prp2 = prps.prp2_value(list.as_ref().map_or(0, |l| l.dma_handle()));
        private.list = list;
        cmd.set_prps(prps.prp1, prp2);
        Ok(())
    }

    fn map_sgl(
        &self,
        private: &mut RqPrivate,
        cmd: &mut Command,
        segments: usize,
    ) -> Result<(), BlkStatus> {
        let descriptor = |addr, len| SglDescriptor {
            addr,
            len,
            kind: SglType::DataBlock,
        };
        if segments == 1 {
            let s = private.sg.segments().next().ok_or(BlkStatus::IO_ERROR)?;
            cmd.set_sgl(descriptor(s.addr, s.len));
            return Ok(());
        }
        let mut list = self.pool.alloc_atomic().map_err(resource_or_error)?;
        for (i, s) in private.sg.segments().enumerate() {
            let [low, high] = descriptor(s.addr, s.len).to_words();
            list.write_u64_at(2 * i, low)
                .and_then(|()| list.write_u64_at(2 * i + 1, high))
                .map_err(|_| BlkStatus::IO_ERROR)?;
        }
        let segment = last_segment(list.dma_handle(), segments);
        private.list = Some(list);
        cmd.set_sgl(segment);
        Ok(())
    }

    /// Writes the request's discard ranges as a Dataset Management range
    /// list and points the command at it.
    fn map_dsm(
        &self,
        rq: OwnedRequest<'_, NvmeOps>,
        private: &mut RqPrivate,
        cmd: &mut Command,
        lba_shift: u8,
    ) -> Result<(), BlkStatus> {
        let mut list = self.pool.alloc_atomic().map_err(resource_or_error)?;
        let mut ranges = 0usize;
        for (sector, bytes) in rq.discard_ranges() {
            if ranges == MAX_DSM_RANGES as usize {
                return Err(BlkStatus::IO_ERROR);
            }
            let range = DsmRange {
                slba: sectors_to_blocks(sector, lba_shift),
                blocks: bytes >> lba_shift,
            };
            list.write_bytes(ranges * DSM_RANGE_SIZE, &range.to_bytes())
                .map_err(|_| BlkStatus::IO_ERROR)?;
            ranges += 1;
        }
        // The command announced one range per segment.
        if ranges != usize::from(rq.phys_segments()) {
            return Err(BlkStatus::IO_ERROR);
        }
        let addr = list.dma_handle();
        private.list = Some(list);
        cmd.set_prps(addr, 0);
        Ok(())
    }
}

/// Logs a block request that failed with `status`, rate-limited, as C's
/// `nvme_log_error`. A user's passthrough command is theirs to report.
fn log_error(rq: &Request<NvmeOps>, status: Status) {
    if !log_ratelimit() {
        return;
    }
    let ns = rq.queue_data();
    let shift = u32::from(ns.lba_shift);
    pr_err!(
        "{}: {:?} @ LBA {}, {} blocks, status {:#05x} (sct {:#x} / sc {:#x}){}{}\n",
        rq.disk_name(),
        rq.op(),
        rq.sector() >> shift.saturating_sub(9),
        rq.bytes() >> shift,
        status.raw() & 0x7ff,
        status.raw() >> 8 & 0x7,
        status.code(),
        if status.more() { " MORE" } else { "" },
        if status.do_not_retry() { " DNR" } else { "" }
    );
}

/// How a request whose command failed with `status` ends: retried if the
/// status allows and the request may be, else ended with the block layer's
/// status for it (C `nvme_decide_disposition`). Out of line, so the
/// completion of a successful command stays short.
#[cold]
#[inline(never)]
fn complete_failed(rq: &Request<NvmeOps>, private: &mut RqPrivate, status: Status) -> Disposition {
    // A user's command is theirs to retry: it may not be idempotent.
    let failfast = rq.is_failfast() || rq.is_passthrough();
    match disposition(status, private.retries, failfast) {
        NvmeDisposition::Retry => {
            private.retries += 1;
            Disposition::Requeue
        }
        NvmeDisposition::Complete => {
            private.retries = 0;
            if !rq.is_passthrough() {
                log_error(rq, status);
            }
            Disposition::End(blk_status(block_status(status)))
        }
    }
}

impl UserCommands for NvmeOps {
    fn outcome(rq: &Request<Self>, err: BlkStatus) -> (i32, u64) {
        let shared = rq.shared();
        // The status field without its phase tag, as C's `nvme_req()->status`.
        let status = i32::from(shared.status.load(Ordering::Acquire) >> 1);
        let status = if status != 0 { status } else { err.to_errno() };
        (status, shared.result.load(Ordering::Relaxed))
    }
}

impl Operations for NvmeOps {
    type TagSetData = Arc<IoQueues>;
    type QueueData = Arc<Namespace>;
    type HwQueueData = Arc<IoQueue>;
    type Private = RqPrivate;
    type Shared = RqShared;
    type Command = Command;

    fn init_hw_queue(set: ArcBorrow<'_, IoQueues>, index: u32) -> Result<Arc<IoQueue>> {
        set.queue(index).cloned().ok_or(EINVAL)
    }

    fn new_request(set: ArcBorrow<'_, IoQueues>) -> Result<(RqPrivate, RqShared)> {
        let private = RqPrivate {
            sg: RequestSg::new(set.pdev(), set.max_segments)?,
            list: None,
            retries: 0,
            user_command: None,
        };
        Ok((private, RqShared::default()))
    }

    fn prepare(mut rq: Owned<'_, Self>, cmd: &mut Command) -> Result<(), BlkStatus> {
        let (request, private) = rq.parts();
        let ns = request.queue_data();
        let set = request.tag_set_data();
        let user_command = request.is_passthrough();
        let payload = if user_command {
            *cmd = private.user_command.take().ok_or(BlkStatus::IO_ERROR)?;
            if request.bytes() != 0 {
                Payload::Data
            } else {
                Payload::None
            }
        } else {
            ns.command(&request, cmd)?
        };
        // One call of `map_data` for both kinds of request, so the compiler
        // can build it into this function (it does): one frame fewer on the
        // path every read and write takes.
        match payload {
            Payload::None => {}
            Payload::Data => set.map_data(request, private, cmd, user_command)?,
            Payload::DsmRanges => set.map_dsm(request, private, cmd, ns.lba_shift)?,
        }
        // A new generation per use of the tag, so a late completion of an
        // earlier use is recognised and dropped.
        let shared = request.shared();
        // No stale outcome: a passthrough caller reads the status even of a
        // request that fails before reaching the device.
        shared.status.store(0, Ordering::Relaxed);
        shared.aborted.store(false, Ordering::Relaxed);
        let generation = cid::next_generation(shared.generation.load(Ordering::Relaxed));
        shared.generation.store(generation, Ordering::Release);
        // Tags are below the queue depth, at most `cid::MAX_TAGS`.
        cmd.set_cid(cid::encode(request.tag() as u16, generation));
        Ok(())
    }

    fn unprepare(mut rq: Owned<'_, Self>) {
        rq.parts().1.release();
    }

    // Inline: the copy into the ring is short, and this runs for every
    // command; a call frame of its own costs as much.
    #[inline]
    fn submit(queue: ArcBorrow<'_, IoQueue>, cmd: &Command, last: bool) -> Result<(), BlkStatus> {
        queue.submit(cmd, last)
    }

    fn commit(queue: ArcBorrow<'_, IoQueue>) {
        queue.commit();
    }

    // Built into the batch's loop with `release`, as C's
    // `nvme_pci_unmap_rq` is into `nvme_pci_complete_batch`: a call frame
    // each would cost as much as the unmapping.
    #[inline(always)]
    fn complete(mut rq: Owned<'_, Self>) -> Disposition {
        let (request, private) = rq.parts();
        private.release();
        let status = request.shared().status();
        if status.is_success() {
            private.retries = 0;
            return Disposition::End(BlkStatus::OK);
        }
        complete_failed(&request, private, status)
    }

    fn poll(hq: &HwQueue<Self>, batch: &mut CompletionBatch<'_, Self>) -> u32 {
        hq.data().reap(|tag| hq.find_request(tag), batch)
    }

    fn timeout(rq: &Request<Self>) -> TimeoutAction {
        rq.tag_set_data().timed_out(rq)
    }

    fn map_queues(set: ArcBorrow<'_, IoQueues>, maps: &mut QueueMaps<'_>) {
        let plan = set.plan();
        let interrupt = u32::from(plan.interrupt_queues);
        // Interrupt-driven queues follow their vectors' CPU affinity; vector
        // 0 is the admin queue's unless it is the only one.
        let first_vector = if set.vectors() > 1 { 1 } else { 0 };
        maps.assign(
            QueueType::Default,
            0,
            interrupt,
            Some((set.pdev(), first_vector)),
        );
        maps.assign(QueueType::Read, 0, 0, None);
        maps.assign(
            QueueType::Poll,
            interrupt,
            u32::from(plan.poll_queues),
            None,
        );
    }
}
