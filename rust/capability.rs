// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the calling task, for permission decisions such as which
//! passthrough commands a user may send.
//!
//! C header: [`include/linux/capability.h`](srctree/include/linux/capability.h)

use super::bindings;

/// Whether the calling task has `CAP_SYS_ADMIN` (checked, and audited, as
/// C's `capable`).
pub fn capable_sys_admin() -> bool {
    // SAFETY: no preconditions; runs in the calling task.
    unsafe { bindings::nvme_rs_capable_sys_admin() }
}
