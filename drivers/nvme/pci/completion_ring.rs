// SPDX-License-Identifier: GPL-2.0

//! A completion queue ring in host memory: finding new entries by their
//! phase tag, and telling the controller how far the host has read (C
//! `nvme_cqe_pending`, `nvme_poll_cq`, `nvme_ring_cq_doorbell`).

use super::ring::CompletionMemory;
use super::shadow_doorbell::{ShadowDoorbells, ShadowSlot};
use crate::kernel_ext::dma;
use crate::kernel_ext::pci;
use crate::spec::completion::{Completion, STATUS_OFFSET};
use crate::spec::queue::CqCursor;
use crate::spec::regs::cq_head_doorbell;
use crate::spec::shadow_doorbell::cq_slot;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The completion ring of queue `qid`.
pub struct CompletionRing {
    ring: CompletionMemory,
    doorbell: pci::BarRegister32,
    /// The cursor, packed. One context at a time reaps a ring (its interrupt
    /// handler, which the kernel never runs on two CPUs at once, or pollers
    /// under their queue's lock), so a load and a store suffice.
    cursor: AtomicU32,
    /// The head doorbell's shadow (I/O queues with shadow doorbells only).
    shadow: Option<ShadowSlot>,
}

impl CompletionRing {
    /// A zeroed ring of `depth` entries for queue `qid`; zero phase tags mark
    /// every entry as old until the controller's first pass. With `shadow`,
    /// the head doorbell goes through the shadow doorbells.
    pub fn new(
        pdev: &pci::Device,
        bar: Arc<pci::Bar>,
        qid: u16,
        depth: u16,
        stride: usize,
        shadow: Option<Arc<ShadowDoorbells>>,
    ) -> Result<Self> {
        let cursor = CqCursor::new(depth).ok_or(EINVAL)?;
        Ok(CompletionRing {
            ring: CompletionMemory::alloc(pdev.as_dev(), depth)?,
            doorbell: pci::BarRegister32::new(bar, cq_head_doorbell(qid, stride))?,
            cursor: AtomicU32::new(cursor.pack()),
            shadow: shadow
                .map(|s| ShadowSlot::new(s, cq_slot(qid, stride)))
                .transpose()?,
        })
    }

    /// Forgets every entry, for a controller that was reset: zero phase
    /// tags, head 0, expecting phase 1. The caller must keep every reaper
    /// away (interrupt synchronised, pollers locked out).
    pub fn reset(&self) {
        self.ring.clear();
        if let Some(cursor) = CqCursor::new(self.ring.depth()) {
            self.cursor.store(cursor.pack(), Ordering::Relaxed);
        }
    }

    /// The ring's bus address, for `ACQ` or Create I/O Completion Queue.
    pub fn dma_handle(&self) -> u64 {
        self.ring.dma_handle()
    }

    /// Hands every new entry to `deliver`, in order, then writes the head
    /// doorbell once for the whole batch. Returns how many entries there were.
    /// Callers must not reap one ring from two contexts at once.
    pub fn reap(&self, mut deliver: impl FnMut(&Completion)) -> u32 {
        let Some(mut cursor) =
            CqCursor::unpack(self.ring.depth(), self.cursor.load(Ordering::Relaxed))
        else {
            return 0;
        };
        let mut taken = 0;
        while let Some(cqe) = self.entry_at(&cursor) {
            deliver(&cqe);
            cursor.advance();
            taken += 1;
        }
        if taken > 0 {
            self.cursor.store(cursor.pack(), Ordering::Relaxed);
            let head = cursor.head();
            let ring = self
                .shadow
                .as_ref()
                .map_or(true, |shadow| shadow.publish(head));
            if ring {
                self.doorbell.write(u32::from(head));
            }
        }
        taken
    }

    /// Whether the controller has written an entry not yet reaped (C
    /// `nvme_cqe_pending`). Callable without being the reaper: pollers ask
    /// before taking their lock, so polling an idle queue costs no lock.
    /// The answer can be stale if another context is reaping; that one then
    /// takes what is there.
    pub fn has_pending(&self) -> bool {
        CqCursor::unpack(self.ring.depth(), self.cursor.load(Ordering::Relaxed))
            .is_some_and(|cursor| self.is_written(&cursor))
    }

    /// Whether the entry at the cursor carries this pass's phase tag, that
    /// is, the controller has written it since the host last read there.
    fn is_written(&self, cursor: &CqCursor) -> bool {
        self.ring
            .read_u16(cursor.head(), STATUS_OFFSET)
            .is_ok_and(|status| cursor.is_new(status))
    }

    /// The entry at the cursor, if the controller has written it on this pass.
    fn entry_at(&self, cursor: &CqCursor) -> Option<Completion> {
        if !self.is_written(cursor) {
            return None;
        }
        // Read the rest of the entry only after seeing the new phase tag.
        dma::read_barrier();
        Some(Completion::from_bytes(&self.ring.read(cursor.head()).ok()?))
    }
}
