// SPDX-License-Identifier: GPL-2.0

//! The block I/O path: blk-mq operations that turn requests into NVMe
//! commands on the I/O queues, have their data mapped (`data_map`), and
//! finish them from their completions (C `nvme_queue_rq`,
//! `nvme_pci_complete_rq`, `nvme_poll`, `nvme_pci_map_queues`).

use super::config::PARAMETERS;
use super::io_queue::IoQueue;
use super::queue_set::IoQueues;
use super::request::{DataMapping, NvmeOps, RqPrivate, RqShared};
use crate::kernel_ext::block::batch::CompletionBatch;
use crate::kernel_ext::block::integrity::MetadataMap;
use crate::kernel_ext::block::passthrough::UserCommands;
use crate::kernel_ext::block::request::{Op, Owned, OwnedRequest, Prepared, Request};
use crate::kernel_ext::block::sg::RequestSg;
use crate::kernel_ext::block::status::Status as BlkStatus;
use crate::kernel_ext::block::tag_set::{
    Disposition, HwQueue, Operations, QueueMaps, QueueType, TimeoutAction,
};
use crate::kernel_ext::block::zoned;
use crate::nvme_core::namespace::{blk_status, NsQueue, Payload};
use crate::nvme_core::transport::IoOps;
use crate::spec::cid;
use crate::spec::command::Command;
use crate::spec::completion::Status;
use crate::spec::error_log::{logged, passthru_quiet, sector_to_lba};
use crate::spec::status::{
    block_status, disposition, retry_delay_ms, Disposition as NvmeDisposition,
};
use crate::spec::zns::OPC_ZONE_APPEND;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// Logs a request that ends having failed with `status`, rate-limited, as
/// C's `__nvme_end_req`: a block request always (`nvme_log_error`), a
/// passthrough command unless quiet (`nvme_log_err_passthru`).
fn log_error(rq: &Request<NvmeOps>, private: &RqPrivate, status: Status) {
    let ns = rq.queue_data();
    if rq.is_passthrough() {
        if logged(status, private.quiet) {
            let cdw10_15 = core::array::from_fn(|i| private.command.dword(10 + i));
            ns.errors
                .log_passthru(false, private.command.opcode(), cdw10_15, status);
        }
    } else if logged(status, false) {
        ns.errors.log_request(
            private.command.opcode(),
            sector_to_lba(rq.sector(), ns.lba_shift),
            rq.bytes() >> ns.lba_shift,
            status,
        );
    }
}

/// How a request whose command failed with `status` ends: retried if the
/// status allows and the request may be, after the delay its CRD field
/// asks for (C `nvme_retry_req`), else ended with the block layer's status
/// for it (C `nvme_decide_disposition`). Out of line, so the
/// completion of a successful command stays short.
#[cold]
#[inline(never)]
fn complete_failed(rq: &Request<NvmeOps>, private: &mut RqPrivate, status: Status) -> Disposition {
    // A user's command is theirs to retry: it may not be idempotent.
    let failfast = rq.is_failfast() || rq.is_passthrough();
    match disposition(status, private.retries, failfast, PARAMETERS.max_retries()) {
        NvmeDisposition::Retry => {
            private.retries += 1;
            match retry_delay_ms(status, &rq.tag_set_data().ctrl.id.crdt) {
                0 => Disposition::Requeue,
                ms => Disposition::RequeueAfter(ms),
            }
        }
        NvmeDisposition::Complete => {
            private.retries = 0;
            log_error(rq, private, status);
            Disposition::End(blk_status(block_status(status)))
        }
    }
}

/// Tells the block layer where a zone append's data went: the LBA its
/// completion gives (C `nvme_end_req_zoned`). A user's Zone Append keeps
/// its request as it is.
#[cold]
fn appended(rq: OwnedRequest<'_, NvmeOps>) {
    if rq.op() == Op::ZoneAppend {
        let lba = rq.shared().result.load(Ordering::Relaxed);
        rq.set_appended_sector(lba << (rq.queue_data().lba_shift - 9));
    }
}

