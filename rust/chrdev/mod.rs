// SPDX-License-Identifier: GPL-2.0

//! Character devices: a device class with its range of device numbers
//! (`class`), and nodes in it (`/dev/nvme0`, `/dev/ng0n1`) whose file
//! operations and sysfs attributes reach the driver's data for the node
//! (`node`).
//!
//! C headers: [`include/linux/cdev.h`](srctree/include/linux/cdev.h),
//! [`include/linux/device/class.h`](srctree/include/linux/device/class.h)

use kernel::types::Opaque;

mod class;
mod node;

pub use class::{CharClass, ClassRegistration};
pub use node::{File, FileOps, NoFileOps, Node};

extern "C" {
    /// This module (`THIS_MODULE`), defined by modpost's generated code:
    /// the owner of the classes' file operations and of the nodes'
    /// character devices.
    static __this_module: Opaque<u8>;
}
