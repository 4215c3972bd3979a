// SPDX-License-Identifier: GPL-2.0

//! The controller register handshakes: disable, enable, and shutdown
//! notification, each waiting on `CSTS` with the timeout the specification
//! sets (C `nvme_disable_ctrl`, `nvme_enable_ctrl`, `nvme_wait_ready`).

use crate::kernel_ext::{delay, pci};
use crate::nvme_core::instance::Instance;
use crate::spec::quirks::Quirks;
use crate::spec::regs::{
    offset, Aqa, Cap, Cc, Csts, ShutdownNotification, ShutdownStatus, NSSR_RESET,
};
use crate::{dev_err, dev_info, dev_warn};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::Ktime;
use kernel::types::ARef;

/// Host memory page size the driver programs into `CC.MPS`.
pub const PAGE_SHIFT: u32 = 12;

/// That page size in bytes: the unit of PRPs. A constant, as C's
/// `NVME_CTRL_PAGE_SIZE`, so the data mapping's page arithmetic is masks
/// with nothing to check.
pub const PAGE_SIZE: u32 = 1 << PAGE_SHIFT;

/// Wait for a normal shutdown before Identify Controller has told RTD3E:
/// the default of the `shutdown_timeout` parameter, in milliseconds.
const SHUTDOWN_TIMEOUT_DEFAULT_MS: u32 = 5_000;

/// The controller's registers in BAR0 and its capabilities. Clones share
/// the mapping; only [`Enabled`] (one per controller) shuts it down.
#[derive(Clone)]
pub struct Registers {
    bar: Arc<pci::Bar>,
    cap: Cap,
    pdev: ARef<pci::Device>,
    /// Wait this long after clearing `CC.EN` before polling `CSTS.RDY`
    /// (C `NVME_QUIRK_DELAY_BEFORE_CHK_RDY`).
    delay_before_ready_ms: u32,
}

/// How long a controller with `Quirks::DELAY_BEFORE_CHK_RDY` is given after
/// `CC.EN` is cleared (C `NVME_QUIRK_DELAY_AMOUNT`).
const QUIRK_DELAY_MS: u32 = 2300;

/// What the controller reported while the driver waited on `CSTS`.
enum WaitError {
    /// Reads return all ones: the device is gone.
    Gone,
    /// `CSTS.CFS`: the controller hit a fatal error.
    Fatal(Csts),
    /// The condition did not hold within the timeout.
    Timeout(Csts),
}

impl From<WaitError> for Error {
    fn from(err: WaitError) -> Self {
        match err {
            WaitError::Gone => ENODEV,
            WaitError::Fatal(_) => EIO,
            WaitError::Timeout(_) => ENODEV,
        }
    }
}

impl Registers {
    /// Reads `CAP` and checks the controller is one this driver can run:
    /// present, with the NVM command set and 4 KiB pages.
    pub fn new(pdev: &pci::Device, bar: Arc<pci::Bar>, quirks: Quirks) -> Result<Self> {
        let cap = Cap(bar.read64_lo_hi(offset::CAP)?);
        if cap.0 == u64::MAX {
            dev_err!(pdev.as_dev(), "controller registers read all ones\n");
            return Err(ENODEV);
        }
        if !cap.supports_nvm_command_set() {
            dev_err!(pdev.as_dev(), "controller lacks the NVM command set\n");
            return Err(ENODEV);
        }
        if !(cap.min_page_shift()..=cap.max_page_shift()).contains(&PAGE_SHIFT) {
            dev_err!(
                pdev.as_dev(),
                "controller page sizes 2^{}..2^{} exclude 4 KiB\n",
                cap.min_page_shift(),
                cap.max_page_shift()
            );
            return Err(ENODEV);
        }
        Ok(Registers {
            bar,
            cap,
            pdev: pdev.into(),
            delay_before_ready_ms: if quirks.has(Quirks::DELAY_BEFORE_CHK_RDY) {
                QUIRK_DELAY_MS
            } else {
                0
            },
        })
    }

    /// The controller's capabilities.
    pub fn cap(&self) -> Cap {
        self.cap
    }

    /// The controller status.
    pub fn csts(&self) -> Result<Csts> {
        Ok(Csts(self.bar.read32(offset::CSTS)?))
    }

    fn cc(&self) -> Result<Cc> {
        Ok(Cc(self.bar.read32(offset::CC)?))
    }

