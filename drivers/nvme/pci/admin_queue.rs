// SPDX-License-Identifier: GPL-2.0

//! The admin queue pair: submission and completion rings in coherent DMA
//! memory, doorbells in BAR0, and completions taken by the admin MSI-X
//! vector's interrupt handler.
//!
//! Admin commands here are synchronous and one at a time: a caller holds
//! the submission lock until its command completes or times out. That is
//! all bring-up needs; the handler still matches completions to commands by
//! command identifier, so a late completion of a timed-out command cannot be
//! taken for the next command's. Beside them one Asynchronous Event Request
//! may be outstanding, under its own command identifier, for as long as the
//! controller likes; its completion goes to the [`AsyncEventHandler`] the
//! controller set (its asynchronous events).

use super::completion_ring::CompletionRing;
use super::ring::SubmissionRing;
use crate::kernel_ext::dma::CoherentAllocation;
use crate::kernel_ext::set_once::SetOnce;
use crate::kernel_ext::{completion::Completion as Event, irq, pci};
use crate::nvme_core::admin::{AdminError, AdminQueue, AsyncEventHandler};
use crate::nvme_core::error_log::ErrorLog;
use crate::nvme_core::instance::Instance;
use crate::spec::command::{Command, IDENTIFY_DATA_SIZE};
use crate::spec::completion::{Completion, CQE_SIZE};
use crate::spec::queue::SqCursor;
use crate::spec::regs::{sq_tail_doorbell, Aqa};
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};

/// Entries in each admin ring, as the C driver's `NVME_AQ_DEPTH`.
pub const DEPTH: u16 = 32;

/// No command is waiting for its completion.
const NO_WAITER: u32 = u32::MAX;

/// The command identifier of the Asynchronous Event Request; synchronous
/// commands use the others.
const ASYNC_EVENT_CID: u16 = u16::MAX;

/// The handler the controller set, as the interrupt handler holds it.
pub struct EventHandler(Arc<dyn AsyncEventHandler>);

/// The completion side, shared with the interrupt handler.
#[pin_data]
pub struct Completions {
    /// Reaped only by the interrupt handler.
    ring: CompletionRing,
    /// The controller's submission queue head from the latest completion.
    sq_head: AtomicU16,
    /// The CID the submitter waits for, or `NO_WAITER`. Whoever swaps it
    /// from the CID to `NO_WAITER` owns the command's outcome: the handler
    /// when the completion arrives, the submitter when it times out.
    waiter: AtomicU32,
    /// The waited-for completion's bytes, valid once `done` fires.
    entry: [AtomicU32; CQE_SIZE / 4],
    #[pin]
    done: Event,
    /// An Asynchronous Event Request is outstanding.
    async_event_outstanding: AtomicBool,
    /// Where its completion goes, once the controller is set up.
    events: SetOnce<EventHandler>,
    /// The controller's fault injection and passthrough logging, which
    /// every completion but the Asynchronous Event Request's goes through.
    errors: Arc<ErrorLog>,
}

