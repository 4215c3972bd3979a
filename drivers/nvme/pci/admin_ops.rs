// SPDX-License-Identifier: GPL-2.0

//! The blk-mq operations of the admin queue (C's admin tag set,
//! `nvme_mq_admin_ops`): one hardware queue, the admin queue pair; each
//! request carries one admin command, which its owner set, its data
//! pointer included.

use super::admin_ring::AdminRing;
use crate::kernel_ext::block::passthrough::UserCommands;
use crate::kernel_ext::block::request::{Owned, Prepared, Request};
use crate::kernel_ext::block::status::Status as BlkStatus;
use crate::kernel_ext::block::tag_set::{Disposition, Operations, TimeoutAction};
use crate::nvme_core::admin::AfterUserCommand;
use crate::spec::cid;
use crate::spec::command::Command;
use crate::spec::completion::{Completion, Status};
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// The blk-mq operations of the admin queue.
pub struct AdminOps;

/// Per-request state of the request's owner.
pub struct AdminPrivate {
    /// The command to send, set by the submitter; its data pointer is set
    /// (or it moves none).
    pub(super) command: Option<Command>,
    /// The command as sent: copied into the ring from here, and read by
    /// the log if it fails.
    sent: Command,
    /// What follows a user's asynchronous command once it has ended.
    pub(super) after: Option<Arc<dyn AfterUserCommand>>,
}

/// Per-request state the completion path writes and the submitter reads.
#[derive(Default)]
pub struct AdminShared {
    /// Generation of the request's current command identifier.
    generation: AtomicU8,
    /// Status field of the completion (phase tag included).
    status: AtomicU16,
    /// Command-specific result of the completion (dwords 0 and 1).
    result: AtomicU64,
    /// No completion came within the timeout: the request was ended
    /// without one.
    timed_out: AtomicBool,
    /// A reset ended the request: the controller forgot the command (C
    /// `NVME_REQ_CANCELLED`).
    cancelled: AtomicBool,
}

impl AdminShared {
    /// Whether a completion carrying `cid` is for this request's current use.
    pub(super) fn owns(&self, cid: u16) -> bool {
        cid::generation_matches(cid, self.generation.load(Ordering::Acquire))
    }

    /// Records `cqe` (its status field replaced by `status_field`) as the
    /// request's outcome and completes it; `false` if it was no longer in
    /// flight.
    pub(super) fn finish(
        &self,
        rq: &Request<AdminOps>,
        cqe: &Completion,
        status_field: u16,
    ) -> bool {
        self.result.store(
            u64::from(cqe.result_hi) << 32 | u64::from(cqe.result),
            Ordering::Relaxed,
        );
        self.status.store(status_field, Ordering::Release);
        rq.complete()
    }

    /// Completes the request as aborted by the host: the controller was
    /// disabled and forgot the command (C `nvme_cancel_request`).
    pub(super) fn abort(&self, rq: &Request<AdminOps>) -> bool {
        self.cancelled.store(true, Ordering::Relaxed);
        self.result.store(0, Ordering::Relaxed);
        self.status
            .store(Status::HOST_ABORTED.to_field(), Ordering::Release);
        rq.complete()
    }

    /// Whether the request ended by timing out.
    pub(super) fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Acquire)
    }

    /// Whether a reset ended the request (the controller forgot it).
    pub(super) fn cancelled(&self) -> bool {
        // Stored before the status, whose release store the completion's
        // waker made; read after the request completed.
        self.cancelled.load(Ordering::Acquire)
    }

    /// The completion the request ended with, as the controller wrote it
    /// (queue fields zero); all zero for a request that ended without one.
    pub(super) fn completion(&self, rq: &Request<AdminOps>) -> Completion {
        let field = self.status.load(Ordering::Acquire);
        let result = self.result.load(Ordering::Relaxed);
        Completion {
            result: result as u32,
            result_hi: (result >> 32) as u32,
            sq_head: 0,
            sq_id: 0,
            cid: cid::encode(rq.tag() as u16, self.generation.load(Ordering::Acquire)),
            status_field: field,
        }
    }
}

