// SPDX-License-Identifier: GPL-2.0

//! The NVMe wire formats and pure logic the driver is built on: register
//! fields, command and completion layouts, identify parsing and queue
//! arithmetic.
//!
//! Nothing here touches the kernel: it uses `core` only, so the same files
//! compile into the module and, through the top-level `Cargo.toml`, into a
//! host crate whose `cargo test` checks them.

pub mod apst;
pub mod async_event;
pub mod cid;
pub mod cmb;
pub mod command;
pub mod completion;
pub mod ctrl_state;
pub mod effects;
pub mod error_log;
pub mod firmware;
pub mod format;
pub mod host_behavior;
pub mod host_memory;
pub mod identify;
pub mod integrity;
pub mod io;
pub mod ns_limits;
pub mod ns_sysfs;
pub mod passthru;
pub mod permission;
pub mod platform_quirks;
pub mod power;
pub mod prp;
pub mod queue;
pub mod queue_plan;
pub mod quirks;
pub mod recovery;
pub mod regs;
pub mod sgl;
pub mod shadow_doorbell;
pub mod status;
pub mod temperature;
pub mod zns;
