// SPDX-License-Identifier: GPL-2.0

//! nvme-rs's safe abstractions over kernel C APIs that Linux 6.12's `kernel`
//! crate does not provide: PCI drivers and devices, MMIO, coherent DMA,
//! peer-to-peer memory, IRQ vectors and handlers, system sleep, completions
//! and sleeping, waiting for work items, and values set once for interrupt
//! handlers.
//!
//! Every `unsafe` block of the project lives under this directory, each with
//! a `// SAFETY:` comment; the driver in `drivers/nvme/` uses only the safe
//! interfaces here and in `kernel`. The shapes follow mainline's
//! `kernel::pci`, `kernel::dma`, `kernel::irq` and `kernel::io`.

pub(crate) mod bindings;
pub mod block;
pub mod capability;
pub mod chrdev;
pub mod completion;
pub mod cpu;
pub mod delay;
pub mod device;
pub mod dma;
pub mod dma_pool;
pub mod dmi;
pub mod error;
pub mod fault_inject;
pub mod hwmon;
pub mod io_mem;
pub mod irq;
pub mod module_param;
pub mod p2pdma;
pub mod pci;
pub mod pm_qos;
pub mod set_once;
pub mod suspend;
pub mod sysfs;
pub mod uring;
pub mod user_iter;
pub mod workqueue;