    /// Whether the controller, enabled, pauses processing to activate
    /// firmware (`CSTS.PP`); not where a register cannot be read or reads
    /// as all ones (C `nvme_ctrl_pp_status`).
    pub fn processing_paused(&self) -> bool {
        match (self.cc(), self.csts()) {
            (Ok(cc), Ok(csts)) => !csts.device_gone() && cc.enabled() && csts.processing_paused(),
            _ => false,
        }
    }

    /// Resets the NVM subsystem (writes `NSSR`), then reads `CSTS` to flush
    /// the write, as C's `nvme_pci_subsystem_reset`; the link may go down.
    pub fn reset_subsystem(&self) -> Result {
        self.bar.write32(NSSR_RESET, offset::NSSR)?;
        // The value does not matter: the read flushes the posted write and
        // makes a link that went down show as an error.
        let _ = self.csts();
        Ok(())
    }

    /// Polls `CSTS` until `done` holds for it, for up to `timeout_ms`.
    fn wait(&self, timeout_ms: u32, done: impl Fn(Csts) -> bool) -> Result<(), WaitError> {
        let start = Ktime::ktime_get();
        loop {
            let csts = self.csts().map_err(|_| WaitError::Gone)?;
            if csts.device_gone() {
                return Err(WaitError::Gone);
            }
            if done(csts) {
                return Ok(());
            }
            if csts.fatal() {
                return Err(WaitError::Fatal(csts));
            }
            if kernel::time::ktime_ms_delta(Ktime::ktime_get(), start) > i64::from(timeout_ms) {
                return Err(WaitError::Timeout(csts));
            }
            delay::usleep_range(1_000, 2_000);
        }
    }

    fn report(&self, what: &str, err: WaitError) -> Error {
        let dev = self.pdev.as_dev();
        match err {
            WaitError::Gone => dev_warn!(dev, "{}: device gone\n", what),
            WaitError::Fatal(csts) => {
                dev_err!(
                    dev,
                    "{}: controller fatal status (CSTS {:#x})\n",
                    what,
                    csts.0
                )
            }
            WaitError::Timeout(csts) => {
                dev_err!(dev, "{}: timed out (CSTS {:#x})\n", what, csts.0)
            }
        }
        err.into()
    }

    /// Clears `CC.EN` and waits for `CSTS.RDY` to clear. Also waits when EN
    /// is already clear but RDY is not: the controller is still resetting
    /// from an earlier disable.
    pub fn disable(&self) -> Result {
        let cc = self.cc()?;
        if cc.enabled() {
            self.bar.write32(cc.disabled().0, offset::CC)?;
        }
        if self.delay_before_ready_ms != 0 {
            delay::msleep(self.delay_before_ready_ms);
        }
        self.wait(self.cap.ready_timeout_ms(), |csts| !csts.ready())
            .map_err(|err| self.report("disable", err))
    }

    /// Programs the admin queue pair (`aqa`, submission queue at `asq`,
    /// completion queue at `acq`), sets `CC.EN` and waits for `CSTS.RDY`.
    /// The controller must be disabled. On success the returned value shuts
    /// the controller down when dropped.
    pub fn enable(self, aqa: Aqa, asq: u64, acq: u64, name: &Instance) -> Result<Enabled> {
        // From the register writes on, the controller may use the queues:
        // whatever happens, `Enabled::drop` must stop it before their
        // memory goes.
        let enabled = Enabled {
            regs: self,
            name: name.number(),
            shutdown_timeout_ms: SHUTDOWN_TIMEOUT_DEFAULT_MS,
            shut_down: AtomicBool::new(false),
            io_queues: None,
            host_memory: None,
        };
        enabled.regs.program_and_enable(aqa, asq, acq)?;
        Ok(enabled)
    }

    /// Enables a controller [`Self::disable`]d for a reset again, on the
    /// admin queue pair `aqa`, `asq`, `acq`.
    pub fn reenable(&self, aqa: Aqa, asq: u64, acq: u64) -> Result {
        self.program_and_enable(aqa, asq, acq)
    }

