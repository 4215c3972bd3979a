// SPDX-License-Identifier: GPL-2.0

//! Asynchronous events: one Asynchronous Event Request kept outstanding on
//! the admin queue; when it completes, a work item reads the log page that
//! clears the event, acts on it, and submits the next request (C
//! `nvme_async_event_work`, `nvme_complete_async_event`, `nvme_aen_work`).
//!
//! A SMART/health event logs the critical warnings; a namespace attribute
//! notice rescans the namespaces, adding and removing disks; a firmware
//! activation notice holds I/O back until the new firmware runs
//! (`firmware`). A reset makes the controller forget the request and the
//! configuration, so it enables both again and rescans, the namespaces
//! having possibly changed meanwhile.

use super::admin::{AdminQueue, AsyncEventHandler};
use super::ctrl::Ctrl;
use crate::kernel_ext::device::Device;
use crate::kernel_ext::workqueue::flush;
use crate::spec::async_event::{
    configuration, AsyncEvent, Kind, WarningList, CHANGED_NS_LOG, CHANGED_NS_LOG_SIZE,
    NS_ATTRIBUTE_NOTICES, SMART_LOG, SMART_LOG_SIZE,
};
use crate::spec::command::Command;
use crate::spec::completion::Completion;
use crate::spec::ctrl_state::State;
use crate::{dev_dbg, dev_info, dev_warn};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;
use kernel::types::ARef;
use kernel::workqueue::{self, impl_has_work, new_work, Work, WorkItem};

/// `pending` bit: an Asynchronous Event Request completed with `result`.
const EVENT: u32 = 1 << 0;
/// `pending` bit: rescan the namespaces.
const RESCAN: u32 = 1 << 1;

/// Bytes of a log page read only to clear an event the driver does not act
/// on; a partial read clears it too.
const CLEARING_READ: u32 = 512;

/// A controller's asynchronous events.
#[pin_data]
pub struct AsyncEvents {
    ctrl: Arc<Ctrl>,
    /// The controller node, which `NVME_AEN` uevents are about.
    node: ARef<Device>,
    /// Completion dword 0 of the latest request; one is outstanding at a
    /// time, and the next is only submitted once this one was handled.
    result: AtomicU32,
    /// What the work item has to do: `EVENT` and `RESCAN` bits.
    pending: AtomicU32,
    #[pin]
    work: Work<AsyncEvents>,
}

impl_has_work! {
    impl HasWork<Self> for AsyncEvents { self.work }
}

/// Hands the admin queue's Asynchronous Event Request completions to the
/// events, whose work item needs a reference of its own to be queued.
struct Delivery(Arc<AsyncEvents>);

impl AsyncEventHandler for Delivery {
    fn arrived(&self, cqe: &Completion) {
        AsyncEvents::arrived(self.0.clone(), cqe);
    }
}

impl WorkItem for AsyncEvents {
    type Pointer = Arc<AsyncEvents>;

    fn run(this: Arc<AsyncEvents>) {
        this.process();
    }
}

impl AsyncEvents {
    /// The events of the controller `ctrl`, which `admin` (its admin queue)
    /// delivers from now on. Nothing is requested until [`Self::enable`].
    pub fn new(ctrl: Arc<Ctrl>, admin: &dyn AdminQueue, node: ARef<Device>) -> Result<Arc<Self>> {
        let events = Arc::pin_init(
            pin_init!(AsyncEvents {
                ctrl,
                node,
                result: AtomicU32::new(0),
                pending: AtomicU32::new(0),
                work <- new_work!("nvme_rs async events"),
            }),
            GFP_KERNEL,
        )?;
        admin.set_async_events(Arc::new(Delivery(events.clone()), GFP_KERNEL)?)?;
        Ok(events)
    }

    /// Configures which events the controller reports (every SMART critical
    /// warning, and namespace attribute notices if it has them) and submits
    /// an Asynchronous Event Request. For probe and after each reset.
    pub fn enable(&self, admin: &dyn AdminQueue) -> Result {
        let value = configuration(self.ctrl.id.oaes);
        if value & NS_ATTRIBUTE_NOTICES != 0 {
            // A controller reports a namespace again only once the Changed
            // Namespace List was read (QEMU keeps the list across resets
            // and reloads); read it now so the first change is reported.
            let mut log = KVec::from_elem(0u8, CHANGED_NS_LOG_SIZE as usize, GFP_KERNEL)?;
            admin.execute_read(
                Command::get_log_page(CHANGED_NS_LOG, CHANGED_NS_LOG_SIZE),
                &mut log,
            )?;
        }
        let cqe = admin.execute_read(Command::async_event_configuration(value), &mut [])?;
        if !cqe.status().is_success() {
            // Events the controller does report by default still come.
            dev_warn!(
                &*self.ctrl.dev,
                "nvme{}: asynchronous event configuration {:#x} refused: {:?}\n",
                self.ctrl.instance,
                value,
                cqe.status()
            );
        }
        admin.submit_async_event()
    }

    /// After a reset: enables events again and rescans the namespaces.
    pub fn restart(self: &Arc<Self>, admin: &dyn AdminQueue) -> Result {
        self.schedule(RESCAN);
        self.enable(admin)
    }

