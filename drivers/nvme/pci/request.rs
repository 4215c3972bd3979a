// SPDX-License-Identifier: GPL-2.0

//! What nvme-rs keeps with each request (C's `struct nvme_iod` and
//! `nvme_req()`): the state its owner uses while preparing and completing
//! it, and the state the completion path writes. The blk-mq operations
//! over them are `blk_ops`; this file sits below the queues, which finish
//! requests from their completions.

use crate::kernel_ext::block::batch::CompletionBatch;
use crate::kernel_ext::block::integrity::MetadataMap;
use crate::kernel_ext::block::request::Request;
use crate::kernel_ext::block::sg::RequestSg;
use crate::kernel_ext::dma_pool::PoolBlock;
use crate::spec::cid;
use crate::spec::command::Command;
use crate::spec::completion::{Completion, Status};
use core::sync::atomic::{AtomicU16, AtomicU64, AtomicU8, Ordering};

/// The blk-mq operations of nvme-rs.
pub struct NvmeOps;

/// Per-request state the completion path writes and the submitter reads.
#[derive(Default)]
pub struct RqShared {
    /// Generation of the request's current command identifier.
    pub(super) generation: AtomicU8,
    /// Status field of the completion (phase tag included).
    pub(super) status: AtomicU16,
    /// Command-specific result of the completion.
    pub(super) result: AtomicU64,
    /// What happened to the current command besides its completion
    /// (`ABORT_SENT`, `CANCELLED`); cleared with one store per command.
    pub(super) flags: AtomicU8,
}

/// An Abort went out for the command (C `iod->aborted`): the next timeout
/// resets the controller instead.
const ABORT_SENT: u8 = 1 << 0;
/// The command was ended by the host, not the device: its controller was
/// reset and forgot it (C `NVME_REQ_CANCELLED`). A user who sent it sees
/// `EINTR`, as from C's `nvme_execute_rq` and io_uring completion.
const CANCELLED: u8 = 1 << 1;

impl RqShared {
    /// Whether a completion carrying `cid` is for this request's current use.
    pub fn owns(&self, cid: u16) -> bool {
        cid::generation_matches(cid, self.generation.load(Ordering::Acquire))
    }

    /// Records `cqe` as the request's outcome and completes it, in `batch`
    /// where it can be; returns `false` if the request was no longer in
    /// flight. The namespace's fault injection may replace the status; with
    /// the `fail_io_timeout` fault injection on, the completion may be
    /// dropped on purpose so the request times out (C
    /// `nvme_try_complete_req`, `nvme_handle_cqe`). Built into the reaping
    /// loop, as C's `nvme_handle_cqe` is into `nvme_poll_cq`: once the fault
    /// injection made it larger, the compiler left it out of line, at a
    /// call and a frame per completion.
    #[inline(always)]
    pub fn finish(
        &self,
        rq: &Request<NvmeOps>,
        cqe: &Completion,
        batch: &mut CompletionBatch<'_, NvmeOps>,
    ) -> bool {
        // Before the fake timeout, as C's `nvme_should_fail`.
        let field = rq.queue_data().errors.inject(cqe.status_field);
        if rq.should_fake_timeout() {
            return true;
        }
        self.result.store(
            u64::from(cqe.result_hi) << 32 | u64::from(cqe.result),
            Ordering::Relaxed,
        );
        // Pairs with the acquire in `status`, which the completion callback
        // (possibly on another CPU) reads first.
        self.status.store(field, Ordering::Release);
        let failed = !Status::from_field(field).is_success();
        rq.complete_in(batch, failed)
    }

    /// Completes the request as aborted by the host: its controller was
    /// reset and forgot the command. Block I/O is retried, a user's command
    /// fails with `EINTR` (C `nvme_cancel_request`). Returns `false` if the
    /// request was no longer in flight.
    pub fn abort(&self, rq: &Request<NvmeOps>) -> bool {
        self.flags.fetch_or(CANCELLED, Ordering::Relaxed);
        self.result.store(0, Ordering::Relaxed);
        self.status
            .store(Status::HOST_ABORTED.to_field(), Ordering::Release);
        rq.complete()
    }

