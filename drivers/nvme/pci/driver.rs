// SPDX-License-Identifier: GPL-2.0

//! The PCI driver: which devices nvme-rs binds and what happens on bind,
//! unbind, system shutdown and sleep, PCIe errors and function resets.

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

#[vtable]
impl pci::Driver for NvmeDriver {
    type Data = KBox<Controller>;

    fn probe(dev: &pci::Device) -> Result<KBox<Controller>> {
        Controller::probe(dev, PARAMETERS.config())
    }

    fn shutdown(ctrl: &Controller) {
        ctrl.shutdown();
    }

    fn suspend(ctrl: &Controller) -> Result {
        ctrl.suspend()
    }

    fn resume(ctrl: &Controller) -> Result {
        ctrl.resume()
    }

    fn freeze(ctrl: &Controller) -> Result {
        ctrl.sleep()
    }

    fn thaw(ctrl: &Controller) -> Result {
        ctrl.wake()
    }

    fn poweroff(ctrl: &Controller) -> Result {
        ctrl.sleep()
    }

    fn restore(ctrl: &Controller) -> Result {
        ctrl.wake()
    }

    fn error_detected(ctrl: &Controller, state: pci::ChannelState) -> pci::ErsResult {
        ctrl.error_detected(state)
    }

    fn mmio_enabled(ctrl: &Controller) -> pci::ErsResult {
        ctrl.mmio_enabled()
    }

    fn slot_reset(ctrl: &Controller) -> pci::ErsResult {
        ctrl.slot_reset()
    }

    fn reset_prepare(ctrl: &Controller) {
        ctrl.reset_prepare()
    }

    fn reset_done(ctrl: &Controller) {
        ctrl.reset_done()
    }
}
