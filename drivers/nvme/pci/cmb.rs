// SPDX-License-Identifier: GPL-2.0

//! The Controller Memory Buffer: found at bring-up, offered to the kernel's
//! peer-to-peer allocator and enabled on the controller (C
//! `nvme_map_cmb`), so that the I/O submission queues can be placed in it
//! (C `nvme_alloc_sq_cmds`). With its submission queues on the controller,
//! the controller reads commands from its own memory instead of fetching
//! them across the link.

use crate::dev_warn;
use crate::kernel_ext::module_param::ParamBool;
use crate::kernel_ext::{p2pdma, pci};
use crate::nvme_core::instance::Instance;
use crate::spec::cmb::{memory_space_control, BarWindow, CmbRegisters, CMBMSC_CAPABILITIES_READY};
use crate::spec::regs::{offset, Cap};

/// Module parameter `use_cmb_sqes` (C's, 0444): place the I/O submission
/// queues in the Controller Memory Buffer where it can hold them.
pub static USE_CMB_SQES: ParamBool = ParamBool::new(true);

/// A controller's Controller Memory Buffer, as bring-up found it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cmb {
    /// `CMBLOC` and `CMBSZ`, for sysfs; zero where there is no CMB.
    pub registers: CmbRegisters,
    /// Bytes offered to the peer-to-peer allocator: 0 where there is no
    /// CMB, or it could not be used.
    size: u64,
}

impl Cmb {
    /// Finds the CMB of the controller whose registers `bar` maps, and
    /// offers it to the peer-to-peer allocator, as C's `nvme_map_cmb`. A
    /// CMB that cannot be used leaves the controller working without it;
    /// only the registers are kept then, for sysfs.
    pub fn map(pdev: &pci::Device, bar: &pci::Bar, cap: Cap, name: &Instance) -> Self {
        let space_control = cap.cmb_memory_space_control();
        // NVMe 1.4 controllers show CMBLOC and CMBSZ only once asked to.
        if space_control
            && bar
                .write32(CMBMSC_CAPABILITIES_READY as u32, offset::CMBMSC)
                .is_err()
        {
            return Cmb::default();
        }
        let (Ok(size), Ok(location)) = (bar.read32(offset::CMBSZ), bar.read32(offset::CMBLOC))
        else {
            return Cmb::default();
        };
        let registers = CmbRegisters { location, size };
        let unused = Cmb { registers, size: 0 };
        if !registers.present() {
            return Cmb::default();
        }
        let index = registers.bar();
        let window = BarWindow {
            start: pdev.resource_start(index),
            len: pdev.resource_len(index),
        };
        let Some(placement) = registers.placement(window, p2pdma::compat_align()) else {
            return unused;
        };
        // Tell the controller where the host put the CMB, and turn its
        // decoding on. The high half first: the low half's write is what
        // the controller acts on.
        if space_control {
            let base = pdev.bus_address(index) + placement.offset;
            if bar
                .write64_hi_lo(memory_space_control(base), offset::CMBMSC)
                .is_err()
            {
                return unused;
            }
        }
        if let Err(err) = pdev.add_p2p_resource(index, placement.size, placement.offset) {
            dev_warn!(
                pdev.as_dev(),
                "{}: failed to register the CMB ({:?})\n",
                name,
                err
            );
            let _ = bar.write64_hi_lo(0, offset::CMBMSC);
            return unused;
        }
        if registers.holds_data() {
            pdev.publish_p2p_memory();
        }
        Cmb {
            registers,
            size: placement.size,
        }
    }

    /// Bytes of CMB the I/O submission queues may take: `None` where there
    /// is none, it cannot hold submission queues, or `use_cmb_sqes` is off.
    pub fn room_for_submission_queues(&self) -> Option<u64> {
        (self.size > 0 && self.registers.holds_submission_queues() && USE_CMB_SQES.get())
            .then_some(self.size)
    }
}