    pub(super) fn status(&self) -> Status {
        Status::from_field(self.status.load(Ordering::Acquire))
    }

    /// Notes that an Abort goes out for the current command; returns
    /// whether one already had.
    pub fn mark_aborted(&self) -> bool {
        self.flags.fetch_or(ABORT_SENT, Ordering::AcqRel) & ABORT_SENT != 0
    }

    /// Whether the host ended the command (a reset forgot it), rather
    /// than the device.
    pub(super) fn cancelled(&self) -> bool {
        // Stored before the status, whose acquire load the reader did.
        self.flags.load(Ordering::Relaxed) & CANCELLED != 0
    }

    /// Forgets the previous command's outcome, for the next command.
    pub(super) fn clear_for_next_command(&self) {
        self.status.store(0, Ordering::Relaxed);
        self.flags.store(0, Ordering::Relaxed);
    }

    /// The command identifier of the request's current command.
    pub fn cid(&self, rq: &Request<NvmeOps>) -> u16 {
        cid::encode(rq.tag() as u16, self.generation.load(Ordering::Acquire))
    }
}

/// Most list pages one command's PRPs take: an 8 MiB transfer not page
/// aligned touches 2049 pages, 2048 list entries over 5 chained pages (C
/// `NVME_MAX_NR_ALLOCATIONS`).
pub const MAX_LIST_PAGES: usize = 5;

/// Per-request state of the request's owner.
pub struct RqPrivate {
    /// The command, built here by `prepare` and copied from here into the
    /// ring by `submit` (C `iod->cmd`). A passthrough request's is its
    /// submitter's, which `prepare` completes with identifier and data
    /// pointer; kept, not taken, when it is sent: a request the block layer
    /// sends again after a resource shortage sends the same command, as
    /// C's. Read by the log line of a command that fails.
    pub(super) command: Command,
    /// What the command's data pointers point at.
    pub(super) data: DataMapping,
    pub(super) retries: u8,
    /// A passthrough command's failure is not logged (C `RQF_QUIET`): the
    /// namespace's `passthru_err_log_enabled` was off when it was sent.
    pub(super) quiet: bool,
}

impl RqPrivate {
    /// Makes the request carry `cmd` (identifier and data pointer are set
    /// when it is sent).
    pub fn set_user_command(&mut self, cmd: Command) {
        self.command = cmd;
    }

    /// Gives back what the command used: the data and metadata mappings
    /// and the list. Built into the completion loop: most commands have no
    /// list or metadata, and only look whether they do.
    #[inline(always)]
    pub(super) fn release(&mut self) {
        self.data.release();
    }
}

/// A command's mapped data, metadata and the list pages pointing at them,
/// kept apart from the command so that `data_map` can fill in both.
pub struct DataMapping {
    pub(super) sg: RequestSg,
    /// The metadata buffer of a request on a disk with an integrity
    /// profile, mapped while in flight (C `iod->meta_dma`).
    pub(super) metadata: MetadataMap,
    /// A PRP list, SGL segment or DSM range list in flight with the command.
    pub(super) list: Option<PoolBlock>,
    /// The PRP list's further pages, where it is chained; only set with
    /// `list`.
    pub(super) chained: [Option<PoolBlock>; MAX_LIST_PAGES - 1],
}

impl DataMapping {
    /// Nothing mapped yet, with room for `sg`'s segments.
    pub(super) fn new(sg: RequestSg, metadata: MetadataMap) -> Self {
        DataMapping {
            sg,
            metadata,
            list: None,
            chained: Default::default(),
        }
    }

    /// Unmaps and frees all of it.
    #[inline(always)]
    fn release(&mut self) {
        self.sg.unmap();
        self.metadata.unmap();
        if self.list.is_some() {
            self.release_lists();
        }
    }

    /// Gives back the list and the pages chained to it.
    #[inline(never)]
    fn release_lists(&mut self) {
        drop(self.list.take());
        for page in self.chained.iter_mut() {
            drop(page.take());
        }
    }
}
