// SPDX-License-Identifier: GPL-2.0

//! Fault injection in completions, as C's `drivers/nvme/host/fault_inject.c`:
//! a debugfs directory `/sys/kernel/debug/<name>/fault_inject/` with the
//! kernel's fault attributes (`probability`, `times`, `interval`, `verbose`,
//! ...) plus `status` (the status to inject, default Invalid Command
//! Opcode) and `dont_retry` (set DNR too, default on). The fault
//! attributes start as [`set_default`] says (C's `fail_request`
//! parameter), else all off.
//!
//! With `CONFIG_FAULT_INJECTION_DEBUG_FS` off, as in the bench kernel,
//! [`FaultInject::new`] makes nothing and no completion ever fails, as with
//! C's stubs.
//!
//! C header: [`include/linux/fault-inject.h`](srctree/include/linux/fault-inject.h)

use kernel::str::CStr;

#[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
use super::bindings;
#[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
use core::ptr::NonNull;

/// Makes `fail_request`, "<interval>,<probability>,<space>,<times>", the
/// fault attributes of every directory made from now on (C's
/// `nvme_core.fail_request`, applied by `setup_fault_attr`); a string the
/// kernel cannot parse is logged ("FAULT_INJECTION: failed to parse
/// arguments") and leaves them as they were. Call it before any
/// [`FaultInject::new`]: nothing orders the two.
#[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
pub fn set_default(fail_request: &CStr) {
    // SAFETY: a NUL-terminated string, only read during the call; the
    // default attributes are written only here, before any directory is
    // made from them (the caller's duty, at module init), so no copy races.
    unsafe { bindings::nvme_rs_fault_inject_set_default(fail_request.as_char_ptr()) };
}

/// Without fault injection in the kernel: nothing to set, as C ignores
/// `fail_request` there.
#[cfg(not(CONFIG_FAULT_INJECTION_DEBUG_FS))]
pub fn set_default(_fail_request: &CStr) {}

/// A fault injection point with its debugfs directory, removed when
/// dropped.
///
/// # Invariants
///
/// `fi` was made by `nvme_rs_fault_inject_create` and is destroyed once,
/// in `Drop`.
pub struct FaultInject {
    #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
    fi: NonNull<bindings::nvme_rs_fault_inject>,
}

// SAFETY: the C object is only read and its counters are atomic
// (`should_fail`); debugfs writes race with readers as in C, where a torn
// `status` cannot happen (it is a `u16`, read once).
unsafe impl Send for FaultInject {}
// SAFETY: as for `Send`: `should_fail` may run on any CPU at once.
unsafe impl Sync for FaultInject {}

impl FaultInject {
    /// Creates `/sys/kernel/debug/<name>/fault_inject/`; `None` if debugfs
    /// refused (a directory of that name exists, say: the kernel logs
    /// why), or without fault injection in the kernel.
    #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
    pub fn new(name: &CStr) -> Option<Self> {
        // SAFETY: `name` is a NUL-terminated string, copied by debugfs.
        let fi = unsafe { bindings::nvme_rs_fault_inject_create(name.as_char_ptr()) };
        // INVARIANT: made just above, if not null.
        NonNull::new(fi).map(|fi| FaultInject { fi })
    }

    /// Without fault injection in the kernel: nothing to make.
    #[cfg(not(CONFIG_FAULT_INJECTION_DEBUG_FS))]
    pub fn new(_name: &CStr) -> Option<Self> {
        None
    }

    /// Whether this completion fails, by the fault attributes; if so, the
    /// status to give it (the status without phase tag, DNR included
    /// where `dont_retry` says so), as C's `nvme_should_fail`.
    #[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
    pub fn should_fail(&self) -> Option<u16> {
        let mut status = 0u16;
        // SAFETY: `fi` is valid by the type invariant; `status` is a valid
        // place for the result.
        let fail =
            unsafe { bindings::nvme_rs_fault_inject_should_fail(self.fi.as_ptr(), &mut status) };
        fail.then_some(status)
    }

    /// Without fault injection in the kernel: never.
    #[cfg(not(CONFIG_FAULT_INJECTION_DEBUG_FS))]
    pub fn should_fail(&self) -> Option<u16> {
        None
    }
}

#[cfg(CONFIG_FAULT_INJECTION_DEBUG_FS)]
impl Drop for FaultInject {
    fn drop(&mut self) {
        // SAFETY: `fi` is valid by the type invariant and not used again.
        unsafe { bindings::nvme_rs_fault_inject_destroy(self.fi.as_ptr()) };
    }
}
