// SPDX-License-Identifier: GPL-2.0

//! What a controller or a namespace keeps for failed commands: fault
//! injection in its completions (C `struct nvme_fault_inject`, debugfs
//! `/sys/kernel/debug/<name>/fault_inject/`) and whether its passthrough
//! commands' failures are logged (sysfs `passthru_err_log_enabled`, C
//! `ctrl->passthru_err_log_enabled` and `head->passthru_err_log_enabled`).
//! The messages are `spec::error_log`'s.

use crate::kernel_ext::device::{log_err_ratelimited, ErrLogSite};
use crate::kernel_ext::fault_inject::FaultInject;
use crate::kernel_ext::sysfs::{parse_bool, SysfsBuf};
use crate::spec::command::Command;
use crate::spec::completion::Status;
use crate::spec::error_log::{logged, passthru_quiet, PassthruError, RequestError};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

/// The error reporting of a controller (`nvmeN`) or a namespace's disk
/// (`nvmeNnM`).
pub struct ErrorLog {
    /// `nvmeN` or `nvmeNnM`, as the messages name it.
    name: CString,
    /// `None` where debugfs refused the directory or the kernel has no
    /// fault injection.
    fault: Option<FaultInject>,
    /// Log failed passthrough commands; off by default, as in C.
    passthru_log: AtomicBool,
}

impl ErrorLog {
    /// The error log of `name`, with its fault injection directory.
    pub fn new(name: fmt::Arguments<'_>) -> Result<Arc<Self>> {
        let name = CString::try_from_fmt(name)?;
        let fault = FaultInject::new(&name);
        Ok(Arc::new(
            ErrorLog {
                name,
                fault,
                passthru_log: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?)
    }

    /// The completion's status field (phase tag included) after fault
    /// injection: the injected status where the fault attributes say this
    /// completion fails (C `nvme_should_fail`), else `field` as it is.
    #[inline]
    pub fn inject(&self, field: u16) -> u16 {
        match self.fault.as_ref().and_then(FaultInject::should_fail) {
            Some(status) => status << 1 | field & 1,
            None => field,
        }
    }

    /// Whether failed passthrough commands are logged.
    pub fn passthru_log_enabled(&self) -> bool {
        self.passthru_log.load(Ordering::Relaxed)
    }

    /// Logs an admin command that completed with `status` if it failed and
    /// the controller's `passthru_err_log_enabled` is on. Every admin
    /// command the driver or a user sends is a passthrough request in C,
    /// so is logged as one.
    pub fn log_admin(&self, cmd: &Command, status: Status) {
        if logged(status, passthru_quiet(self.passthru_log_enabled())) {
            let cdw10_15 = core::array::from_fn(|i| cmd.dword(10 + i));
            self.log_passthru(true, cmd.opcode(), cdw10_15, status);
        }
    }

    /// Logs a failed passthrough command, an admin command or an I/O
    /// command, by its opcode and dwords 10 to 15, rate-limited (C
    /// `nvme_log_err_passthru`).
    pub fn log_passthru(&self, admin: bool, opcode: u8, cdw10_15: [u32; 6], status: Status) {
        let line = PassthruError {
            name: &*self.name,
            admin,
            opcode,
            status,
            cdw10_15,
        };
        log_err_ratelimited(ErrLogSite::Passthrough, format_args!("{line}"));
    }

    /// Logs a failed block request, rate-limited (C `nvme_log_error`).
    pub fn log_request(&self, opcode: u8, lba: u64, blocks: u32, status: Status) {
        let line = RequestError {
            disk: &*self.name,
            opcode,
            lba,
            blocks,
            status,
        };
        log_err_ratelimited(ErrLogSite::Request, format_args!("{line}"));
    }
}

/// Sysfs `passthru_err_log_enabled`: `on` or `off`.
pub fn show_passthru_log(log: &ErrorLog, out: &mut SysfsBuf<'_>) -> fmt::Result {
    writeln!(
        out,
        "{}",
        if log.passthru_log_enabled() {
            "on"
        } else {
            "off"
        }
    )
}

/// Sysfs `passthru_err_log_enabled` written: any boolean `kstrtobool`
/// takes (`on`, `off`, `1`, `0`, ...), else `EINVAL`.
pub fn store_passthru_log(log: &ErrorLog, input: &[u8]) -> Result {
    let on = parse_bool(input)?;
    log.passthru_log.store(on, Ordering::Relaxed);
    Ok(())
}
