// SPDX-License-Identifier: GPL-2.0

//! Module parameters (`module_param` in C): values set on the `insmod`
//! command line, shown in `/sys/module/<name>/parameters/` (read-only,
//! writable or not at all, as each says), and described by `modinfo`.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)
//!
//! Declare them with [`crate::module_param!`] in the crate root.

use super::bindings;
use core::cell::UnsafeCell;
use kernel::str::CStr;

/// An unsigned integer module parameter.
///
/// # Invariants
///
/// The kernel writes the value only while loading the module, before its
/// init function runs (the sysfs file is read-only, permission 0444), so
/// reads afterwards do not race with writes.
pub struct ParamU32(UnsafeCell<u32>);

// SAFETY: after load the value is only read (type invariant).
unsafe impl Sync for ParamU32 {}

impl ParamU32 {
    /// A parameter with value `default` unless set at load time.
    pub const fn new(default: u32) -> Self {
        ParamU32(UnsafeCell::new(default))
    }

    /// The value.
    pub fn get(&self) -> u32 {
        // SAFETY: no writes happen after load (type invariant).
        unsafe { self.0.get().read_volatile() }
    }
}

/// A one-byte unsigned module parameter (C's `byte` type): values above
/// 255 are refused at load time (`ERANGE`), as for C's.
///
/// # Invariants
///
/// As [`ParamU32`]'s: written only while the module loads.
pub struct ParamU8(UnsafeCell<u8>);

// SAFETY: after load the value is only read (type invariant).
unsafe impl Sync for ParamU8 {}

impl ParamU8 {
    /// A parameter with value `default` unless set at load time.
    pub const fn new(default: u8) -> Self {
        ParamU8(UnsafeCell::new(default))
    }

    /// The value.
    pub fn get(&self) -> u8 {
        // SAFETY: no writes happen after load (type invariant).
        unsafe { self.0.get().read_volatile() }
    }
}

/// A boolean module parameter that root may change at run time (C
/// `module_param(name, bool, 0644)`).
///
/// # Invariants
///
/// The kernel writes the value (one byte, C `param_set_bool`) while
/// loading the module and, later, from sysfs writes under the module's
/// parameter lock; a byte is written whole, so a read sees the old value
/// or the new one.
pub struct ParamBool(UnsafeCell<bool>);

// SAFETY: reads and the kernel's writes are of one byte each (type
// invariant); a read is volatile, C's `READ_ONCE`.
unsafe impl Sync for ParamBool {}

impl ParamBool {
    /// A parameter with value `default` unless set.
    pub const fn new(default: bool) -> Self {
        ParamBool(UnsafeCell::new(default))
    }

    /// The value now.
    pub fn get(&self) -> bool {
        // SAFETY: the byte is always a valid `bool` (`param_set_bool`
        // stores `true` or `false`) and is written whole (type invariant).
        unsafe { self.0.get().read_volatile() }
    }
}

/// A string module parameter (C `module_param(name, charp, 0000)`): set
/// only on the `insmod` command line, with no sysfs file.
///
/// # Invariants
///
/// The pointer is null or a NUL-terminated string the kernel stored while
/// loading the module, before its init function ran, and frees
/// (`param_free_charp`) only after its exit function has returned.
pub struct ParamCharp(UnsafeCell<*mut kernel::ffi::c_char>);

// SAFETY: after load the pointer is only read (type invariant).
unsafe impl Sync for ParamCharp {}

impl ParamCharp {
    /// A parameter that is unset unless given.
    pub const fn new() -> Self {
        ParamCharp(UnsafeCell::new(core::ptr::null_mut()))
    }

    /// The string given at load time, if any.
    pub fn get(&self) -> Option<&CStr> {
        // SAFETY: no writes happen after load (type invariant).
        let ptr = unsafe { self.0.get().read_volatile() };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: a NUL-terminated string that stays until the module's
        // exit function has returned (type invariant), so for as long as
        // any `&self` of a module static.
        Some(unsafe { CStr::from_char_ptr(ptr) })
    }
}

impl Default for ParamCharp {
    fn default() -> Self {
        Self::new()
    }
}

/// Parsing and printing of `uint` parameters: the kernel's own.
#[repr(transparent)]
pub struct ParamOps(bindings::kernel_param_ops);

// SAFETY: the table is never written.
unsafe impl Sync for ParamOps {}

/// The operations of `uint` parameters.
pub static UINT_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: 0,
    set: Some(bindings::param_set_uint),
    get: Some(bindings::param_get_uint),
    free: None,
});

/// The operations of `byte` parameters.
pub static BYTE_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: 0,
    set: Some(bindings::param_set_byte),
    get: Some(bindings::param_get_byte),
    free: None,
});

/// The operations of `bool` parameters (C `param_ops_bool`, whose flag
/// lets `insmod m name` mean `name=1`).
pub static BOOL_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: bindings::KERNEL_PARAM_OPS_FL_NOARG,
    set: Some(bindings::param_set_bool),
    get: Some(bindings::param_get_bool),
    free: None,
});

/// The operations of `charp` parameters: the kernel copies the string
/// and frees it when the module goes.
pub static CHARP_OPS: ParamOps = ParamOps(bindings::kernel_param_ops {
    flags: 0,
    set: Some(bindings::param_set_charp),
    get: Some(bindings::param_get_charp),
    free: Some(bindings::param_free_charp),
});

