// SPDX-License-Identifier: GPL-2.0

//! CPUs.
//!
//! C header: [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h)

use super::bindings;

/// How many CPUs this system may ever have online.
pub fn possible_cpus() -> u32 {
    // SAFETY: reads a cpumask that is fixed after boot.
    unsafe { bindings::nvme_rs_num_possible_cpus() }
}
