// SPDX-License-Identifier: GPL-2.0

//! Removing a controller that was given up on (a reset failed, or its
//! registers read all ones): its I/O already fails, and unbinding the
//! driver then deletes its disks and nodes, as C's `nvme_remove_dead_ctrl`
//! does. The unbinding runs from the module's own workqueue: the timeout
//! or reset that gave up may be something teardown waits for, and the
//! queue is drained before the module's code goes.

use crate::dev_warn;
use crate::kernel_ext::pci;
use crate::kernel_ext::workqueue::ModuleQueue;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ARef;
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// The queue removals run on; the module makes it at init and destroys it
/// after unregistering the driver.
pub static REMOVALS: ModuleQueue = ModuleQueue::new();

/// The removal of one controller, queued at most once at a time.
#[pin_data]
pub struct Removal {
    pdev: ARef<pci::Device>,
    instance: u32,
    #[pin]
    work: Work<Removal>,
}

impl_has_work! {
    impl HasWork<Self> for Removal { self.work }
}

impl WorkItem for Removal {
    type Pointer = Arc<Removal>;

    fn run(this: Arc<Removal>) {
        // Runs the driver's remove, unless it was unbound meanwhile.
        this.pdev.release_driver();
    }
}

impl Removal {
    /// The removal of controller `nvme<instance>` on `pdev`.
    pub fn new(pdev: ARef<pci::Device>, instance: u32) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Removal {
                pdev,
                instance,
                work <- new_work!("nvme_rs removal"),
            }),
            GFP_KERNEL,
        )
    }

    /// Unbinds the driver soon, from another context.
    pub fn schedule(self: &Arc<Self>) {
        dev_warn!(
            self.pdev.as_dev(),
            "nvme{}: removing the controller, which no longer works\n",
            self.instance
        );
        // Already queued, or the module is going away and unbinds anyway.
        let _ = REMOVALS.enqueue(self.clone());
    }
}
