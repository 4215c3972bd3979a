// SPDX-License-Identifier: GPL-2.0

//! Firmware activation without a reset, as C's `nvme_fw_act_work` and
//! `nvme_get_fw_slot_info` (`drivers/nvme/host/core.c`): once the
//! controller announces that it starts activating firmware (an
//! asynchronous event notice), the I/O queues are held back while it
//! pauses processing (`CSTS.PP`), for up to its Maximum Time for Firmware
//! Activation or the admin timeout; a controller still paused then is
//! reset. Afterwards the Firmware Slot Information log, whose reading
//! clears the event, tells the revision now running.
//!
//! As C, the controller is in the resetting state meanwhile, which keeps
//! resets, timeouts' aborts and system sleep from interfering.

use super::ctrl::Ctrl;
use crate::kernel_ext::delay;
use crate::spec::command::Command;
use crate::spec::ctrl_state::State;
use crate::spec::firmware::{
    activation_timeout_ms, activation_wait, ActivationWait, SlotInfo, FW_SLOT_LOG,
    FW_SLOT_LOG_SIZE, POLL_INTERVAL_MS,
};
use crate::{dev_info, dev_warn};
use kernel::prelude::*;
use kernel::time::Ktime;

impl Ctrl {
    /// Waits out a firmware activation the controller announced; the
    /// caller moved the controller from live to resetting. Returns whether
    /// it ended live, with the Asynchronous Event Request still to be
    /// submitted again; otherwise a reset did that, or the controller is
    /// going.
    pub(super) fn activate_firmware(&self) -> bool {
        let Some(transport) = self.transport() else {
            return false;
        };
        let timeout_ms = activation_timeout_ms(self.id.mtfa, self.admin_timeout_ms);
        transport.quiesce_io();
        let start = Ktime::ktime_get();
        loop {
            // Teardown moved it on: stop waiting, and let its disks drain.
            if self.state() != State::Resetting {
                transport.unquiesce_io();
                return false;
            }
            let elapsed = kernel::time::ktime_ms_delta(Ktime::ktime_get(), start);
            let elapsed = u64::try_from(elapsed).unwrap_or(0);
            match activation_wait(transport.processing_paused(), elapsed, timeout_ms) {
                ActivationWait::Done => break,
                ActivationWait::Sleep => delay::msleep(POLL_INTERVAL_MS),
                ActivationWait::TimedOut => {
                    dev_warn!(
                        &*self.dev,
                        "nvme{}: Fw activation timeout, reset controller\n",
                        self.instance
                    );
                    // The reset quiesces and unquiesces the queues once
                    // more, and submits the next event request.
                    if let Err(err) = self.reset_resetting() {
                        dev_warn!(
                            &*self.dev,
                            "nvme{}: reset failed: {:?}\n",
                            self.instance,
                            err
                        );
                    }
                    transport.unquiesce_io();
                    return false;
                }
            }
        }
        // As C: resetting, then connecting, then live, without a reset.
        let live = self.change_state(State::Connecting) && self.change_state(State::Live);
        transport.unquiesce_io();
        if live {
            self.read_firmware_slot();
        }
        live
    }

    /// Reads the Firmware Slot Information log, which clears the event,
    /// and records the revision now active (sysfs `firmware_rev`), unless
    /// another one is activated at the next reset (C
    /// `nvme_get_fw_slot_info`).
    fn read_firmware_slot(&self) {
        let mut log = match KVec::from_elem(0u8, FW_SLOT_LOG_SIZE as usize, GFP_KERNEL) {
            Ok(log) => log,
            Err(_) => return,
        };
        let read = self.with_admin(|admin| {
            admin.execute_read(
                Command::get_log_page(FW_SLOT_LOG, FW_SLOT_LOG_SIZE),
                &mut log,
            )?;
            Ok(())
        });
        if read.is_err() {
            dev_warn!(
                &*self.dev,
                "nvme{}: Get FW SLOT INFO log error\n",
                self.instance
            );
            return;
        }
        match SlotInfo::parse(&log) {
            Some(SlotInfo::Active(revision)) => {
                let before = self.firmware();
                if revision != before {
                    dev_info!(
                        &*self.dev,
                        "nvme{}: firmware revision now \"{}\" (was \"{}\")\n",
                        self.instance,
                        revision.trimmed(),
                        before.trimmed()
                    );
                    self.set_firmware(revision);
                }
            }
            Some(SlotInfo::AfterNextReset) => dev_info!(
                &*self.dev,
                "nvme{}: Firmware is activated after next Controller Level Reset\n",
                self.instance
            ),
            None => {}
        }
    }
}