impl Completions {
    fn deliver(&self, cqe: &Completion) {
        self.sq_head.store(cqe.sq_head, Ordering::Relaxed);
        if cqe.cid == ASYNC_EVENT_CID {
            self.async_event_outstanding.store(false, Ordering::Release);
            if let Some(events) = self.events.get() {
                events.0.arrived(cqe);
            }
            return;
        }
        let claimed = self
            .waiter
            .compare_exchange(
                u32::from(cqe.cid),
                NO_WAITER,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if !claimed {
            // The completion of a command whose caller gave up waiting.
            return;
        }
        // Here, in the interrupt handler, as C's `nvme_should_fail`: in a
        // task it would also count for the task's fail-nth injection.
        let cqe = Completion {
            status_field: self.errors.inject(cqe.status_field),
            ..*cqe
        };
        for (word, bytes) in self.entry.iter().zip(cqe.to_bytes().chunks_exact(4)) {
            word.store(
                u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
                Ordering::Relaxed,
            );
        }
        // `complete` orders the stores above before the waiter wakes.
        self.done.complete();
    }

    fn entry(&self) -> Completion {
        let mut raw = [0u8; CQE_SIZE];
        for (bytes, word) in raw.chunks_exact_mut(4).zip(self.entry.iter()) {
            bytes.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
        }
        Completion::from_bytes(&raw)
    }
}

impl irq::Handler for Completions {
    fn handle_irq(&self) -> irq::Return {
        if self.ring.reap(|cqe| self.deliver(cqe)) > 0 {
            irq::Return::Handled
        } else {
            irq::Return::None
        }
    }
}

/// The submission side, used by one command at a time.
struct Submissions {
    ring: SubmissionRing,
    cursor: SqCursor,
    next_cid: u16,
    /// Where data-in commands (Identify, Get Log Page) land: one page.
    data: CoherentAllocation,
}

/// The admin queue pair.
#[pin_data]
pub struct Queue {
    #[pin]
    submissions: Mutex<Submissions>,
    completions: Arc<Completions>,
    doorbell: pci::BarRegister32,
    /// How long a command may take unless its caller says otherwise: the
    /// `admin_timeout` parameter, as the C driver's.
    default_timeout_ms: u32,
}

impl Queue {
    /// Allocates the rings and a data page. The controller learns of the
    /// rings through [`Self::aqa`], [`Self::sq_addr`] and [`Self::cq_addr`];
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
        let ring = CompletionRing::new(pdev, bar, 0, DEPTH, doorbell_stride, None)?;
        let completions = Arc::pin_init(
            try_pin_init!(Completions {
                ring,
                sq_head: AtomicU16::new(0),
                waiter: AtomicU32::new(NO_WAITER),
                entry: Default::default(),
                done <- Event::new(),
                async_event_outstanding: AtomicBool::new(false),
                events: SetOnce::new(),
                errors,
            }? Error),
            GFP_KERNEL,
        )?;
        Arc::pin_init(
            try_pin_init!(Queue {
                submissions <- new_mutex!(Submissions {
                    ring: SubmissionRing::alloc(pdev.as_dev(), DEPTH)?,
                    cursor: SqCursor::new(DEPTH).ok_or(EINVAL)?,
                    next_cid: 0,
                    data: CoherentAllocation::alloc(pdev.as_dev(), IDENTIFY_DATA_SIZE)?,
                }),
                completions,
                doorbell,
                default_timeout_ms,
            }? Error),
            GFP_KERNEL,
        )
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
        irq::Registration::request(vectors.irq(0)?, irq_name, self.completions.clone())
    }

    /// Holds admin commands off until the returned value is dropped, for a
    /// controller reset.
    pub fn hold(&self) -> Held<'_> {
        Held {
            queue: self,
            sq: self.submissions.lock(),
        }
    }

    /// Writes `cmd` at the submission tail and rings the doorbell; `EBUSY`
    /// if the ring is full, which only commands left behind by timeouts
    /// can make it.
    fn push(&self, sq: &mut Submissions, cmd: &Command) -> Result {
        if sq
            .cursor
            .is_full(self.completions.sq_head.load(Ordering::Relaxed))
        {
            return Err(EBUSY);
        }
        sq.ring.write(sq.cursor.tail(), &cmd.to_bytes())?;
        let tail = sq.cursor.advance();
        // The MMIO write is ordered after the entry's memory writes.
        self.doorbell.write(u32::from(tail));
        Ok(())
    }

    /// The admin queue sizes for `AQA`.
    pub fn aqa(&self) -> Aqa {
        Aqa::new(DEPTH, DEPTH)
    }

    /// The submission ring's bus address for `ASQ`.
    pub fn sq_addr(&self) -> u64 {
        self.submissions.lock().ring.dma_handle()
    }

    /// The completion ring's bus address for `ACQ`.
    pub fn cq_addr(&self) -> u64 {
        self.completions.ring.dma_handle()
    }
}

