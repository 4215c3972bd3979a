// SPDX-License-Identifier: GPL-2.0

//! One I/O queue pair: a submission ring written under a per-queue lock
//! with batched doorbells, and a completion ring reaped by the queue's
//! interrupt handler or, for polled queues, by pollers (C `struct
//! nvme_queue`, `nvme_sq_copy_cmd`, `nvme_write_sq_db`, `nvme_poll_cq`).

use super::completion_ring::CompletionRing;
use super::request::NvmeOps;
use super::ring::SubmissionRing;
use super::shadow_doorbell::{ShadowDoorbells, ShadowSlot};
use crate::kernel_ext::block::batch::CompletionBatch;
use crate::kernel_ext::block::request::{Prepared, Request};
use crate::kernel_ext::block::status::Status as BlkStatus;
use crate::kernel_ext::{irq, pci};
use crate::spec::cid;
use crate::spec::queue::SqCursor;
use crate::spec::regs::sq_tail_doorbell;
use crate::spec::shadow_doorbell::sq_slot;
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering};
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// The submission side.
struct Submissions {
    ring: SubmissionRing,
    cursor: SqCursor,
    /// The tail the doorbell last heard.
    rung: u16,
}

/// An I/O queue pair.
#[pin_data]
pub struct IoQueue {
    qid: u16,
    depth: u16,
    sq_doorbell: pci::BarRegister32,
    /// Serialises submitters: blk-mq may run several CPUs' requests on one
    /// hardware queue at once.
    #[pin]
    sq: SpinLock<Submissions>,
    /// Reaped by the queue's interrupt handler, or by pollers under
    /// `poll_lock` for a polled queue.
    cq: CompletionRing,
    /// Serialises pollers of a polled queue (C `cq_poll_lock`), and
    /// timeouts looking for missed completions.
    #[pin]
    poll_lock: SpinLock<()>,
    /// The controller's submission queue head from the latest completion.
    sq_head: AtomicU16,
    polled: bool,
    /// A reset failed and the queue no longer exists on the controller:
    /// submissions fail rather than wait for nothing (C clears
    /// `NVMEQ_ENABLED`).
    dead: AtomicBool,
    /// Interrupt number of an interrupt-driven queue once its handler is
    /// registered; `NO_IRQ` before (and always for a polled queue).
    irq: AtomicU32,
    /// The tail doorbell's shadow, if shadow doorbells are in use.
    shadow: Option<ShadowSlot>,
}

/// [`IoQueue::irq`] before a handler is registered.
const NO_IRQ: u32 = u32::MAX;

