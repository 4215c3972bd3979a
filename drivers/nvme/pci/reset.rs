// SPDX-License-Identifier: GPL-2.0

//! Controller reset (`NVME_IOCTL_RESET`, sysfs `reset_controller`, and
//! recovery from timeouts), as C's `nvme_reset_work` for a live
//! controller: quiesce the I/O queues, disable the controller, give back
//! what it dropped, enable it on the same admin queue, identify it again,
//! create the I/O queues again and resume. Requests submitted meanwhile
//! wait in blk-mq and then run; block I/O the controller dropped is
//! retried, user commands fail with Command Aborted By Host. The queue
//! layout (count, vectors, depth) stays as probed; the namespaces are
//! scanned again afterwards (see `async_events`).
//!
//! The same two halves serve system sleep, a Function Level Reset and
//! PCIe error recovery, with time between them: [`ControllerReset::disable`]
//! stops the controller and holds I/O back, [`ControllerReset::restart`]
//! brings it back.

use super::admin_queue;
use super::host_memory::HostMemory;
use super::queue_set::IoQueues;
use super::registers::Registers;
use super::removal::Removal;
use super::request::NvmeOps;
use crate::kernel_ext::block::tag_set::TagSet;
use crate::kernel_ext::delay;
use crate::kernel_ext::{irq, pci};
use crate::nvme_core::admin::AdminQueue;
use crate::nvme_core::async_events::AsyncEvents;
use crate::nvme_core::ctrl::Ctrl;
use crate::nvme_core::transport::{Disable, Transport};
use crate::spec::command::{usable_queue_pairs, Command};
use crate::spec::ctrl_state::State;
use crate::{dev_err, dev_info, dev_warn};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::Ktime;
use kernel::types::ARef;

/// The I/O side a reset brings back.
pub struct IoParts {
    /// The queue pairs.
    pub queues: Arc<IoQueues>,
    /// Their tag set.
    pub tags: Arc<TagSet<NvmeOps>>,
    /// I/O queues asked for with Set Features (Number of Queues).
    pub wanted: u16,
}

/// What resetting a controller touches; shared with the controller, which
/// takes it away first thing at teardown.
pub struct Resetter {
    /// The controller's `N`.
    pub instance: u32,
    /// The PCI device, for logging.
    pub pdev: ARef<pci::Device>,
    /// The device enabled, to let it master the bus again after a
    /// disable took that away.
    pub pci: Arc<pci::Enabled>,
    /// How long a shutdown lets the commands in flight finish: the I/O
    /// timeout, as C's `nvme_wait_freeze_timeout`.
    pub drain_timeout_ms: u32,
    /// How long a normal shutdown may take (`shutdown_timeout` and RTD3E).
    pub shutdown_timeout_ms: u32,
    /// The controller registers.
    pub regs: Registers,
    /// The admin queue.
    pub admin: Arc<admin_queue::Queue>,
    /// Interrupt numbers of every vector, to wait out running handlers.
    pub irqs: KVec<u32>,
    /// The I/O side, if the controller granted I/O queues.
    pub io: Option<IoParts>,
    /// Asynchronous events, requested again after the reset.
    pub events: Arc<AsyncEvents>,
    /// The Host Memory Buffer, handed back after the reset.
    pub host_memory: Arc<HostMemory>,
    /// The controller, for what Identify said at probe.
    pub ctrl: Arc<Ctrl>,
    /// Unbinds the driver once the controller is given up on.
    pub removal: Arc<Removal>,
}

impl Transport for Resetter {
    /// Resets the controller, which the caller moved to the resetting
    /// state; it ends live. On failure the controller is dead and so are
    /// its I/O queues: pending and later requests fail instead of waiting
    /// for a controller that will not answer.
    fn reset(&self) -> Result {
        let dev = self.pdev.as_dev();
        dev_warn!(dev, "nvme{}: resetting controller\n", self.instance);
        // Safe against a disk being added or deleted meanwhile, which holds
        // the tag set's `tag_list_lock` while it freezes the other disks:
        // 6.12's `blk_mq_quiesce_tagset` walks that list under RCU, without
        // the lock (design.md, Lock order).
        if let Some(io) = &self.io {
            io.tags.quiesce();
        }
        self.bring_back()
    }

    fn disable(&self, how: Disable) {
        let dev = self.pdev.as_dev();
        // C `nvme_pci_ctrl_is_dead`: a controller that is gone or failed
        // takes no commands; it is only held back.
        let dead = !self.pdev.is_present()
            || self
                .regs
                .csts()
                .map_or(true, |csts| csts.device_gone() || csts.fatal());
        if let Some(io) = &self.io {
            // Nothing new reaches the controller from here.
            io.tags.quiesce();
            if how == Disable::Shutdown && !dead {
                self.drain(io);
            }
        }
        if !dead {
            if let Some(io) = &self.io {
                io.queues.delete_on_device(
                    &self.admin,
                    self.instance,
                    io.queues.plan().total() as u16,
                );
            }
            let stopped = match how {
                Disable::Shutdown => self.regs.shutdown(self.instance, self.shutdown_timeout_ms),
                Disable::Reset => self.regs.disable(),
            };
            if let Err(err) = stopped {
                dev_warn!(
                    dev,
                    "nvme{}: not stopped cleanly: {:?}\n",
                    self.instance,
                    err
                );
            }
        }
        // As C's `pci_disable_device`: no DMA until `restart`.
        self.pdev.clear_master();
    }

