// SPDX-License-Identifier: GPL-2.0

//! Module parameters (`module_param` in C): values set on the `insmod`
//! command line, shown read-only in `/sys/module/<name>/parameters/`, and
//! described by `modinfo`.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)
//!
//! Declare them with [`crate::module_param!`] in the crate root.

use super::bindings;
use core::cell::UnsafeCell;

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
        Self::new(name, &UINT_OPS, value.0.get().cast())
    }

    /// The entry for `byte` parameter `value` named `name`
    /// (NUL-terminated), read-only in sysfs.
    pub const fn byte(name: &'static str, value: &'static ParamU8) -> Self {
        Self::new(name, &BYTE_OPS, value.0.get().cast())
    }

    const fn new(
        name: &'static str,
        ops: &'static ParamOps,
        arg: *mut kernel::ffi::c_void,
    ) -> Self {
        KernelParam(bindings::kernel_param {
            name: name.as_ptr().cast(),
            mod_: core::ptr::null_mut(),
            ops: &ops.0,
            perm: 0o444,
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
/// [`ParamU8`], C's `byte` type.
#[macro_export]
macro_rules! module_param {
    ($vis:vis $ident:ident: u32 = $default:expr, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamU32 =
            $crate::kernel_ext::module_param::ParamU32::new($default);

        const _: () = {
            use $crate::kernel_ext::module_param::{modinfo, KernelParam};
            const DESC: &str = concat!("parm=", $name, ":", $desc, "\0");
            const TYPE: &str = concat!("parmtype=", $name, ":uint\0");

            #[link_section = "__param"]
            #[used]
            static PARAM: KernelParam = KernelParam::uint(concat!($name, "\0"), &$ident);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_DESC: [u8; DESC.len()] = modinfo(DESC);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_TYPE: [u8; TYPE.len()] = modinfo(TYPE);
        };
    };
    ($vis:vis $ident:ident: u8 = $default:expr, $name:literal, $desc:literal) => {
        #[doc = $desc]
        $vis static $ident: $crate::kernel_ext::module_param::ParamU8 =
            $crate::kernel_ext::module_param::ParamU8::new($default);

        const _: () = {
            use $crate::kernel_ext::module_param::{modinfo, KernelParam};
            const DESC: &str = concat!("parm=", $name, ":", $desc, "\0");
            const TYPE: &str = concat!("parmtype=", $name, ":byte\0");

            #[link_section = "__param"]
            #[used]
            static PARAM: KernelParam = KernelParam::byte(concat!($name, "\0"), &$ident);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_DESC: [u8; DESC.len()] = modinfo(DESC);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_TYPE: [u8; TYPE.len()] = modinfo(TYPE);
        };
    };
}
