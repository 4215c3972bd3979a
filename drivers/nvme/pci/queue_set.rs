// SPDX-License-Identifier: GPL-2.0

//! The I/O queues of a controller: how many, their creation and deletion on
//! the controller, their interrupt handlers, and the memory they share
//! (C `nvme_setup_io_queues`, `nvme_create_io_queues`, `nvme_delete_io_queues`).

use super::admin_queue;
use super::io_queue::IoQueue;
use super::registers::{QueueMemory, Registers};
use super::request::NvmeOps;
use super::ring::SubmissionRing;
use super::shadow_doorbell::ShadowDoorbells;
use crate::kernel_ext::block::batch;
use crate::kernel_ext::block::tag_set::TagSet;
use crate::kernel_ext::dma_pool::DmaPool;
use crate::kernel_ext::module_param::ParamBool;
use crate::kernel_ext::{irq, pci};
use crate::nvme_core::admin::AdminQueue;
use crate::nvme_core::ctrl::Ctrl;
use crate::nvme_core::instance::Instance;
use crate::spec::command::Command;
use crate::spec::queue_plan::{vector_for_queue, QueuePlan};
use crate::{dev_err, dev_warn};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;
use kernel::types::ARef;

/// Most data segments in one request (C `NVME_MAX_SEGS`).
pub const MAX_SEGMENTS: u16 = 128;

/// Bytes of a PRP list, SGL segment or DSM range list block: one page,
/// which holds 512 PRP entries (a longer list is chained over several
/// blocks), 256 SGL descriptors (more than `MAX_SEGMENTS`) or 256 DSM
/// ranges (the most one command takes).
pub const LIST_BLOCK_SIZE: usize = 4096;

/// The I/O queue pairs and what their requests share. This is the tag set's
/// data: hardware queue `i` is queue pair `i + 1`.
pub struct IoQueues {
    queues: KVec<Arc<IoQueue>>,
    pub(super) pool: Arc<DmaPool>,
    pdev: ARef<pci::Device>,
    plan: QueuePlan,
    vectors: u32,
    /// Identify Controller SGLS.
    pub(super) sgls: u32,
    /// The `sgl_threshold` parameter.
    pub(super) sgl_threshold: u32,
    pub(super) max_segments: u16,
    /// The controller, for timeouts: Abort and reset go through it.
    pub(super) ctrl: Arc<Ctrl>,
    /// Its registers, for timeouts to look at `CSTS`.
    pub(super) regs: Registers,
    /// Shadow doorbells, if the controller has them and they are wanted.
    shadow: Option<Arc<ShadowDoorbells>>,
}

// The rings, list blocks and shadow doorbells the controller uses.
impl QueueMemory for IoQueues {}

/// Parameters of [`IoQueues::create`].
pub struct QueueSetConfig {
    /// How many queues of each kind.
    pub plan: QueuePlan,
    /// Interrupt vectors allocated (vector 0 is the admin queue's).
    pub vectors: u32,
    /// Entries per queue.
    pub depth: u16,
    /// Doorbell stride in bytes.
    pub stride: usize,
    /// Identify Controller SGLS.
    pub sgls: u32,
    /// Use SGLs from this average segment size on (0: never).
    pub sgl_threshold: u32,
    /// Use shadow doorbells (the controller supports them, and the
    /// `shadow_doorbells` parameter allows them).
    pub shadow_doorbells: bool,
    /// Place the submission rings in the Controller Memory Buffer where
    /// there is room (it can hold them, they fit at `depth`, and
    /// `use_cmb_sqes` allows it).
    pub sqs_in_cmb: bool,
}

impl IoQueues {
    /// Allocates the queue pairs' memory and the list pool.
    pub fn new(
        pdev: &pci::Device,
        bar: &Arc<pci::Bar>,
        config: &QueueSetConfig,
        ctrl: Arc<Ctrl>,
        regs: Registers,
    ) -> Result<Arc<Self>> {
        let total = config.plan.total();
        let shadow = if config.shadow_doorbells {
            Some(ShadowDoorbells::new(pdev, 1 + total as u16, config.stride)?)
        } else {
            None
        };
        let mut queues = KVec::with_capacity(total as usize, GFP_KERNEL)?;
        for qid in 1..=total as u16 {
            let polled = qid > config.plan.interrupt_queues;
            queues.push(
                IoQueue::new(
                    pdev,
                    bar.clone(),
                    qid,
                    SubmissionRing::alloc_placed(pdev, config.depth, config.sqs_in_cmb)?,
                    config.stride,
                    polled,
                    shadow.clone(),
                )?,
                GFP_KERNEL,
            )?;
        }
        let pool = DmaPool::new(
            pdev.as_dev(),
            kernel::c_str!("nvme_rs list"),
            LIST_BLOCK_SIZE,
            LIST_BLOCK_SIZE,
        )?;
        Ok(Arc::new(
            IoQueues {
                queues,
                pool,
                pdev: pdev.into(),
                plan: config.plan,
                vectors: config.vectors,
                sgls: config.sgls,
                sgl_threshold: config.sgl_threshold,
                max_segments: MAX_SEGMENTS,
                ctrl,
                regs,
                shadow,
            },
            GFP_KERNEL,
        )?)
    }

