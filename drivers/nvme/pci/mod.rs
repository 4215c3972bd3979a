// SPDX-License-Identifier: GPL-2.0

//! The PCIe transport, as the C driver's `pci.c`: BAR0 registers, queue
//! pairs in host memory, doorbells and MSI-X interrupts.

pub mod admin_ops;
pub mod admin_queue;
pub mod admin_ring;
pub mod blk_ops;
pub mod cmb;
pub mod completion_ring;
pub mod config;
pub mod controller;
mod data_map;
pub mod driver;
pub mod host_memory;
pub mod io_queue;
mod last_power_state;
mod pci_error;
mod power;
pub mod queue_set;
pub mod recovery_watch;
pub mod registers;
pub mod removal;
pub mod request;
pub mod reset;
pub mod ring;
pub mod shadow_doorbell;
mod timeout;