impl Queue {
    fn submit_and_wait(
        &self,
        sq: &mut Submissions,
        mut cmd: Command,
        timeout_ms: u32,
    ) -> Result<Completion, AdminError> {
        let timeout_ms = if timeout_ms == 0 {
            self.default_timeout_ms
        } else {
            timeout_ms
        };
        let cid = sq.next_cid;
        sq.next_cid = (cid + 1) % ASYNC_EVENT_CID;
        cmd.set_cid(cid);

        self.completions.done.reinit();
        self.completions
            .waiter
            .store(u32::from(cid), Ordering::Release);
        if let Err(err) = self.push(sq, &cmd) {
            self.completions.waiter.store(NO_WAITER, Ordering::Release);
            return Err(err.into());
        }

        if !self.completions.done.wait_timeout_ms(timeout_ms) {
            let gave_up = self
                .completions
                .waiter
                .compare_exchange(
                    u32::from(cid),
                    NO_WAITER,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok();
            if gave_up {
                return Err(AdminError::Timeout);
            }
            // The handler claimed the completion just now and is about to
            // signal it: take it, so no stale signal is left behind.
            while !self
                .completions
                .done
                .wait_timeout_ms(self.default_timeout_ms)
            {}
        }
        let cqe = self.completions.entry();
        self.completions.errors.log_admin(&cmd, cqe.status());
        Ok(cqe)
    }
}

impl Queue {
    /// Largest data buffer [`AdminQueue::execute_read`] and
    /// [`AdminQueue::execute_write`] take: the queue's data page.
    const MAX_DATA: usize = IDENTIFY_DATA_SIZE;
}

impl AdminQueue for Queue {
    /// Runs `cmd`, whose data pointer the caller has set (or that moves no
    /// data), and waits up to `timeout_ms` (0: the default) for it. The
    /// completion is returned whatever its status.
    fn execute(&self, cmd: Command, timeout_ms: u32) -> Result<Completion, AdminError> {
        let mut sq = self.submissions.lock();
        self.submit_and_wait(&mut sq, cmd, timeout_ms)
    }

    /// Sends Asynchronous Event Request completions to `handler` from now
    /// on; only the first call counts.
    fn set_async_events(&self, handler: Arc<dyn AsyncEventHandler>) -> Result {
        // A second controller setup cannot happen on one queue.
        let _ = self
            .completions
            .events
            .set(Arc::new(EventHandler(handler), GFP_KERNEL)?);
        Ok(())
    }

    /// Submits an Asynchronous Event Request unless one is outstanding. Its
    /// completion, whenever the controller has an event, goes to the
    /// queue's [`AsyncEventHandler`].
    fn submit_async_event(&self) -> Result {
        let mut sq = self.submissions.lock();
        if self
            .completions
            .async_event_outstanding
            .load(Ordering::Acquire)
        {
            return Ok(());
        }
        let mut cmd = Command::async_event_request();
        cmd.set_cid(ASYNC_EVENT_CID);
        // Before the doorbell: the completion may come at once and clears it.
        let outstanding = &self.completions.async_event_outstanding;
        outstanding.store(true, Ordering::Release);
        self.push(&mut sq, &cmd)
            .inspect_err(|_| outstanding.store(false, Ordering::Release))
    }

    fn execute_read(&self, mut cmd: Command, out: &mut [u8]) -> Result<Completion, AdminError> {
        if out.len() > Self::MAX_DATA {
            return Err(EINVAL.into());
        }
        let mut sq = self.submissions.lock();
        if !out.is_empty() {
            cmd = cmd.with_prp1(sq.data.dma_handle());
        }
        let cqe = self.submit_and_wait(&mut sq, cmd, 0)?;
        if !cqe.status().is_success() {
            return Err(AdminError::Status(cqe.status()));
        }
        sq.data.read_bytes(0, out)?;
        Ok(cqe)
    }

    fn execute_write(&self, mut cmd: Command, data: &[u8]) -> Result<Completion, AdminError> {
        if data.len() > Self::MAX_DATA {
            return Err(EINVAL.into());
        }
        let mut sq = self.submissions.lock();
        if !data.is_empty() {
            // The buffer is the queue's, and the lock keeps it ours until
            // the command completes.
            sq.data.write_bytes(0, data)?;
            cmd = cmd.with_prp1(sq.data.dma_handle());
        }
        let cqe = self.submit_and_wait(&mut sq, cmd, 0)?;
        if !cqe.status().is_success() {
            return Err(AdminError::Status(cqe.status()));
        }
        Ok(cqe)
    }
}

/// Admin commands held off (the submission lock held), for a controller
/// reset.
pub struct Held<'a> {
    queue: &'a Queue,
    sq: kernel::sync::lock::Guard<'a, Submissions, kernel::sync::lock::mutex::MutexBackend>,
}

impl Held<'_> {
    /// Forgets both rings' contents, as after the controller was disabled:
    /// the controller starts over at entry 0 of each when enabled again.
    /// The admin interrupt must be synchronised first.
    pub fn reset_rings(&mut self) {
        if let Some(cursor) = SqCursor::new(DEPTH) {
            self.sq.cursor = cursor;
        }
        let completions = &self.queue.completions;
        completions.ring.reset();
        completions.sq_head.store(0, Ordering::Relaxed);
        completions.waiter.store(NO_WAITER, Ordering::Release);
        // The controller forgot the request with everything else.
        completions
            .async_event_outstanding
            .store(false, Ordering::Release);
    }
}
