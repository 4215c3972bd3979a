// SPDX-License-Identifier: GPL-2.0

//! PCIe error recovery and Function Level Reset (C `nvme_error_detected`,
//! `nvme_slot_reset`, `nvme_error_resume`, `nvme_reset_prepare`,
//! `nvme_reset_done`).
//!
//! An error that leaves the link working changes nothing. One that froze
//! it disables the controller and holds its I/O back; after the slot reset
//! the controller is brought back as after any reset, and the held I/O
//! runs. Where no slot reset comes within `error_recovery_timeout` (the
//! PCI core's recovery failed), the controller is given up
//! ([`super::recovery_watch`]). A permanent failure gives the controller
//! up: its I/O fails at once and it is removed. A function reset is the
//! same disable before and restart after.

use super::controller::Controller;
use crate::kernel_ext::pci::{ChannelState, ErsResult};
use crate::nvme_core::transport::Disable;
use crate::{dev_info, dev_warn};

impl Controller {
    /// A PCIe error was detected; `state` says what is left of the link.
    pub fn error_detected(&self, state: ChannelState) -> ErsResult {
        let shared = self.shared();
        let dev = self.pdev.as_dev();
        match state {
            ChannelState::Normal => ErsResult::CanRecover,
            ChannelState::Frozen => {
                dev_warn!(
                    dev,
                    "nvme{}: frozen state error detected, reset controller\n",
                    shared.instance
                );
                if shared.disable(Disable::Reset) {
                    self.recovery.start();
                    ErsResult::NeedReset
                } else {
                    ErsResult::Disconnect
                }
            }
            ChannelState::PermanentFailure => {
                dev_warn!(
                    dev,
                    "nvme{}: failure state error detected, request disconnect\n",
                    shared.instance
                );
                shared.fail_io();
                ErsResult::Disconnect
            }
        }
    }

    /// MMIO works again after an error that left the link up: nothing was
    /// stopped, so nothing is left to recover.
    pub fn mmio_enabled(&self) -> ErsResult {
        ErsResult::Recovered
    }

    /// The slot was reset: the configuration space is put back and the
    /// controller brought back.
    pub fn slot_reset(&self) -> ErsResult {
        let shared = self.shared();
        dev_info!(
            self.pdev.as_dev(),
            "nvme{}: restart after slot reset\n",
            shared.instance
        );
        self.recovery.stop();
        self.pdev.restore_state();
        // A failure gave the controller up; recovery is over either way.
        let _ = shared.restart();
        ErsResult::Recovered
    }

    /// A function reset is about to happen.
    pub fn reset_prepare(&self) {
        self.shared().disable(Disable::Reset);
    }

    /// The function reset is done.
    pub fn reset_done(&self) {
        let _ = self.shared().restart();
    }
}
