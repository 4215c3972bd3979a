// SPDX-License-Identifier: GPL-2.0

//! A controller on PCIe: probe brings it up and identifies it, dropping it
//! shuts it down and gives back everything probe took (C `nvme_probe`,
//! `nvme_pci_enable`, `nvme_pci_configure_admin_queue`, `nvme_remove`).

use super::admin_queue;
use super::registers::{Enabled, Registers};
use crate::nvme_core::identify::{identify, ControllerInfo};
use crate::nvme_core::instance::Instance;
use crate::kernel_ext::pci;
use crate::spec::regs::{bar_size_for_queues, offset, Version};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Queues whose doorbells must fit in BAR0 for the driver to bind: the
/// admin queue for now.
const QUEUES: u16 = 1;

/// A bound controller.
///
/// Fields drop in declaration order, which is the teardown order: the
/// controller is shut down before its queues' memory and interrupt vectors
/// are released, and the device is disabled last.
pub struct Controller {
    enabled: Enabled,
    _admin: Pin<KBox<admin_queue::Queue>>,
    _vectors: pci::IrqVectors,
    _pci: pci::Enabled,
    _info: ControllerInfo,
    _instance: Instance,
}

impl Controller {
    /// Brings up the controller behind `pdev`: enables the device, maps
    /// BAR0, resets the controller, sets up the admin queue pair with its
    /// interrupt, enables the controller and identifies it.
    pub fn probe(pdev: &pci::Device) -> Result<KBox<Self>> {
        let instance = Instance::alloc()?;
        let pci = pdev.enable_mem()?;
        pci.set_master();
        pdev.set_dma_mask(64)?;

        // The doorbell stride is in CAP, so map first with room for the
        // first doorbells at the smallest stride, then check the real need.
        let bar = pci::Bar::map(pdev, 0, bar_size_for_queues(QUEUES, 4), kernel::c_str!("nvme_rs"))?;
        let bar = Arc::new(bar, GFP_KERNEL)?;
        let regs = Registers::new(pdev, bar.clone())?;
        let stride = regs.cap().doorbell_stride();
        if bar.size() < bar_size_for_queues(QUEUES, stride) {
            return Err(ENODEV);
        }
        let version = Version(bar.read32(offset::VS)?);

        regs.disable()?;

        let vectors = pci::IrqVectors::alloc(pdev, 1, 1, pci::IrqTypes::ALL, 0)?;
        let admin = admin_queue::Queue::new(pdev, bar, stride, vectors.irq(0)?, &instance)?;
        let mut enabled = regs.enable(admin.aqa(), admin.sq_addr(), admin.cq_addr(), &instance)?;

        let info = identify(&*admin, pdev.as_dev(), &instance, version)?;
        enabled.set_rtd3_entry_latency(info.id.rtd3_entry_us);

        Ok(KBox::new(
            Controller {
                enabled,
                _admin: admin,
                _vectors: vectors,
                _pci: pci,
                _info: info,
                _instance: instance,
            },
            GFP_KERNEL,
        )?)
    }

    /// Shuts the controller down, for system shutdown or reboot while it is
    /// still bound. Dropping the controller later does not repeat it.
    pub fn shutdown(&self) {
        self.enabled.shutdown();
    }
}
