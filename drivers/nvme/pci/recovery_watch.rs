// SPDX-License-Identifier: GPL-2.0

//! A deadline for PCIe error recovery.
//!
//! An error that froze the link disables the controller and holds its I/O
//! until the PCI core's `slot_reset` brings it back. Where the core's
//! recovery fails instead (the link does not come back after its reset),
//! no driver callback follows: C's driver holds the I/O for good, and
//! processes waiting on it cannot even be killed. Here, once recovery has
//! not finished within `error_recovery_timeout` seconds, the controller is
//! given up as if its reset had failed: the held and later I/O fails, and
//! the controller and its disks are removed. The watch polls from the
//! module's removal queue; another error restarts its deadline.

use super::removal::REMOVALS;
use crate::dev_warn;
use crate::kernel_ext::delay::msleep;
use crate::nvme_core::ctrl::Ctrl;
use crate::spec::ctrl_state::State;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// How often the watch looks whether recovery finished.
const POLL_MS: u32 = 100;

/// Watches one controller's PCIe error recovery.
#[pin_data]
pub struct RecoveryWatch {
    shared: Arc<Ctrl>,
    /// How long recovery may take; 0: for ever, as C.
    timeout_ms: u32,
    /// Errors that froze the link so far: a new one restarts the deadline.
    errors: AtomicU32,
    /// An error disabled the controller, and no slot reset followed yet.
    pending: AtomicBool,
    #[pin]
    work: Work<RecoveryWatch>,
}

impl_has_work! {
    impl HasWork<Self> for RecoveryWatch { self.work }
}

impl WorkItem for RecoveryWatch {
    type Pointer = Arc<RecoveryWatch>;

    fn run(this: Arc<RecoveryWatch>) {
        let mut seen = this.errors.load(Ordering::Acquire);
        let mut waited = 0u32;
        while this.pending.load(Ordering::Acquire) {
            // Teardown has begun, or the controller was given up on
            // otherwise: nothing left to watch.
            if matches!(
                this.shared.state(),
                State::Deleting | State::DeletingNoIo | State::Dead
            ) {
                return;
            }
            let errors = this.errors.load(Ordering::Acquire);
            if errors != seen {
                seen = errors;
                waited = 0;
            }
            if waited >= this.timeout_ms {
                if this.pending.swap(false, Ordering::AcqRel) {
                    this.give_up();
                }
                return;
            }
            msleep(POLL_MS);
            waited = waited.saturating_add(POLL_MS);
        }
    }
}

impl RecoveryWatch {
    /// A watch over `shared`'s recovery, giving it `timeout_ms` (0: for
    /// ever).
    pub fn new(shared: Arc<Ctrl>, timeout_ms: u32) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(RecoveryWatch {
                shared,
                timeout_ms,
                errors: AtomicU32::new(0),
                pending: AtomicBool::new(false),
                work <- new_work!("nvme_rs recovery watch"),
            }),
            GFP_KERNEL,
        )
    }

    /// An error froze the link and disabled the controller: recovery has
    /// until the deadline to bring it back.
    pub fn start(self: &Arc<Self>) {
        if self.timeout_ms == 0 {
            return;
        }
        self.errors.fetch_add(1, Ordering::AcqRel);
        self.pending.store(true, Ordering::Release);
        // Already queued or running: that one watches this error too.
        // Failing that (the module is going away), nothing is watched.
        let _ = REMOVALS.enqueue(self.clone());
    }

    /// The slot reset came: recovery is over, whatever its outcome.
    pub fn stop(&self) {
        self.pending.store(false, Ordering::Release);
    }

    fn give_up(&self) {
        let shared = &self.shared;
        dev_warn!(
            &*shared.dev,
            "nvme{}: PCIe error recovery did not finish within {} s; giving up\n",
            shared.instance,
            self.timeout_ms / 1000
        );
        shared.give_up_held();
    }
}