impl IoQueue {
    /// Queue `qid` on submission ring `sq_ring`, with a completion ring as
    /// deep.
    pub fn new(
        pdev: &pci::Device,
        bar: Arc<pci::Bar>,
        qid: u16,
        sq_ring: SubmissionRing,
        stride: usize,
        polled: bool,
        shadow: Option<Arc<ShadowDoorbells>>,
    ) -> Result<Arc<Self>> {
        // Everything is computed first: inside the initialiser, fields
        // already set shadow the variables of the same name.
        let depth = sq_ring.depth();
        let sq_cursor = SqCursor::new(depth).ok_or(EINVAL)?;
        let sq_doorbell = pci::BarRegister32::new(bar.clone(), sq_tail_doorbell(qid, stride))?;
        let cq = CompletionRing::new(pdev, bar, qid, depth, stride, shadow.clone())?;
        let shadow = shadow
            .map(|s| ShadowSlot::new(s, sq_slot(qid, stride)))
            .transpose()?;
        Arc::pin_init(
            try_pin_init!(IoQueue {
                qid,
                depth,
                sq_doorbell,
                sq <- new_spinlock!(Submissions {
                    ring: sq_ring,
                    cursor: sq_cursor,
                    rung: 0,
                }),
                cq,
                poll_lock <- new_spinlock!(()),
                sq_head: AtomicU16::new(0),
                polled,
                dead: AtomicBool::new(false),
                irq: AtomicU32::new(NO_IRQ),
                shadow,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// The queue identifier.
    pub fn qid(&self) -> u16 {
        self.qid
    }

    /// Entries per ring.
    pub fn depth(&self) -> u16 {
        self.depth
    }

    /// Whether the submission ring is in the Controller Memory Buffer.
    pub fn sq_in_cmb(&self) -> bool {
        self.sq.lock().ring.in_cmb()
    }

    /// Whether the queue is polled (no interrupt).
    pub fn is_polled(&self) -> bool {
        self.polled
    }

    /// Fails every later submission: see [`super::queue_set::IoQueues::mark_dead`].
    pub fn mark_dead(&self) {
        self.dead.store(true, Ordering::Release);
    }

    /// Whether [`Self::mark_dead`] was called.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Records the interrupt its handler was registered on, so a timeout
    /// can mask it while looking for a missed completion.
    pub fn set_irq(&self, irq: u32) {
        self.irq.store(irq, Ordering::Relaxed);
    }

    /// Reaps completions from outside the interrupt handler, for a request
    /// that timed out: its completion may be in the ring with the interrupt
    /// lost (C `nvme_poll_irqdisable`). The handler is masked meanwhile, as
    /// a ring has one reaper at a time. May sleep.
    pub fn reap_missed<'t>(&self, find: impl Fn(u32) -> Option<&'t Request<NvmeOps>>) -> u32 {
        let irq = self.irq.load(Ordering::Relaxed);
        if !self.polled && irq == NO_IRQ {
            return 0;
        }
        let _masked = (!self.polled).then(|| irq::Masked::new(irq));
        // Several disks' timeouts may look at once: one reaper at a time.
        let _reapers = self.poll_lock.lock();
        self.take_completions(find, &mut CompletionBatch::none())
    }

    /// Forgets both rings' contents for a controller that was reset, as a
    /// newly created queue pair starts. The queue's interrupt must be
    /// synchronised and nothing may submit (the tag set is quiesced).
    pub fn reset_rings(&self) {
        let mut sq = self.sq.lock();
        if let Some(cursor) = SqCursor::new(self.depth) {
            sq.cursor = cursor;
        }
        sq.rung = 0;
        let _pollers = self.poll_lock.lock();
        self.cq.reset();
        self.sq_head.store(0, Ordering::Relaxed);
    }

    /// The submission ring's bus address, for Create I/O Submission Queue.
    pub fn sq_addr(&self) -> u64 {
        self.sq.lock().ring.dma_handle()
    }

    /// The completion ring's bus address, for Create I/O Completion Queue.
    pub fn cq_addr(&self) -> u64 {
        self.cq.dma_handle()
    }

    /// Copies the command of `rq` into the ring (C `nvme_sq_copy_cmd`).
    /// Rings the doorbell when `last` (no more commands follow right away)
    /// or when holding back would let the controller see a full queue (C
    /// `nvme_write_sq_db`). Always inline: it runs for every command, and
    /// a call frame costs as much as the copy.
    #[inline(always)]
    pub fn submit(&self, rq: Prepared<'_, NvmeOps>, last: bool) -> Result<(), BlkStatus> {
        if self.is_dead() {
            return Err(BlkStatus::IO_ERROR);
        }
        let mut sq = self.sq.lock();
        let cursor = sq.cursor;
        if cursor.is_full(self.sq_head.load(Ordering::Relaxed)) {
            // Cannot happen while blk-mq keeps fewer requests in flight than
            // the ring has entries; if it does, retry once some complete.
            return Err(BlkStatus::DEV_RESOURCE);
        }
        // Worked out from a copy, not from the guarded cursor: the ring's
        // volatile stores below would make the compiler read that again.
        let next = cursor.next();
        // The request is given up once its command is in the ring, before
        // the doorbell below lets the controller complete it.
        rq.hand_over(|private| sq.ring.write(cursor.tail(), &private.command.to_bytes()))
            .map_err(|_| BlkStatus::IO_ERROR)?;
        sq.cursor = next;
        if last || next.next().tail() == sq.rung {
            self.ring(&mut sq, next.tail());
        }
        Ok(())
    }

    /// Rings the doorbell for commands copied but not yet announced.
    pub fn commit(&self) {
        let mut sq = self.sq.lock();
        let tail = sq.cursor.tail();
        if tail != sq.rung {
            self.ring(&mut sq, tail);
        }
    }

    #[inline]
    fn ring(&self, sq: &mut Submissions, tail: u16) {
        sq.rung = tail;
        if let Some(shadow) = &self.shadow {
            if !shadow.publish(tail) {
                return;
            }
        }
        // The MMIO write orders after the entries' memory writes.
        self.sq_doorbell.write(u32::from(tail));
    }

    /// Whether a completion waits to be reaped (C `nvme_cqe_pending`).
    pub fn has_pending(&self) -> bool {
        self.cq.has_pending()
    }

    /// Takes every new completion, hands each to its request, and tells the
    /// controller with one doorbell write. `find` looks a tag up among the
    /// queue's in-flight requests; requests that can be are added to
    /// `batch`, to be ended together once the caller ends it. Returns how
    /// many completions were taken.
    pub fn reap<'t>(
        &self,
        find: impl Fn(u32) -> Option<&'t Request<NvmeOps>>,
        batch: &mut CompletionBatch<'_, NvmeOps>,
    ) -> u32 {
        if !self.polled {
            return self.take_completions(find, batch);
        }
        // Pollers spin on this: an empty ring is told without the lock, as
        // C's `nvme_poll` does.
        if !self.cq.has_pending() {
            return 0;
        }
        let _pollers = self.poll_lock.lock();
        self.take_completions(find, batch)
    }

    /// The body of [`Self::reap`]; the caller is the ring's only reaper.
    fn take_completions<'t>(
        &self,
        find: impl Fn(u32) -> Option<&'t Request<NvmeOps>>,
        batch: &mut CompletionBatch<'_, NvmeOps>,
    ) -> u32 {
        self.cq.reap(|cqe| {
            self.sq_head.store(cqe.sq_head, Ordering::Relaxed);
            let finished = match find(u32::from(cid::tag(cqe.cid))) {
                Some(rq) if rq.shared().owns(cqe.cid) => rq.shared().finish(rq, cqe, batch),
                _ => false,
            };
            if !finished {
                unknown_completion(self.qid, cqe.cid);
            }
        })
    }
}

/// Reports a completion for no request in flight, or for an earlier use of
/// the tag: the device is confused. Dropping it is all that can be done; the
/// request, if any, times out. Out of line, so the reaping loop does not
/// keep the message's arguments at hand for every entry.
#[cold]
#[inline(never)]
fn unknown_completion(qid: u16, cid: u16) {
    pr_warn!("nvme_rs: queue {qid}: completion with unknown command ID {cid:#x}\n");
}
