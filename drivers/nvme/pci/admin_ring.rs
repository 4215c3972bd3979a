// SPDX-License-Identifier: GPL-2.0

//! The admin queue pair: submission and completion rings in coherent DMA
//! memory and doorbells in BAR0, shared by the admin tag set's hardware
//! queue (`admin_ops`), the admin interrupt handler and the Asynchronous
//! Event Request (`admin_queue`).

use super::completion_ring::CompletionRing;
use super::ring::SubmissionRing;
use crate::kernel_ext::pci;
use crate::kernel_ext::set_once::SetOnce;
use crate::nvme_core::admin::AsyncEventHandler;
use crate::nvme_core::error_log::ErrorLog;
use crate::spec::command::Command;
use crate::spec::queue::SqCursor;
use core::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};
use kernel::types::ARef;

/// The handler the controller set, as the interrupt handler holds it.
pub struct EventHandler(pub(super) Arc<dyn AsyncEventHandler>);

/// The submission side.
pub(super) struct Submissions {
    pub(super) ring: SubmissionRing,
    pub(super) cursor: SqCursor,
}

/// The queue pair: what the tag set's hardware queue, the interrupt
/// handler and the Asynchronous Event Request share.
#[pin_data]
pub struct AdminRing {
    pub(super) pdev: ARef<pci::Device>,
    /// Serialises submitters: blk-mq dispatch and the event request.
    #[pin]
    pub(super) sq: SpinLock<Submissions>,
    pub(super) doorbell: pci::BarRegister32,
    /// Reaped only by the interrupt handler.
    pub(super) cq: CompletionRing,
    /// The controller's submission queue head from the latest completion.
    pub(super) sq_head: AtomicU16,
    /// An Asynchronous Event Request is outstanding.
    pub(super) async_event_outstanding: AtomicBool,
    /// Where its completion goes, once the controller is set up.
    pub(super) events: SetOnce<EventHandler>,
    /// The controller's fault injection and passthrough logging, which
    /// every completion but the Asynchronous Event Request's goes through.
    pub(super) errors: Arc<ErrorLog>,
}

impl AdminRing {
    /// The device, for command data buffers.
    pub(super) fn pdev(&self) -> &pci::Device {
        &self.pdev
    }

    /// Writes `cmd` at the submission tail and rings the doorbell; `EBUSY`
    /// if the ring is full, which blk-mq's depth keeps from happening.
    pub(super) fn push(&self, cmd: &Command) -> Result {
        let mut sq = self.sq.lock();
        if sq.cursor.is_full(self.sq_head.load(Ordering::Relaxed)) {
            return Err(EBUSY);
        }
        sq.ring.write(sq.cursor.tail(), &cmd.to_bytes())?;
        let tail = sq.cursor.advance();
        // The MMIO write is ordered after the entry's memory writes.
        self.doorbell.write(u32::from(tail));
        Ok(())
    }
}
