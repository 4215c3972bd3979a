// SPDX-License-Identifier: GPL-2.0

//! The admin queue pair on blk-mq, as C's admin tag set and `admin_q`:
//! submission and completion rings in coherent DMA memory, doorbells in
//! BAR0, a tag set of one hardware queue (`admin_ops`) whose requests carry
//! the commands, and completions taken by the admin MSI-X vector's
//! interrupt handler, which finds each one's request by its tag.
//!
//! Commands run side by side, each waiting for its own request. Beside
//! them one Asynchronous Event Request may be outstanding, outside blk-mq
//! as in C, under a command identifier whose tag no request has; its
//! completion goes to the [`AsyncEventHandler`] the controller set.

use super::admin_ops::AdminOps;
use super::admin_ring::{AdminRing, EventHandler, Submissions};
use super::completion_ring::CompletionRing;
use super::ring::SubmissionRing;
use crate::kernel_ext::block::queue::RequestQueue;
use crate::kernel_ext::block::tag_set::{TagSet, TagSetConfig};
use crate::kernel_ext::dma::CoherentAllocation;
use crate::kernel_ext::set_once::SetOnce;
use crate::kernel_ext::uring::{IssueFlags, Queued, UringCmd};
use crate::kernel_ext::{irq, pci};
use crate::nvme_core::admin::{AdminError, AdminQueue, AfterUserCommand, AsyncEventHandler};
use crate::nvme_core::error_log::ErrorLog;
use crate::nvme_core::instance::Instance;
use crate::spec::cid;
use crate::spec::command::{Command, IDENTIFY_DATA_SIZE};
use crate::spec::completion::Completion;
use crate::spec::queue::SqCursor;
use crate::spec::regs::{sq_tail_doorbell, Aqa};
use core::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

/// Entries in each admin ring, as the C driver's `NVME_AQ_DEPTH`.
pub const DEPTH: u16 = 32;

/// Admin requests in flight at most, as C's `NVME_AQ_MQ_TAG_DEPTH`: one
/// ring entry stays free, one is the Asynchronous Event Request's.
const TAG_DEPTH: u32 = DEPTH as u32 - 2;

/// The command identifier of the Asynchronous Event Request: its tag part
/// is beyond every request's (C `nvme_is_aen_req`).
const ASYNC_EVENT_CID: u16 = u16::MAX;

/// The admin interrupt handler.
pub struct Completions {
    ring: Arc<AdminRing>,
    tags: Arc<TagSet<AdminOps>>,
}

impl Completions {
    fn deliver(&self, cqe: &Completion) {
        let ring = &self.ring;
        ring.sq_head.store(cqe.sq_head, Ordering::Relaxed);
        if cqe.cid == ASYNC_EVENT_CID {
            ring.async_event_outstanding.store(false, Ordering::Release);
            if let Some(events) = ring.events.get() {
                events.0.arrived(cqe);
            }
            return;
        }
        let tags = self.tags.hw_tags(0);
        let rq = tags.and_then(|tags| tags.find_request(u32::from(cid::tag(cqe.cid))));
        let Some(rq) = rq.filter(|rq| rq.shared().owns(cqe.cid)) else {
            // The completion of a command that timed out, or a confused
            // device: nobody waits for it.
            return;
        };
        // Here, in the interrupt handler, as C's `nvme_should_fail`: in a
        // task it would also count for the task's fail-nth injection.
        let status_field = ring.errors.inject(cqe.status_field);
        rq.shared().finish(rq, cqe, status_field);
    }
}

impl irq::Handler for Completions {
    fn handle_irq(&self) -> irq::Return {
        if self.ring.cq.reap(|cqe| self.deliver(cqe)) > 0 {
            irq::Return::Handled
        } else {
            irq::Return::None
        }
    }
}

/// The admin queue.
pub struct Queue {
    ring: Arc<AdminRing>,
    tags: Arc<TagSet<AdminOps>>,
    /// The request queue admin commands are sent through (C `admin_q`).
    requests: RequestQueue<AdminOps>,
}

