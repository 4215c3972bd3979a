// SPDX-License-Identifier: GPL-2.0

//! System sleep and shutdown (C `nvme_suspend`, `nvme_resume`,
//! `nvme_simple_suspend`, `nvme_simple_resume`, `nvme_shutdown`).
//!
//! A suspend goes one of two ways, as [`crate::spec::power`] decides.
//! Mostly the controller lets its commands in flight finish, deletes its
//! I/O queues and is shut down (normal shutdown notification); I/O
//! submitted meanwhile waits, and coming back is a reset that creates the
//! queues again, after which the waiting I/O runs. Hibernation always goes
//! this way. Where the platform leaves the controller powered and its link
//! can idle by itself, the controller instead stays enabled with its
//! queues, and only enters its deepest power state (Set Features, Power
//! Management) once its I/O has drained; coming back restores the power
//! state it had, and a controller that refuses is reset.

use super::controller::Controller;
use crate::kernel_ext::suspend;
use crate::nvme_core::admin::AdminQueue;
use crate::nvme_core::ctrl::Ctrl;
use crate::nvme_core::transport::Disable;
use crate::spec::command::{Command, FeatureId};
use crate::spec::power::{
    power_state, resume_path, suspend_path, ResumePath, SuspendFacts, SuspendPath,
};
use crate::spec::quirks::Quirks;
use crate::{dev_info, dev_warn};
use kernel::prelude::*;

impl Controller {
    /// System suspend, to RAM or to idle (C `nvme_suspend`).
    pub fn suspend(&self) -> Result {
        let shared = self.shared();
        let facts = SuspendFacts {
            via_firmware: suspend::via_firmware(),
            npss: shared.id.npss,
            aspm_enabled: self.pdev.aspm_enabled(),
            simple_suspend_quirk: shared.quirks().has(Quirks::SIMPLE_SUSPEND),
        };
        self.power_state_to_restore.set(None);
        let SuspendPath::LowPower { state } = suspend_path(facts) else {
            return self.sleep();
        };
        match self.enter_power_state(state)? {
            Some(saved) => {
                self.power_state_to_restore.set(Some(saved));
                Ok(())
            }
            None => {
                // As C: a controller that refuses its own deepest power
                // state is shut down instead, and reset on resume.
                dev_warn!(
                    self.pdev.as_dev(),
                    "nvme{}: power state {} refused; shutting down for suspend\n",
                    shared.instance,
                    state
                );
                self.sleep()
            }
        }
    }

    /// System resume (C `nvme_resume`): the power state before the
    /// suspend is restored, or the controller that was shut down is reset.
    pub fn resume(&self) -> Result {
        let shared = self.shared();
        let saved = self.power_state_to_restore.take();
        match resume_path(saved) {
            ResumePath::Reset => self.wake(),
            ResumePath::RestorePowerState { state } => {
                if restore_power_state(shared, state).is_ok() && self.restore_host_memory().is_ok()
                {
                    return Ok(());
                }
                // C asks for a reset here, which does nothing for a live
                // controller; a controller that lost its power state may
                // have lost more, so it is reset.
                dev_warn!(
                    self.pdev.as_dev(),
                    "nvme{}: power state {} or host memory not restored after resume; resetting\n",
                    shared.instance,
                    state
                );
                shared.reset().map(|_| ())
            }
        }
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

impl Controller {
    /// Puts a live controller into power state `state` for a suspend that
    /// keeps it enabled, once its I/O has drained (C `nvme_suspend` after
    /// its first test). Returns the power state to restore on resume, or
    /// `None` where the controller refused `state` (an NVMe error status).
    /// Fails with `EBUSY` where the controller is not live, which aborts
    /// the suspend, as in C.
    fn enter_power_state(&self, state: u8) -> Result<Option<u32>> {
        let shared = self.shared();
        let mut outcome = Err(EBUSY);
        shared.while_io_frozen(&mut || {
            outcome = shared.with_admin_live(|admin| self.enter_power_state_drained(admin, state))
        })?;
        outcome
    }

    fn enter_power_state_drained(&self, admin: &dyn AdminQueue, state: u8) -> Result<Option<u32>> {
        // As C: host memory may be out of the controller's reach while the
        // system sleeps, though the controller may use it in a
        // non-operational power state. Set up again on resume.
        self.host_memory.disable_for_suspend(admin)?;
        let cqe = admin.execute(Command::get_features(FeatureId::PowerManagement), 0)?;
        if !cqe.status().is_success() {
            return Err(EIO);
        }
        let saved = power_state(cqe.result);
        // A saved configuration space keeps the PCI core from putting the
        // device in D3 during the suspend: the NVMe power state is what
        // saves power here, and D3 could cost the controller its state.
        self.pdev.save_state()?;
        let cqe = admin.execute(
            Command::set_features(FeatureId::PowerManagement, state.into()),
            0,
        )?;
        if cqe.status().is_success() {
            dev_info!(
                self.pdev.as_dev(),
                "nvme{}: power state {} for suspend\n",
                self.shared().instance,
                state
            );
            Ok(Some(saved))
        } else {
            self.pdev.discard_saved_state();
            Ok(None)
        }
    }
}

impl Controller {
    /// Gives the Host Memory Buffer back after a resume that kept the
    /// controller enabled (C `nvme_resume`); any failure, a refusal too,
    /// resets the controller.
    fn restore_host_memory(&self) -> Result {
        self.shared()
            .with_admin(|admin| self.host_memory.setup(admin).map_err(Error::from))
    }
}

/// Sets power state `state` again after a resume.
fn restore_power_state(ctrl: &Ctrl, state: u32) -> Result {
    ctrl.with_admin(|admin| {
        let cqe = admin.execute(Command::set_features(FeatureId::PowerManagement, state), 0)?;
        if cqe.status().is_success() {
            Ok(())
        } else {
            Err(EIO)
        }
    })
}
