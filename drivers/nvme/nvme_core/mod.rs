// SPDX-License-Identifier: GPL-2.0

//! The controller and its namespaces, whatever the transport, as the C
//! driver's `core.c`, `ioctl.c` and `sysfs.c`: the controller ([`ctrl`])
//! with its state, resets and namespace scans over a [`transport`]; its
//! nodes, sysfs attributes and passthrough; asynchronous events;
//! identifying the controller and its namespaces; and each namespace's
//! disk. No file here names a transport's types.

pub mod admin;
pub mod apst;
pub mod async_events;
pub mod char_dev;
pub mod ctrl;
pub mod error_log;
pub mod firmware;
pub mod host_behavior;
pub mod hwmon;
pub mod identify;
pub mod instance;
pub mod namespace;
pub mod namespaces;
pub mod ns_attributes;
pub mod passthru;
pub mod state;
pub mod transport;
pub mod zoned;