impl UserCommands for AdminOps {
    fn outcome(rq: &Request<Self>, err: BlkStatus) -> (i32, u64) {
        let shared = rq.shared();
        // Before the status, whose release store follows `cancelled`'s.
        let status = i32::from(shared.status.load(Ordering::Acquire) >> 1);
        if shared.timed_out() || shared.cancelled() {
            // C's `NVME_REQ_CANCELLED`, set by its timeout handler and by
            // `nvme_cancel_request`: the caller sees EINTR.
            return (EINTR.to_errno(), 0);
        }
        let status = if status != 0 { status } else { err.to_errno() };
        (status, shared.result.load(Ordering::Relaxed))
    }

    const FINISH_IN_TASK: bool = true;

    fn finish_in_task(rq: &Request<Self>, private: &mut AdminPrivate) -> Result {
        match private.after.take() {
            Some(after) => after.finish(rq.shared().timed_out()),
            None => Ok(()),
        }
    }
}

#[vtable]
impl Operations for AdminOps {
    type TagSetData = Arc<AdminRing>;
    type QueueData = ();
    type HwQueueData = Arc<AdminRing>;
    type Private = AdminPrivate;
    type Shared = AdminShared;

    fn init_hw_queue(ring: ArcBorrow<'_, AdminRing>, _index: u32) -> Result<Arc<AdminRing>> {
        Ok(ring.into())
    }

    fn new_request(_ring: ArcBorrow<'_, AdminRing>) -> Result<(AdminPrivate, AdminShared)> {
        let private = AdminPrivate {
            command: None,
            sent: Command::default(),
            after: None,
        };
        Ok((private, AdminShared::default()))
    }

    fn prepare(mut rq: Owned<'_, Self>) -> Result<(), BlkStatus> {
        let (request, private) = rq.parts();
        // The data is the request's page or a buffer the submitter
        // described in the command; none is mapped from a bio.
        if request.bytes() != 0 {
            return Err(BlkStatus::IO_ERROR);
        }
        // Kept, not taken: a request the block layer sends again (the
        // ring was full) sends the same command, as C's.
        let mut cmd = private.command.ok_or(BlkStatus::IO_ERROR)?;
        let shared = request.shared();
        shared.status.store(0, Ordering::Relaxed);
        shared.result.store(0, Ordering::Relaxed);
        shared.timed_out.store(false, Ordering::Relaxed);
        shared.cancelled.store(false, Ordering::Relaxed);
        // A new generation per use of the tag, so a late completion of an
        // earlier use is recognised and dropped.
        let generation = cid::next_generation(shared.generation.load(Ordering::Relaxed));
        shared.generation.store(generation, Ordering::Release);
        // Tags are below the admin depth, far below `cid::MAX_TAGS`.
        cmd.set_cid(cid::encode(request.tag() as u16, generation));
        private.sent = cmd;
        Ok(())
    }

    fn unprepare(_rq: Owned<'_, Self>) {}

    fn submit(
        ring: ArcBorrow<'_, AdminRing>,
        rq: Prepared<'_, Self>,
        _last: bool,
    ) -> Result<(), BlkStatus> {
        // A copy, so that the request is given up before `push` rings the
        // doorbell; admin commands are too few for its cost to matter.
        let cmd = rq.hand_over(|private| private.sent);
        // Each command rings the doorbell: admin commands come one by one.
        ring.push(&cmd).map_err(|err| {
            if err == EBUSY {
                BlkStatus::DEV_RESOURCE
            } else {
                BlkStatus::IO_ERROR
            }
        })
    }

    fn complete(mut rq: Owned<'_, Self>) -> Disposition {
        let (request, private) = rq.parts();
        let shared = request.shared();
        if shared.timed_out() {
            return Disposition::End(BlkStatus::IO_ERROR);
        }
        let status = Status::from_field(shared.status.load(Ordering::Acquire));
        // Every admin command is a passthrough request in C, logged as one
        // (`nvme_log_err_passthru`) where the controller's
        // `passthru_err_log_enabled` says so.
        request
            .tag_set_data()
            .errors
            .log_admin(&private.sent, status);
        // The submitter reads the outcome; an admin command is never retried.
        if status.is_success() {
            Disposition::End(BlkStatus::OK)
        } else {
            Disposition::End(BlkStatus::IO_ERROR)
        }
    }

    /// The command took longer than its timeout: it ends as timed out,
    /// and its submitter (which knows whether the controller must be reset)
    /// decides what follows, as before blk-mq. A completion arriving later
    /// is for an earlier generation and dropped.
    fn timeout(rq: &Request<Self>) -> TimeoutAction {
        rq.shared().timed_out.store(true, Ordering::Release);
        rq.complete();
        TimeoutAction::Done
    }
}
