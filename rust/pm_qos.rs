// SPDX-License-Identifier: GPL-2.0

//! The PM QoS latency tolerance of a character device node: the
//! `power/pm_qos_latency_tolerance_us` file of its sysfs directory, shown
//! or hidden, and the callback that hears every change of the tolerance
//! (C `dev->power.set_latency_tolerance`,
//! `dev_pm_qos_expose_latency_tolerance`,
//! `dev_pm_qos_update_user_latency_tolerance`).
//!
//! Without `CONFIG_PM` the kernel has no tolerance: nothing is shown and
//! the callback never runs.
//!
//! C header: [`include/linux/pm_qos.h`](srctree/include/linux/pm_qos.h)

use super::bindings;
use super::chrdev::{FileOps, Node};
use super::device::Device;
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::ARef;

/// Nodes whose data hears their latency tolerance.
pub trait LatencyTolerance: FileOps {
    /// The node's latency tolerance is now `tolerance_us` microseconds,
    /// or -1 for no constraint, or `i32::MAX` for any (C
    /// `PM_QOS_LATENCY_TOLERANCE_NO_CONSTRAINT`, `PM_QOS_LATENCY_ANY`).
    /// Runs under the PM QoS core's lock, which is global: it must not
    /// wait for anything that may take that lock.
    fn set_latency_tolerance(data: &Self::Data, tolerance_us: i32);
}

/// # Safety
///
/// Called by the PM QoS core for the device of a `Node<T>` (the only
/// devices [`Node::init_latency_tolerance`] gives this callback), which is
/// alive during the call.
unsafe extern "C" fn set_latency_tolerance<T: LatencyTolerance>(
    dev: *mut bindings::device,
    tolerance_us: i32,
) {
    // SAFETY: the device is a `Node<T>`'s and alive during the call; its
    // drvdata points to the node's `T::Data` (`Node::add`), which is freed
    // only when the device is released, after its last reference.
    let data = unsafe { &*(*dev).driver_data.cast::<T::Data>() };
    T::set_latency_tolerance(data, tolerance_us);
}

impl<T: LatencyTolerance> Node<T> {
    /// Gives the node its latency tolerance callback and a user tolerance
    /// of `tolerance_us` (C `nvme_add_ctrl`), which the callback hears at
    /// once; the tolerance stays hidden from user space until
    /// [`LatencyToleranceRequest::expose`]. The callback may run from then
    /// on until the request is dropped, which must happen before the node
    /// goes.
    pub fn init_latency_tolerance(&self, tolerance_us: i32) -> Result<LatencyToleranceRequest> {
        let dev: ARef<Device> = self.as_dev().into();
        // SAFETY: the node's device is registered while `self` exists; the
        // callback, set before any tolerance request exists, matches its
        // drvdata type, as `set_latency_tolerance` requires.
        unsafe {
            bindings::nvme_rs_set_latency_tolerance_callback(
                dev.as_raw(),
                Some(set_latency_tolerance::<T>),
            )
        };
        // INVARIANT: the request is dropped, whatever the outcome below,
        // by the value's `Drop`; dropping a request that was not made is
        // harmless.
        let request = LatencyToleranceRequest { dev };
        // SAFETY: as above, the device is registered.
        to_result(unsafe {
            bindings::nvme_rs_dev_pm_qos_update_user_latency_tolerance(
                request.dev.as_raw(),
                tolerance_us,
            )
        })?;
        Ok(request)
    }
}

/// A node's user latency tolerance request (the kernel allocates it);
/// dropped, the tolerance is hidden from sysfs if it was shown and the
/// request freed (the callback hears no constraint), as C's
/// `dev_pm_qos_hide_latency_tolerance` in `nvme_uninit_ctrl`. Drop it
/// before the node.
///
/// # Invariants
///
/// `dev` is the device of a node whose tolerance callback is set;
/// `Drop` drops its user request, once.
pub struct LatencyToleranceRequest {
    dev: ARef<Device>,
}

impl LatencyToleranceRequest {
    /// Shows `power/pm_qos_latency_tolerance_us` in the node's sysfs
    /// directory, for user space to change the tolerance, until `self` is
    /// dropped.
    pub fn expose(&self) -> Result {
        // SAFETY: `dev` is referenced, so valid, and its node is still
        // registered: `self` is dropped before the node (type docs).
        to_result(unsafe {
            bindings::nvme_rs_dev_pm_qos_expose_latency_tolerance(self.dev.as_raw())
        })
    }
}

impl Drop for LatencyToleranceRequest {
    fn drop(&mut self) {
        // SAFETY: `dev` is referenced, so valid; hiding takes only the PM
        // QoS locks, removes the sysfs file if it was shown (nothing if
        // not), and frees the user request if there is one.
        unsafe { bindings::nvme_rs_dev_pm_qos_hide_latency_tolerance(self.dev.as_raw()) };
    }
}