impl UserCommands for NvmeOps {
    fn outcome(rq: &Request<Self>, err: BlkStatus) -> (i32, u64) {
        let shared = rq.shared();
        // The status field without its phase tag, as C's `nvme_req()->status`.
        let status = i32::from(shared.status.load(Ordering::Acquire) >> 1);
        let status = if status == 0 {
            err.to_errno()
        } else if shared.cancelled() {
            // C's `NVME_REQ_CANCELLED`: the caller sees EINTR. (Only a
            // failed command can have been, so success pays nothing.)
            return (EINTR.to_errno(), 0);
        } else {
            status
        };
        (status, shared.result.load(Ordering::Relaxed))
    }
}

impl IoOps for NvmeOps {
    #[inline]
    fn set_user_command(private: &mut RqPrivate, cmd: Command) {
        private.set_user_command(cmd);
    }
}

#[vtable]
impl Operations for NvmeOps {
    type TagSetData = Arc<IoQueues>;
    type QueueData = Arc<NsQueue>;
    type HwQueueData = Arc<IoQueue>;
    type Private = RqPrivate;
    type Shared = RqShared;

    fn init_hw_queue(set: ArcBorrow<'_, IoQueues>, index: u32) -> Result<Arc<IoQueue>> {
        set.queue(index).cloned().ok_or(EINVAL)
    }

    fn new_request(set: ArcBorrow<'_, IoQueues>) -> Result<(RqPrivate, RqShared)> {
        let private = RqPrivate {
            command: Command::default(),
            data: DataMapping::new(
                RequestSg::new(set.pdev().as_dev(), set.max_segments)?,
                MetadataMap::new(set.pdev().as_dev()),
            ),
            retries: 0,
            quiet: false,
        };
        Ok((private, RqShared::default()))
    }

    fn prepare(mut rq: Owned<'_, Self>) -> Result<(), BlkStatus> {
        let (request, private) = rq.parts();
        let ns = request.queue_data();
        let set = request.tag_set_data();
        let user_command = request.is_passthrough();
        let RqPrivate {
            command: cmd,
            data,
            quiet,
            ..
        } = private;
        let payload = if user_command {
            // The submitter's command is in place already.
            *quiet = passthru_quiet(ns.errors.passthru_log_enabled());
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
            Payload::Data => {
                set.map_data(request, data, cmd, user_command)?;
                // C `nvme_map_metadata`: only where the disk has an
                // integrity profile does the block layer attach a buffer.
                if request.has_metadata_buffer() {
                    set.map_metadata(request, data, cmd)?;
                }
            }
            Payload::DsmRanges => set.map_dsm(request, data, cmd, ns.lba_shift)?,
        }
        // A new generation per use of the tag, so a late completion of an
        // earlier use is recognised and dropped.
        let shared = request.shared();
        // No stale outcome: a passthrough caller reads the status even of a
        // request that fails before reaching the device.
        shared.clear_for_next_command();
        let generation = cid::next_generation(shared.generation.load(Ordering::Relaxed));
        shared.generation.store(generation, Ordering::Release);
        // Tags are below the queue depth, at most `cid::MAX_TAGS`.
        cmd.set_cid(cid::encode(request.tag() as u16, generation));
        Ok(())
    }

    fn unprepare(mut rq: Owned<'_, Self>) {
        rq.parts().1.release();
    }

    // Always inline, with `IoQueue::submit`: the copy into the ring is
    // short, and this runs for every command; a call frame of its own
    // costs as much. Plain `inline` lost it once `issue` was built into
    // both its callers.
    #[inline(always)]
    fn submit(
        queue: ArcBorrow<'_, IoQueue>,
        rq: Prepared<'_, Self>,
        last: bool,
    ) -> Result<(), BlkStatus> {
        queue.submit(rq, last)
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
            // Compiled out without zoned block devices, as C's
            // `nvme_end_req_zoned`.
            if zoned::SUPPORTED && private.command.opcode() == OPC_ZONE_APPEND {
                appended(request);
            }
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