impl Queue {
    /// Allocates the rings and the tag set, whose requests time out after
    /// `default_timeout_ms` (the `admin_timeout` parameter) unless their
    /// submitter says otherwise. The controller learns of the rings
    /// through [`Self::aqa`], [`Self::sq_addr`] and [`Self::cq_addr`];
    /// completions arrive once [`Self::request_irq`] has registered the
    /// handler.
    pub fn new(
        pdev: &pci::Device,
        bar: Arc<pci::Bar>,
        doorbell_stride: usize,
        default_timeout_ms: u32,
        errors: Arc<ErrorLog>,
    ) -> Result<Arc<Self>> {
        let doorbell = pci::BarRegister32::new(bar.clone(), sq_tail_doorbell(0, doorbell_stride))?;
        let cq = CompletionRing::new(pdev, bar, 0, DEPTH, doorbell_stride, None)?;
        let sq_ring = SubmissionRing::alloc(pdev.as_dev(), DEPTH)?;
        let cursor = SqCursor::new(DEPTH).ok_or(EINVAL)?;
        let ring = Arc::pin_init(
            try_pin_init!(AdminRing {
                pdev: pdev.into(),
                sq <- new_spinlock!(Submissions { ring: sq_ring, cursor }),
                doorbell,
                cq,
                sq_head: AtomicU16::new(0),
                async_event_outstanding: AtomicBool::new(false),
                events: SetOnce::new(),
                errors,
            }? Error),
            GFP_KERNEL,
        )?;
        let tags = Arc::pin_init(
            TagSet::new(
                ring.clone(),
                TagSetConfig {
                    hw_queues: 1,
                    maps: 1,
                    depth: TAG_DEPTH,
                    timeout_ms: default_timeout_ms,
                },
            ),
            GFP_KERNEL,
        )?;
        let requests = RequestQueue::new(tags.clone(), ())?;
        Ok(Arc::new(
            Queue {
                ring,
                tags,
                requests,
            },
            GFP_KERNEL,
        )?)
    }

    /// Registers the completion handler on vector 0 of `vectors`, named
    /// `nvmeNq0` like the C driver's. Admin commands complete only while the
    /// registration lives.
    pub fn request_irq(
        &self,
        vectors: &pci::IrqVectors,
        name: &Instance,
    ) -> Result<irq::Registration<Completions>> {
        let irq_name = CString::try_from_fmt(kernel::fmt!("{}q0", name))?;
        let handler = Arc::new(
            Completions {
                ring: self.ring.clone(),
                tags: self.tags.clone(),
            },
            GFP_KERNEL,
        )?;
        irq::Registration::request(vectors.irq(0)?, irq_name, handler)
    }

    /// Holds admin commands off (the queue quiesced: they wait in blk-mq)
    /// until the returned value is dropped, for a controller reset.
    pub fn hold(&self) -> Held<'_> {
        self.tags.quiesce();
        Held { queue: self }
    }

    /// The admin queue sizes for `AQA`.
    pub fn aqa(&self) -> Aqa {
        Aqa::new(DEPTH, DEPTH)
    }

    /// The submission ring's bus address for `ASQ`.
    pub fn sq_addr(&self) -> u64 {
        self.ring.sq.lock().ring.dma_handle()
    }

    /// The completion ring's bus address for `ACQ`.
    pub fn cq_addr(&self) -> u64 {
        self.ring.cq.dma_handle()
    }

    /// Runs `cmd` in a request of its own and waits up to `timeout_ms` (0:
    /// the default) for it.
    fn run(&self, cmd: Command, timeout_ms: u32) -> Result<Completion, AdminError> {
        let mut rq = self.requests.alloc(cmd.is_write(), false)?;
        rq.private_mut().command = Some(cmd);
        rq.set_timeout_ms(timeout_ms);
        rq.execute_then(|request, _, err| {
            let shared = request.shared();
            if shared.timed_out() {
                return Err(AdminError::Timeout);
            }
            if shared.cancelled() {
                // A reset forgot it: EINTR, as C's `nvme_execute_rq` gives
                // a request `nvme_cancel_request` ended, to its own
                // commands and users' alike.
                return Err(AdminError::Kernel(EINTR));
            }
            let cqe = shared.completion(request);
            if cqe.status_field == 0 && !err.is_ok() {
                // Ended without reaching the controller.
                return Err(AdminError::Kernel(EIO));
            }
            Ok(cqe)
        })
    }

    /// Runs `cmd` with `data` as its data buffer, waits for it to succeed,
    /// and reads `out.len()` bytes of the buffer into `out`. The buffer is
    /// given up, never freed, if the command timed out: the controller may
    /// still write to it.
    fn run_with(
        &self,
        cmd: Command,
        data: CoherentAllocation,
        out: &mut [u8],
    ) -> Result<Completion, AdminError> {
        let result = self.run(cmd.with_prp1(data.dma_handle()), 0);
        if matches!(result, Err(AdminError::Timeout)) {
            core::mem::forget(data);
            return Err(AdminError::Timeout);
        }
        let cqe = success(result?)?;
        data.read_bytes(0, out)?;
        Ok(cqe)
    }

    /// A buffer for `len` bytes of a command's data (one page at most).
    fn buffer(&self, len: usize) -> Result<CoherentAllocation> {
        CoherentAllocation::alloc(self.ring.pdev().as_dev(), len)
    }
}

