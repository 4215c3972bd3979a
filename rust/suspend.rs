// SPDX-License-Identifier: GPL-2.0

//! Facts about the system sleep transition in progress, for a driver's
//! sleep callbacks.
//!
//! C header: [`include/linux/suspend.h`](srctree/include/linux/suspend.h)

use super::bindings;

/// Whether the platform firmware finishes the system suspend under way
/// (S3 through ACPI), and so may cut devices' power; false for
/// suspend-to-idle. Meaningful only inside a sleep callback.
pub fn via_firmware() -> bool {
    // SAFETY: reads a global flag word; no preconditions.
    unsafe { bindings::nvme_rs_pm_suspend_via_firmware() }
}
