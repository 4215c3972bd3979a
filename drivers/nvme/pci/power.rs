// SPDX-License-Identifier: GPL-2.0

//! System sleep and shutdown (C `nvme_suspend`, `nvme_resume`,
//! `nvme_simple_suspend`, `nvme_simple_resume`, `nvme_shutdown`).
//!
//! Going to sleep, the controller lets its commands in flight finish,
//! deletes its I/O queues and is shut down (normal shutdown notification);
//! I/O submitted meanwhile waits, and coming back is a reset that creates
//! the queues again, after which the waiting I/O runs. Which way a suspend
//! goes is [`crate::spec::power`]'s decision; hibernation always goes this
//! way.

use super::controller::Controller;
use crate::dev_warn;
use crate::kernel_ext::suspend;
use crate::nvme_core::transport::Disable;
use crate::spec::power::{suspend_path, SuspendFacts, SuspendPath};
use kernel::prelude::*;

impl Controller {
    /// System suspend, to RAM or to idle.
    pub fn suspend(&self) -> Result {
        let shared = self.shared();
        let facts = SuspendFacts {
            via_firmware: suspend::via_firmware(),
            npss: shared.id.npss,
            aspm_enabled: shared.pdev.aspm_enabled(),
            simple_suspend_quirk: false,
        };
        if let SuspendPath::LowPower { state } = suspend_path(facts) {
            // Not built yet: the controller is shut down instead, which
            // every controller supports and costs a reset on resume.
            dev_warn!(
                shared.pdev.as_dev(),
                "nvme{}: power state {} not used for suspend; shutting down\n",
                shared.instance,
                state
            );
        }
        self.sleep()
    }

    /// Shuts the controller down for sleep (C `nvme_simple_suspend`):
    /// suspend, and hibernation's freeze and poweroff.
    pub fn sleep(&self) -> Result {
        self.shared().disable(Disable::Shutdown);
        Ok(())
    }

    /// Brings the controller back from [`Self::sleep`] (C
    /// `nvme_simple_resume`): resume, and hibernation's thaw and restore.
    /// A controller that did not sleep (being deleted, or given up on) is
    /// left as it is.
    pub fn wake(&self) -> Result {
        match self.shared().restart() {
            Err(EBUSY) | Err(ENODEV) => Ok(()),
            other => other,
        }
    }

    /// System shutdown or reboot while the controller is bound: shut it
    /// down once, for good. Dropping the controller later does not repeat
    /// the shutdown notification.
    pub fn shutdown(&self) {
        if self.shared().shut_down() {
            self.enabled.shut_down_elsewhere();
        } else {
            // Not live (being reset, removed, or given up on): the
            // notification alone, as far as the registers still answer.
            self.enabled.shutdown();
        }
    }
}
