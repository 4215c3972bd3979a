// SPDX-License-Identifier: GPL-2.0

//! Generic devices, for logging and DMA.
//!
//! C header: [`include/linux/device.h`](srctree/include/linux/device.h)

use super::bindings;
use core::fmt;
use core::ptr::NonNull;
use kernel::types::{AlwaysRefCounted, Opaque};

/// A `struct device`, of any bus: what logging and DMA need of a device.
///
/// # Invariants
///
/// The wrapped `struct device` is initialised for as long as a reference to
/// this value exists: references are handed out by bus device types that
/// hold the device (see [`super::pci::Device::as_dev`]), and an
/// [`kernel::types::ARef`] holds a reference count of its own.
#[repr(transparent)]
pub struct Device(Opaque<bindings::device>);

// SAFETY: a `struct device` may be used from any thread; its methods here
// only read it or call functions that take their own locks.
unsafe impl Send for Device {}
// SAFETY: as above, shared references only reach thread-safe functions.
unsafe impl Sync for Device {}

// SAFETY: `get_device` and `put_device` manage the device's reference
// count; the device is released only when it drops to zero.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: the device is valid because `self` references it.
        unsafe { bindings::get_device(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference taken by `inc_ref`.
        unsafe { bindings::put_device(obj.cast::<bindings::device>().as_ptr()) };
    }
}

impl Device {
    /// Borrows the device at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an initialised `struct device` that stays valid for
    /// `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::device) -> &'a Self {
        // SAFETY: `Device` is a transparent wrapper of `bindings::device`, and
        // the caller guarantees `ptr` is valid for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.0.get()
    }

    /// The device's name (for a PCI device, its address, `0000:01:00.0`).
    pub fn name(&self) -> &kernel::str::CStr {
        // SAFETY: the device is valid (type invariant) and its name, set
        // when it was added, lives as long as the device.
        unsafe { kernel::str::CStr::from_char_ptr(bindings::nvme_rs_dev_name(self.as_raw())) }
    }

    /// Whether the platform firmware asks for this storage device to be
    /// put in D3 at system suspend (the ACPI `StorageD3Enable` property of
    /// its companion, or the kernel's own list of such platforms); false
    /// without ACPI.
    pub fn acpi_storage_d3(&self) -> bool {
        // SAFETY: the device is valid (type invariant).
        unsafe { bindings::nvme_rs_acpi_storage_d3(self.as_raw()) }
    }

    /// Tells user space the device changed (a `KOBJ_CHANGE` uevent), with
    /// `env` (`KEY=value`) in the event's environment.
    pub fn uevent_change(&self, env: &kernel::str::CStr) -> kernel::error::Result {
        let mut envp = [env.as_char_ptr().cast_mut(), core::ptr::null_mut()];
        // SAFETY: the device is valid (type invariant); `envp` is a
        // null-terminated array of C strings that the call only reads
        // (it copies them into the event) and that live across it.
        kernel::error::to_result(unsafe {
            bindings::kobject_uevent_env(
                &mut (*self.as_raw()).kobj,
                bindings::NVME_RS_KOBJ_CHANGE,
                envp.as_mut_ptr(),
            )
        })
    }

    /// Prints `args` at `level` with the device's driver and name as prefix,
    /// like C's `dev_printk`. Use the `dev_*!` macros instead.
    pub fn printk(&self, level: Level, args: fmt::Arguments<'_>) {
        // SAFETY: `self.as_raw()` is a valid device by the type invariant, the
        // level and format are NUL-terminated strings, and `%pA` makes printk
        // call back into Rust's formatting with the `fmt::Arguments` pointer,
        // which lives until `_dev_printk` returns.
        unsafe {
            bindings::_dev_printk(
                level.prefix().as_ptr().cast(),
                self.as_raw(),
                c"%pA".as_ptr().cast(),
                (&args as *const fmt::Arguments<'_>).cast::<kernel::ffi::c_void>(),
            )
        };
    }
}

/// Kernel log levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// `KERN_ERR`.
    Err,
    /// `KERN_WARNING`.
    Warning,
    /// `KERN_NOTICE`.
    Notice,
    /// `KERN_INFO`.
    Info,
    /// `KERN_DEBUG`.
    Debug,
}

impl Level {
    fn prefix(self) -> &'static core::ffi::CStr {
        match self {
            Level::Err => c"\x013",
            Level::Warning => c"\x014",
            Level::Notice => c"\x015",
            Level::Info => c"\x016",
            Level::Debug => c"\x017",
        }
    }
}

/// Logs an error for a device: `dev_err!(dev, "fmt", args...)`.
#[macro_export]
macro_rules! dev_err {
    ($dev:expr, $($arg:tt)*) => {
        $dev.printk($crate::kernel_ext::device::Level::Err, format_args!($($arg)*))
    };
}

/// Logs a warning for a device.
#[macro_export]
macro_rules! dev_warn {
    ($dev:expr, $($arg:tt)*) => {
        $dev.printk($crate::kernel_ext::device::Level::Warning, format_args!($($arg)*))
    };
}

/// Logs information for a device.
#[macro_export]
macro_rules! dev_info {
    ($dev:expr, $($arg:tt)*) => {
        $dev.printk($crate::kernel_ext::device::Level::Info, format_args!($($arg)*))
    };
}

/// Logs debugging information for a device.
#[macro_export]
macro_rules! dev_dbg {
    ($dev:expr, $($arg:tt)*) => {
        $dev.printk($crate::kernel_ext::device::Level::Debug, format_args!($($arg)*))
    };
}

/// Which of C's rate-limited failed-command messages a message is; each
/// has its own limit, the default 10 messages in 5 seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrLogSite {
    /// C `nvme_log_error`: a block request.
    Request,
    /// C `nvme_log_err_passthru`: a passthrough command.
    Passthrough,
}

/// Prints `args` at `KERN_ERR` with no prefix, unless `site`'s rate limit
/// holds it back, as C's `pr_err_ratelimited` in `core.c` (which has no
/// `pr_fmt`): suppressed messages are counted in a later "callbacks
/// suppressed" line.
pub fn log_err_ratelimited(site: ErrLogSite, args: fmt::Arguments<'_>) {
    // SAFETY: callable from any context; `%pA` makes printk call back into
    // Rust's formatting with the `fmt::Arguments` pointer, which lives until
    // the call returns.
    unsafe {
        bindings::nvme_rs_log_err_ratelimited(
            site == ErrLogSite::Passthrough,
            (&args as *const fmt::Arguments<'_>).cast::<kernel::ffi::c_void>(),
        )
    };
}
