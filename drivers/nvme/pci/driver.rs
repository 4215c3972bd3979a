// SPDX-License-Identifier: GPL-2.0

//! The PCI driver: which devices nvme-rs binds and what happens on bind,
//! unbind and system shutdown.

use super::config::PARAMETERS;
use super::controller::Controller;
use crate::kernel_ext::pci;
use kernel::prelude::*;

/// PCI class code of an NVMe controller: mass storage (0x01), non-volatile
/// memory (0x08), NVM Express programming interface (0x02).
pub const NVME_CLASS: u32 = 0x01_08_02;

/// Devices the driver binds: every NVMe controller, by class code, as the
/// C driver's catch-all entry.
pub static ID_TABLE: pci::IdTable<1> =
    pci::IdTable::new([pci::DeviceId::with_class(NVME_CLASS, 0xff_ff_ff)]);

/// The nvme-rs PCI driver.
pub struct NvmeDriver;

impl pci::Driver for NvmeDriver {
    type Data = KBox<Controller>;

    fn probe(dev: &pci::Device) -> Result<KBox<Controller>> {
        Controller::probe(dev, PARAMETERS.config())
    }

    fn shutdown(ctrl: &Controller) {
        ctrl.shutdown();
    }
}