    /// The admin queue's interrupt handler calls this with the request's
    /// completion.
    pub fn arrived(this: Arc<Self>, cqe: &Completion) {
        if !cqe.status().is_success() {
            // Aborted by a reset or a shutdown, or refused: as C, no new
            // request (a reset submits one).
            dev_dbg!(
                &*this.ctrl.dev,
                "nvme{}: asynchronous event request ended: {:?}\n",
                this.ctrl.instance,
                cqe.status()
            );
            return;
        }
        this.result.store(cqe.result, Ordering::Release);
        this.schedule(EVENT);
    }

    fn schedule(self: &Arc<Self>, what: u32) {
        self.pending.fetch_or(what, Ordering::AcqRel);
        // Already queued: that run sees the bit.
        let _ = workqueue::system().enqueue(self.clone());
    }

    /// Waits for the work item, for teardown: the admin queue's interrupt
    /// must be gone, so that nothing queues it again.
    pub fn flush(&self) {
        flush(&self.work);
    }

    fn process(&self) {
        let dev = &*self.ctrl.dev;
        let name = self.ctrl.instance;
        let pending = self.pending.swap(0, Ordering::AcqRel);
        let mut rescan = pending & RESCAN != 0;
        let mut resubmit = pending & EVENT != 0;
        if pending & EVENT != 0 {
            let result = self.result.load(Ordering::Acquire);
            let event = AsyncEvent::from_result(result);
            rescan |= event.namespaces_changed();
            if event.tells_user_space() {
                self.tell_user_space(result);
            }
            if event.persistent_internal_error() {
                // As C: the reset submits the next request.
                resubmit = false;
                dev_warn!(
                    dev,
                    "nvme{}: resetting controller due to persistent internal error\n",
                    name
                );
                if let Err(err) = self.ctrl.reset() {
                    dev_warn!(dev, "nvme{}: reset failed: {:?}\n", name, err);
                }
            }
            // As C: the notice moves a live controller to resetting while
            // the firmware activates, and the slot log read afterwards
            // clears the event; the next request follows if it ends live.
            if event.firmware_activation_starting() && self.ctrl.change_state(State::Resetting) {
                resubmit = self.ctrl.activate_firmware();
            } else if let Err(err) = self.ctrl.with_admin(|admin| self.handle(admin, event)) {
                dev_warn!(
                    dev,
                    "nvme{}: asynchronous event {:?}: {:?}\n",
                    name,
                    event,
                    err
                );
            }
        }
        if rescan {
            if let Err(err) = self.ctrl.scan_namespaces() {
                dev_warn!(dev, "nvme{}: namespace rescan failed: {:?}\n", name, err);
            }
        }
        if resubmit {
            // ENODEV: teardown has begun, and no further request is wanted.
            match self.ctrl.with_admin(|admin| admin.submit_async_event()) {
                Ok(()) | Err(ENODEV) => {}
                Err(err) => dev_warn!(
                    dev,
                    "nvme{}: no further asynchronous events: {:?}\n",
                    name,
                    err
                ),
            }
        }
    }

    /// Sends user space an `NVME_AEN` uevent on the controller node with
    /// the event's completion dword 0 (C `nvme_aen_uevent`), while the
    /// controller is live: not for a node being deleted.
    fn tell_user_space(&self, result: u32) {
        if self.ctrl.state() != State::Live {
            return;
        }
        let sent = CString::try_from_fmt(kernel::fmt!("NVME_AEN={:#08x}", result))
            .map_err(Error::from)
            .and_then(|env| self.node.uevent_change(&env));
        if let Err(err) = sent {
            dev_warn!(
                &*self.ctrl.dev,
                "nvme{}: no uevent for asynchronous event {:#x}: {:?}\n",
                self.ctrl.instance,
                result,
                err
            );
        }
    }

    /// Reads the log page that clears `event` and reports it.
    fn handle(&self, admin: &dyn AdminQueue, event: AsyncEvent) -> Result {
        let dev = &*self.ctrl.dev;
        let name = self.ctrl.instance;
        let bytes = match event.kind {
            Kind::Smart => SMART_LOG_SIZE,
            Kind::Notice if event.log_page == CHANGED_NS_LOG => CHANGED_NS_LOG_SIZE,
            _ => CLEARING_READ,
        };
        let mut log = KVec::from_elem(0u8, bytes as usize, GFP_KERNEL)?;
        if event.log_page != 0 {
            admin.execute_read(Command::get_log_page(event.log_page, bytes), &mut log)?;
        }
        match event.kind {
            Kind::Smart if event.log_page == SMART_LOG => {
                let warning = log[0];
                dev_warn!(
                    dev,
                    "nvme{}: SMART/health critical warning {:#04x}: {}\n",
                    name,
                    warning,
                    WarningList(warning)
                );
            }
            Kind::Notice if event.namespaces_changed() => {
                dev_info!(dev, "nvme{}: namespace attributes changed\n", name);
            }
            _ => dev_info!(
                dev,
                "nvme{}: asynchronous event {:?}, information {:#x}, log page {:#x}\n",
                name,
                event.kind,
                event.info,
                event.log_page
            ),
        }
        Ok(())
    }
}