    fn restart(&self) -> Result {
        dev_info!(
            self.pdev.as_dev(),
            "nvme{}: restarting controller\n",
            self.instance
        );
        self.bring_back()
    }

    /// Gives up on the controller: it is dead. Stops its DMA, so the memory
    /// of commands it never completed can be reused, and fails every
    /// request in flight and every later one (C `nvme_dev_disable` then
    /// `nvme_remove_dead_ctrl`).
    fn fail_io(&self) {
        self.ctrl.change_state(State::Deleting);
        self.ctrl.change_state(State::Dead);
        self.pdev.clear_master();
        if let Some(io) = &self.io {
            io.queues.mark_dead();
            io.tags.for_each_started(|rq| {
                rq.shared().abort(rq);
            });
        }
    }

    fn fail_held(&self) {
        self.fail_io();
        if let Some(io) = &self.io {
            io.tags.unquiesce();
        }
    }

    fn remove_dead(&self) {
        self.removal.schedule();
    }

    fn set_host_memory(&self, enable: bool) -> Result {
        self.host_memory.set_enabled(&*self.admin, enable)
    }

    fn subsystem_reset(&self) -> Result {
        self.regs.reset_subsystem()
    }

    fn quiesce_io(&self) {
        if let Some(io) = &self.io {
            io.tags.quiesce();
        }
    }

    fn unquiesce_io(&self) {
        if let Some(io) = &self.io {
            io.tags.unquiesce();
        }
    }

    fn processing_paused(&self) -> bool {
        self.regs.processing_paused()
    }
}

impl Resetter {
    /// Brings the controller up again and lets the held-back requests run:
    /// live on success, given up on (its I/O failing) on failure.
    fn bring_back(&self) -> Result {
        let dev = self.pdev.as_dev();
        self.pci.set_master();
        let result = self.reenable();
        match &result {
            Ok(()) => {
                self.ctrl.change_state(State::Live);
                dev_info!(dev, "nvme{}: reset complete\n", self.instance);
                // The controller works without them; say so and go on.
                if let Err(err) = self.events.restart(&*self.admin) {
                    dev_warn!(
                        dev,
                        "nvme{}: asynchronous events not enabled: {:?}\n",
                        self.instance,
                        err
                    );
                }
            }
            Err(err) => {
                dev_err!(
                    dev,
                    "nvme{}: reset failed ({:?}); I/O fails from now on\n",
                    self.instance,
                    err
                );
                self.fail_io();
            }
        }
        if let Some(io) = &self.io {
            io.tags.unquiesce();
        }
        result
    }

    /// Waits, for up to the drain timeout, until the controller has
    /// completed every command it was given, the queues being quiesced. What
    /// is still in flight after that is cancelled when the controller comes
    /// back (block I/O retried then).
    fn drain(&self, io: &IoParts) {
        let start = Ktime::ktime_get();
        loop {
            let mut in_flight = 0u32;
            io.tags.for_each_started(|_| in_flight += 1);
            if in_flight == 0 {
                return;
            }
            if kernel::time::ktime_ms_delta(Ktime::ktime_get(), start)
                > i64::from(self.drain_timeout_ms)
            {
                dev_warn!(
                    self.pdev.as_dev(),
                    "nvme{}: {} commands still in flight at shutdown\n",
                    self.instance,
                    in_flight
                );
                return;
            }
            delay::usleep_range(1_000, 2_000);
        }
    }

    /// Disables the controller, cancels what it never completed, and
    /// enables it again with its queues.
    fn reenable(&self) -> Result {
        let (aqa, asq, acq) = (self.admin.aqa(), self.admin.sq_addr(), self.admin.cq_addr());
        {
            let mut held = self.admin.hold();
            if let Some(io) = &self.io {
                io.queues.deactivate_shadow_doorbells();
            }
            self.regs.disable()?;
            // Disabled: what follows brings it up again.
            self.ctrl.change_state(State::Connecting);
            // The controller is quiet now; no handler may still be reading
            // a ring that is about to be cleared.
            for &irq in self.irqs.iter() {
                irq::synchronize(irq);
            }
            held.reset_rings();
            if let Some(io) = &self.io {
                io.tags.for_each_started(|rq| {
                    rq.shared().abort(rq);
                });
                for queue in io.queues.queues() {
                    queue.reset_rings();
                }
            }
            self.regs.reenable(aqa, asq, acq)?;
        }
        self.ctrl.reinit(&*self.admin)?;
        // As C's reset work, after identify and before the I/O queues:
        // the buffer kept is handed back (Memory Return).
        self.host_memory.setup_after_bring_up(&*self.admin)?;
        if let Some(io) = &self.io {
            let result = self
                .admin
                .execute_read(Command::set_queue_count(io.wanted), &mut [])?;
            let granted = usable_queue_pairs(io.wanted, result.result);
            if u32::from(granted) < io.queues.plan().total() {
                return Err(EIO);
            }
            io.queues.recreate_on_device(&self.admin, self.instance)?;
        }
        Ok(())
    }
}