    /// Sends a normal shutdown notification (`CC.SHN`) and waits up to
    /// `timeout_ms` for `CSTS.SHST` to say it is complete (C
    /// `nvme_disable_ctrl(ctrl, true)`). A controller that does not finish
    /// in time is disabled instead, so it stops using host memory.
    pub fn shutdown(&self, name: u32, timeout_ms: u32) -> Result {
        let dev = self.pdev.as_dev();
        let written = self.cc().and_then(|cc| {
            self.bar
                .write32(cc.with_shutdown(ShutdownNotification::Normal).0, offset::CC)
        });
        if let Err(err) = written {
            dev_err!(dev, "nvme{}: cannot write CC for shutdown\n", name);
            return Err(err);
        }
        match self.wait(timeout_ms, |csts| {
            csts.shutdown_status() == ShutdownStatus::Complete
        }) {
            Ok(()) => {
                dev_info!(dev, "nvme{}: shutdown complete\n", name);
                Ok(())
            }
            Err(WaitError::Gone) => {
                dev_warn!(dev, "nvme{}: device gone\n", name);
                Err(ENODEV)
            }
            Err(err) => {
                let err = self.report("shutdown", err);
                // The controller may still be using host memory; a disable
                // resets it, so the queues can be freed safely.
                let _ = self.disable();
                Err(err)
            }
        }
    }

    fn program_and_enable(&self, aqa: Aqa, asq: u64, acq: u64) -> Result {
        self.bar.write32(aqa.0, offset::AQA)?;
        self.bar.write64_lo_hi(asq, offset::ASQ)?;
        self.bar.write64_lo_hi(acq, offset::ACQ)?;
        let cc = Cc::for_enable(PAGE_SHIFT, self.cap.command_sets());
        self.bar.write32(cc.0, offset::CC)?;
        self.wait(self.cap.ready_timeout_ms(), |csts| csts.ready())
            .map_err(|err| self.report("enable", err))
    }
}

/// Memory the controller reads and writes while it is enabled (queues and
/// what they point at, the Host Memory Buffer), which must outlive its
/// shutdown. Implemented by what holds it, above this file.
pub trait QueueMemory: Send + Sync {}

/// An enabled controller. Dropping it shuts the controller down (normal
/// shutdown notification), so the controller stops using host memory
/// before the driver frees its queues.
pub struct Enabled {
    regs: Registers,
    name: u32,
    shutdown_timeout_ms: u32,
    shut_down: AtomicBool,
    /// I/O queue memory the controller may use until it is shut down;
    /// dropped after the shutdown in `drop`.
    io_queues: Option<Arc<dyn QueueMemory>>,
    /// The Host Memory Buffer, likewise.
    host_memory: Option<Arc<dyn QueueMemory>>,
}

impl Enabled {
    /// The registers, for resetting the controller while it stays enabled
    /// as far as teardown is concerned.
    pub fn registers(&self) -> Registers {
        self.regs.clone()
    }

    /// Sets how long a normal shutdown may take, once Identify Controller
    /// has told its RTD3 entry latency (`spec::regs::shutdown_timeout_s`).
    pub fn set_shutdown_timeout_s(&mut self, seconds: u32) {
        self.shutdown_timeout_ms = seconds.saturating_mul(1000);
    }

    /// How long a normal shutdown may take, in milliseconds.
    pub fn shutdown_timeout_ms(&self) -> u32 {
        self.shutdown_timeout_ms
    }

    /// Keeps `queues`' memory until the controller is shut down, whatever
    /// else lets go of it first.
    pub fn hold_until_shutdown(&mut self, queues: Arc<dyn QueueMemory>) {
        self.io_queues = Some(queues);
    }

    /// Keeps the Host Memory Buffer until the controller is shut down,
    /// whatever else lets go of it first.
    pub fn hold_host_memory_until_shutdown(&mut self, host_memory: Arc<dyn QueueMemory>) {
        self.host_memory = Some(host_memory);
    }

    /// Sends a normal shutdown notification and waits until the controller
    /// reports shutdown complete. Only the first call acts, and none after
    /// [`Self::shut_down_elsewhere`].
    pub fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = self.regs.shutdown(self.name, self.shutdown_timeout_ms);
    }

    /// Records that the controller was shut down through
    /// [`Registers::shutdown`] (system shutdown): dropping this does not
    /// notify it again.
    pub fn shut_down_elsewhere(&self) {
        self.shut_down.store(true, Ordering::Release);
    }
}

impl Drop for Enabled {
    fn drop(&mut self) {
        self.shutdown();
    }
}