impl Queue {
    /// Largest data buffer [`AdminQueue::execute_read`] and
    /// [`AdminQueue::execute_write`] take: a page.
    const MAX_DATA: usize = IDENTIFY_DATA_SIZE;
}

impl AdminQueue for Queue {
    /// Runs `cmd`, whose data pointer the caller has set (or that moves no
    /// data), and waits up to `timeout_ms` (0: the default) for it. The
    /// completion is returned whatever its status.
    fn execute(&self, cmd: Command, timeout_ms: u32) -> Result<Completion, AdminError> {
        self.run(cmd, timeout_ms)
    }

    fn submit_uring(
        &self,
        cmd: Command,
        timeout_ms: u32,
        after: Arc<dyn AfterUserCommand>,
        uring: UringCmd,
        flags: IssueFlags,
    ) -> Result<Queued> {
        let mut rq = self.requests.alloc(cmd.is_write(), flags.nonblocking())?;
        let private = rq.private_mut();
        private.command = Some(cmd);
        private.after = Some(after);
        rq.set_timeout_ms(timeout_ms);
        Ok(rq.execute_uring(uring))
    }

    fn drain(&self) {
        self.requests.drain();
    }

    /// Sends Asynchronous Event Request completions to `handler` from now
    /// on; only the first call counts.
    fn set_async_events(&self, handler: Arc<dyn AsyncEventHandler>) -> Result {
        // A second controller setup cannot happen on one queue.
        let _ = self
            .ring
            .events
            .set(Arc::new(EventHandler(handler), GFP_KERNEL)?);
        Ok(())
    }

    /// Submits an Asynchronous Event Request unless one is outstanding. Its
    /// completion, whenever the controller has an event, goes to the
    /// queue's [`AsyncEventHandler`].
    fn submit_async_event(&self) -> Result {
        let outstanding = &self.ring.async_event_outstanding;
        // Set before the doorbell: the completion may come at once and
        // clears it.
        if outstanding.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let mut cmd = Command::async_event_request();
        cmd.set_cid(ASYNC_EVENT_CID);
        self.ring
            .push(&cmd)
            .inspect_err(|_| outstanding.store(false, Ordering::Release))
    }

    fn execute_read(&self, cmd: Command, out: &mut [u8]) -> Result<Completion, AdminError> {
        if out.len() > Self::MAX_DATA {
            return Err(EINVAL.into());
        }
        if out.is_empty() {
            return success(self.run(cmd, 0)?);
        }
        let data = self.buffer(out.len())?;
        self.run_with(cmd, data, out)
    }

    fn execute_write(&self, cmd: Command, data: &[u8]) -> Result<Completion, AdminError> {
        if data.len() > Self::MAX_DATA {
            return Err(EINVAL.into());
        }
        if data.is_empty() {
            return success(self.run(cmd, 0)?);
        }
        let buffer = self.buffer(data.len())?;
        buffer.write_bytes(0, data)?;
        self.run_with(cmd, buffer, &mut [])
    }
}

/// `cqe` if its command succeeded, else its status as the error.
fn success(cqe: Completion) -> Result<Completion, AdminError> {
    if cqe.status().is_success() {
        Ok(cqe)
    } else {
        Err(AdminError::Status(cqe.status()))
    }
}

/// Admin commands held off (the queue quiesced), for a controller reset;
/// dropping it lets them run again.
pub struct Held<'a> {
    queue: &'a Queue,
}

impl Held<'_> {
    /// Ends every admin command the controller was given as aborted by the
    /// host and forgets both rings' contents, as after the controller was
    /// disabled: it starts over at entry 0 of each when enabled again (C
    /// `nvme_cancel_admin_tagset`). The admin interrupt must be
    /// synchronised first.
    pub fn reset_rings(&mut self) {
        self.queue.tags.for_each_started(|rq| {
            rq.shared().abort(rq);
        });
        let ring = &self.queue.ring;
        if let Some(cursor) = SqCursor::new(DEPTH) {
            ring.sq.lock().cursor = cursor;
        }
        ring.cq.reset();
        ring.sq_head.store(0, Ordering::Relaxed);
        // The controller forgot the request with everything else.
        ring.async_event_outstanding.store(false, Ordering::Release);
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.queue.tags.unquiesce();
    }
}