    /// The queue pair of hardware queue `hctx`.
    pub fn queue(&self, hctx: u32) -> Option<&Arc<IoQueue>> {
        self.queues.get(hctx as usize)
    }

    /// All queue pairs, in queue ID order.
    pub fn queues(&self) -> &[Arc<IoQueue>] {
        &self.queues
    }

    /// How many submission rings are in the Controller Memory Buffer.
    pub fn sqs_in_cmb(&self) -> usize {
        self.queues.iter().filter(|queue| queue.sq_in_cmb()).count()
    }

    /// How many queues of each kind.
    pub fn plan(&self) -> QueuePlan {
        self.plan
    }

    /// Interrupt vectors allocated.
    pub fn vectors(&self) -> u32 {
        self.vectors
    }

    /// The PCI device.
    pub fn pdev(&self) -> &pci::Device {
        &self.pdev
    }

    /// Whether a failed reset left the queues unusable ([`Self::mark_dead`]
    /// marks them all at once).
    pub fn is_dead(&self) -> bool {
        self.queues.iter().any(|queue| queue.is_dead())
    }

    /// Fails every later request: a reset could not bring the queues back,
    /// so they no longer exist on the controller. Each queue keeps the mark,
    /// where submission looks.
    pub fn mark_dead(&self) {
        for queue in self.queues.iter() {
            queue.mark_dead();
        }
    }

    /// Creates every queue pair on the controller (completion queue first),
    /// returning a guard that deletes them again.
    pub fn create_on_device(
        self: &Arc<Self>,
        admin: &Arc<admin_queue::Queue>,
        name: &Instance,
    ) -> Result<OnDevice> {
        let mut guard = OnDevice {
            admin: admin.clone(),
            queues: self.clone(),
            created: 0,
            name: name.number(),
        };
        self.create_queues(admin, name.number(), &mut guard.created)?;
        Ok(guard)
    }

    /// Creates the queue pairs on the controller again after a reset, where
    /// the controller forgot them; the guard from [`Self::create_on_device`]
    /// still deletes them at teardown.
    pub fn recreate_on_device(&self, admin: &admin_queue::Queue, name: u32) -> Result {
        let mut created = 0;
        self.create_queues(admin, name, &mut created)
    }

    /// Deletes queue pairs `created` down to 1 on the controller
    /// (submission queue before its completion queue), so it stops using
    /// their memory, as before a shutdown notification (C
    /// `nvme_delete_io_queues`). A failure is reported, and the shutdown or
    /// disable that follows stops the controller anyway.
    pub fn delete_on_device(&self, admin: &admin_queue::Queue, name: u32, created: u16) {
        for qid in (1..=created).rev() {
            let deleted = admin
                .execute_read(Command::delete_sq(qid), &mut [])
                .and_then(|_| admin.execute_read(Command::delete_cq(qid), &mut []));
            if deleted.is_err() {
                dev_warn!(
                    self.pdev.as_dev(),
                    "nvme{}: cannot delete queue {}\n",
                    name,
                    qid
                );
            }
        }
    }

    /// Whether the controller uses shadow doorbells.
    pub fn shadow_doorbells_active(&self) -> bool {
        self.shadow.as_ref().is_some_and(|s| s.is_active())
    }

    /// Rings the doorbell registers from now on: the controller is being
    /// disabled for a reset and forgets the shadow buffers.
    pub fn deactivate_shadow_doorbells(&self) {
        if let Some(shadow) = &self.shadow {
            shadow.deactivate();
        }
    }

    /// Creates the queue pairs in order, counting them in `created`. Shadow
    /// doorbells are handed over first, so every queue starts with them.
    fn create_queues(&self, admin: &admin_queue::Queue, name: u32, created: &mut u16) -> Result {
        if let Some(shadow) = &self.shadow {
            if let Err(err) = shadow.activate(admin) {
                dev_warn!(
                    self.pdev.as_dev(),
                    "nvme{}: Doorbell Buffer Config failed ({:?}); ringing doorbell registers\n",
                    name,
                    err
                );
            }
        }
        for queue in self.queues.iter() {
            let qid = queue.qid();
            let vector = vector_for_queue(qid, &self.plan, self.vectors);
            let create_cq =
                Command::create_cq(qid, queue.depth(), vector).with_prp1(queue.cq_addr());
            admin.execute_read(create_cq, &mut [])?;
            let create_sq = Command::create_sq(qid, queue.depth(), qid).with_prp1(queue.sq_addr());
            if let Err(err) = admin.execute_read(create_sq, &mut []) {
                let _ = admin.execute_read(Command::delete_cq(qid), &mut []);
                dev_err!(
                    self.pdev.as_dev(),
                    "nvme{}: cannot create queue {}\n",
                    name,
                    qid
                );
                return Err(err.into());
            }
            *created = qid;
        }
        Ok(())
    }

