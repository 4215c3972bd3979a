// SPDX-License-Identifier: GPL-2.0

//! The platform firmware's description of the machine (SMBIOS, "DMI"), by
//! which the C driver knows drive and board combinations that need quirks.
//!
//! C header: [`include/linux/dmi.h`](srctree/include/linux/dmi.h)

use super::bindings;

/// The SMBIOS strings platform quirks are matched on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Field {
    /// System manufacturer (`DMI_SYS_VENDOR`).
    SysVendor = 0,
    /// System product name (`DMI_PRODUCT_NAME`).
    ProductName = 1,
    /// Baseboard manufacturer (`DMI_BOARD_VENDOR`).
    BoardVendor = 2,
    /// Baseboard product name (`DMI_BOARD_NAME`).
    BoardName = 3,
}

/// The firmware's string for `field`, without its NUL, or `None` where it
/// gives none (or the kernel has no DMI support).
pub fn system_info(field: Field) -> Option<&'static [u8]> {
    // SAFETY: any selector is accepted (unknown ones give NULL).
    let ptr = unsafe { bindings::nvme_rs_dmi_string(field as u32) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string the DMI scan stored at boot, never
    // freed or changed after.
    Some(unsafe { kernel::str::CStr::from_char_ptr(ptr) }.as_bytes())
}
