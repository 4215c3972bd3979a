// SPDX-License-Identifier: GPL-2.0

//! Shadow doorbells (C `nvme_dbbuf_*`): with a controller that supports
//! Doorbell Buffer Config (emulated ones do), every new submission tail and
//! completion head of an I/O queue goes to a shadow buffer in memory, and
//! the doorbell register, which an emulated controller traps at great cost,
//! is written only when the controller's event index asks for it. The
//! admin queue always rings its registers, as in C.

use crate::kernel_ext::dma::{self, CoherentAllocation, CoherentWord};
use crate::kernel_ext::pci;
use crate::nvme_core::admin::AdminQueue;
use crate::spec::command::Command;
use crate::spec::shadow_doorbell::{buffer_size, need_event};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The shadow doorbell and event index buffers of a controller.
pub struct ShadowDoorbells {
    shadow: Arc<CoherentAllocation>,
    event_index: Arc<CoherentAllocation>,
    /// The controller took the buffers since it was last enabled. Until it
    /// has (and from the moment it is disabled for a reset) every doorbell
    /// is written for real.
    active: AtomicBool,
}

impl ShadowDoorbells {
    /// Buffers for the doorbells of queues `0..queues` at doorbell stride
    /// `stride` bytes, not yet handed to the controller.
    pub fn new(pdev: &pci::Device, queues: u16, stride: usize) -> Result<Arc<Self>> {
        let size = buffer_size(queues, stride);
        Ok(Arc::new(
            ShadowDoorbells {
                shadow: Arc::new(CoherentAllocation::alloc(pdev.as_dev(), size)?, GFP_KERNEL)?,
                event_index: Arc::new(CoherentAllocation::alloc(pdev.as_dev(), size)?, GFP_KERNEL)?,
                active: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?)
    }

    /// Hands both buffers, zeroed as the queues' tails and heads are, to
    /// the controller, before the I/O queues are created. On failure the
    /// real doorbells stay in use.
    pub fn activate(&self, admin: &dyn AdminQueue) -> Result {
        self.active.store(false, Ordering::Release);
        self.shadow.clear();
        self.event_index.clear();
        let cmd = Command::doorbell_buffer_config(
            self.shadow.dma_handle(),
            self.event_index.dma_handle(),
        );
        admin.execute_read(cmd, &mut [])?;
        self.active.store(true, Ordering::Release);
        Ok(())
    }

    /// The controller forgets the buffers when it is disabled (a reset):
    /// ring the registers until [`Self::activate`] succeeds again.
    pub fn deactivate(&self) {
        self.active.store(false, Ordering::Release);
    }

    /// Whether the controller uses the buffers.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

/// One doorbell's words in the shadow doorbell and event index buffers.
pub struct ShadowSlot {
    doorbells: Arc<ShadowDoorbells>,
    shadow: CoherentWord,
    event_index: CoherentWord,
}

impl ShadowSlot {
    /// The doorbell in 32-bit word `index` of both buffers (see
    /// `spec::shadow_doorbell`); fails if the buffers are too small for it.
    pub fn new(doorbells: Arc<ShadowDoorbells>, index: usize) -> Result<Self> {
        let shadow = CoherentWord::new(doorbells.shadow.clone(), index)?;
        let event_index = CoherentWord::new(doorbells.event_index.clone(), index)?;
        Ok(ShadowSlot {
            doorbells,
            shadow,
            event_index,
        })
    }

    /// Publishes `value` as the doorbell's new value; returns whether the
    /// doorbell register must be written too. The caller serialises updates
    /// of one doorbell.
    #[inline]
    pub fn publish(&self, value: u16) -> bool {
        if !self.doorbells.is_active() {
            return true;
        }
        // The entries the new value announces are visible first.
        dma::write_barrier();
        let old = self.shadow.read();
        self.shadow.write(u32::from(value));
        // The new value is visible before the event index is read; the
        // controller orders its side the same way, so one of the two sees
        // the other's update.
        dma::full_barrier();
        let event = self.event_index.read();
        need_event(event as u16, value, old as u16)
    }
}