    /// Registers the interrupt handlers of the interrupt-driven queues,
    /// threaded where `use_threaded_interrupts` says.
    pub fn request_irqs(
        &self,
        tags: &Arc<TagSet<NvmeOps>>,
        vectors: &pci::IrqVectors,
        name: &Instance,
    ) -> Result<QueueIrqs> {
        let threaded = USE_THREADED_INTERRUPTS.get();
        let mut direct = KVec::new();
        let mut in_thread = KVec::new();
        for (hctx, queue) in self.queues.iter().enumerate() {
            let Some(vector) = vector_for_queue(queue.qid(), &self.plan, self.vectors) else {
                continue;
            };
            let handler = Arc::new(
                QueueIrq {
                    queue: queue.clone(),
                    tags: tags.clone(),
                    hctx: hctx as u32,
                },
                GFP_KERNEL,
            )?;
            let irq_name = CString::try_from_fmt(kernel::fmt!("{}q{}", name, queue.qid()))?;
            let irq = vectors.irq(u32::from(vector))?;
            if threaded {
                let handler = Arc::new(ThreadedQueueIrq(handler), GFP_KERNEL)?;
                in_thread.push(
                    irq::Registration::request(irq, irq_name, handler)?,
                    GFP_KERNEL,
                )?;
            } else {
                direct.push(
                    irq::Registration::request(irq, irq_name, handler)?,
                    GFP_KERNEL,
                )?;
            }
            queue.set_irq(irq);
        }
        Ok(if threaded {
            QueueIrqs::Threaded(in_thread)
        } else {
            QueueIrqs::Direct(direct)
        })
    }
}

/// Module parameter `use_threaded_interrupts` (C's, 0444): the I/O
/// queues' completions are reaped in their IRQs' kernel threads, the hard
/// interrupt handler only looking whether there is one (C
/// `nvme_irq_check`).
pub static USE_THREADED_INTERRUPTS: ParamBool = ParamBool::new(false);

/// The registered interrupt handlers of the I/O queues; dropping them
/// frees the interrupts.
pub enum QueueIrqs {
    /// Reaping in the hard interrupt handler.
    Direct(KVec<irq::Registration<QueueIrq>>),
    /// Reaping in the IRQ threads (`use_threaded_interrupts`).
    Threaded(KVec<irq::Registration<ThreadedQueueIrq>>),
}

/// A queue's interrupt handler reaping in the IRQ's thread.
pub struct ThreadedQueueIrq(Arc<QueueIrq>);

impl irq::Handler for ThreadedQueueIrq {
    const THREADED: bool = true;

    fn handle_irq(&self) -> irq::Return {
        if self.0.queue.has_pending() {
            irq::Return::WakeThread
        } else {
            irq::Return::None
        }
    }

    fn handle_thread(&self) -> irq::Return {
        irq::Handler::handle_irq(&*self.0)
    }
}

/// The interrupt handler of one interrupt-driven queue.
pub struct QueueIrq {
    queue: Arc<IoQueue>,
    tags: Arc<TagSet<NvmeOps>>,
    hctx: u32,
}

impl irq::Handler for QueueIrq {
    // Built into the registration's C-facing handler, as C's `nvme_irq` is
    // the handler itself.
    #[inline(always)]
    fn handle_irq(&self) -> irq::Return {
        // Allocated with the tag set, so only a broken tag set has none; its
        // completions are then taken and dropped as unknown.
        let tags = self.tags.hw_tags(self.hctx);
        let find = |tag| tags.as_ref().and_then(|tags| tags.find_request(tag));
        // Completions are ended as a batch once the ring is read and its
        // head doorbell written, as C's `nvme_irq` does.
        let reaped = batch::gather(|batch| self.queue.reap(find, batch));
        if reaped > 0 {
            irq::Return::Handled
        } else {
            irq::Return::None
        }
    }
}

/// The I/O queues exist on the controller; dropping this deletes them
/// (submission queue before its completion queue), newest first, so the
/// controller stops using their memory. It keeps the queues' memory alive
/// until then.
pub struct OnDevice {
    admin: Arc<admin_queue::Queue>,
    queues: Arc<IoQueues>,
    created: u16,
    name: u32,
}

impl Drop for OnDevice {
    fn drop(&mut self) {
        if self.queues.is_dead() {
            // The controller was given up on and cannot fetch commands: each
            // deletion would only wait out the admin timeout. The shutdown
            // that follows stops it.
            return;
        }
        self.queues
            .delete_on_device(&self.admin, self.name, self.created);
    }
}