/// An entry of the module's `__param` section, which the module loader
/// reads to find the parameters.
#[repr(transparent)]
pub struct KernelParam(bindings::kernel_param);

// SAFETY: the loader writes through `arg` only during load; the entry itself
// is never written.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// The entry for `uint` parameter `value` named `name` (NUL-terminated),
    /// read-only in sysfs.
    pub const fn uint(name: &'static str, value: &'static ParamU32) -> Self {
        Self::raw(name, &UINT_OPS, 0o444, value.0.get().cast())
    }

    /// The entry for `byte` parameter `value` named `name`
    /// (NUL-terminated), read-only in sysfs.
    pub const fn byte(name: &'static str, value: &'static ParamU8) -> Self {
        Self::raw(name, &BYTE_OPS, 0o444, value.0.get().cast())
    }

    /// The entry for `bool` parameter `value` named `name`
    /// (NUL-terminated), which root may write in sysfs (0644).
    pub const fn bool(name: &'static str, value: &'static ParamBool) -> Self {
        Self::raw(name, &BOOL_OPS, 0o644, value.0.get().cast())
    }

    /// The entry for `bool` parameter `value` named `name`
    /// (NUL-terminated), read-only in sysfs (0444): set at load time only.
    pub const fn bool_read_only(name: &'static str, value: &'static ParamBool) -> Self {
        Self::raw(name, &BOOL_OPS, 0o444, value.0.get().cast())
    }

    /// The entry for `charp` parameter `value` named `name`
    /// (NUL-terminated), with no sysfs file (0000).
    pub const fn charp(name: &'static str, value: &'static ParamCharp) -> Self {
        Self::raw(name, &CHARP_OPS, 0, value.0.get().cast())
    }

    const fn raw(
        name: &'static str,
        ops: &'static ParamOps,
        perm: u16,
        arg: *mut kernel::ffi::c_void,
    ) -> Self {
        KernelParam(bindings::kernel_param {
            name: name.as_ptr().cast(),
            mod_: core::ptr::null_mut(),
            ops: &ops.0,
            perm,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 { arg },
        })
    }
}

/// The bytes of `s`, for a `.modinfo` entry of exactly `N` bytes.
pub const fn modinfo<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    assert!(bytes.len() == N);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Declares an unsigned integer module parameter, for the crate root:
///
/// ```ignore
/// module_param!(POLL_QUEUES: u32 = 0, "poll_queues", "Number of queues for polled I/O");
/// ```
///
/// makes `POLL_QUEUES` (a [`ParamU32`]), settable as `poll_queues=N` at
/// load time, with the description in `modinfo`. `u8` makes a
/// [`ParamU8`] (C's `byte`), `readonly bool` a read-only `bool`, `bool` a
/// [`ParamBool`] (writable in sysfs) and `charp` a [`ParamCharp`] (no
/// default: unset unless given). `static path::TO::STATIC: bool` registers
/// a `ParamBool` declared in another module (`readonly bool`: 0444).
#[macro_export]
macro_rules! module_param {
    ($vis:vis $ident:ident: u32 = $default:expr, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamU32 =
            $crate::kernel_ext::module_param::ParamU32::new($default);
        $crate::module_param!(@entry $ident, uint, uint, $name, $desc);
    };
    ($vis:vis $ident:ident: u8 = $default:expr, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamU8 =
            $crate::kernel_ext::module_param::ParamU8::new($default);
        $crate::module_param!(@entry $ident, byte, byte, $name, $desc);
    };
    ($vis:vis $ident:ident: bool = $default:expr, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamBool =
            $crate::kernel_ext::module_param::ParamBool::new($default);
        $crate::module_param!(@entry $ident, bool, bool, $name, $desc);
    };
    // A `bool` set only at load time (read-only in sysfs, 0444).
    ($vis:vis $ident:ident: readonly bool = $default:expr, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamBool =
            $crate::kernel_ext::module_param::ParamBool::new($default);
        $crate::module_param!(@entry $ident, bool_read_only, bool, $name, $desc);
    };
    ($vis:vis $ident:ident: charp, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamCharp =
            $crate::kernel_ext::module_param::ParamCharp::new();
        $crate::module_param!(@entry $ident, charp, charp, $name, $desc);
    };
    // A `bool` parameter whose static (a `ParamBool`) a module of its own
    // declares, one that reads it live and forbids `unsafe` (which the
    // link sections below are).
    (static $path:path: bool, $name:literal, $desc:literal) => {
        $crate::module_param!(@entry $path, bool, bool, $name, $desc);
    };
    // The same, set only at load time (0444).
    (static $path:path: readonly bool, $name:literal, $desc:literal) => {
        $crate::module_param!(@entry $path, bool_read_only, bool, $name, $desc);
    };
    // `$entry` names the `KernelParam` constructor, `$type` the type
    // `modinfo` shows.
    (@entry $value:path, $entry:ident, $type:ident, $name:literal, $desc:literal) => {
        const _: () = {
            use $crate::kernel_ext::module_param::{modinfo, KernelParam};
            const DESC: &str = concat!("parm=", $name, ":", $desc, "\0");
            const TYPE: &str = concat!("parmtype=", $name, ":", stringify!($type), "\0");

            #[link_section = "__param"]
            #[used]
            static PARAM: KernelParam = KernelParam::$entry(concat!($name, "\0"), &$value);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_DESC: [u8; DESC.len()] = modinfo(DESC);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_TYPE: [u8; TYPE.len()] = modinfo(TYPE);
        };
    };
}
