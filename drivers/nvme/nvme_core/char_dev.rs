// SPDX-License-Identifier: GPL-2.0

//! The character devices of a controller, as the C driver's: `/dev/nvmeN`
//! (class `nvme`) for admin passthrough, and `/dev/ngNnM` (class
//! `nvme-generic`) per namespace for I/O passthrough without the block
//! layer's filesystem path, through ioctls and io_uring commands.

use super::ctrl::Ctrl;
use super::error_log::{show_passthru_log, store_passthru_log};
use super::passthru::NsCommands;
use crate::dev_warn;
use crate::kernel_ext::capability::capable_sys_admin;
use crate::kernel_ext::chrdev::{CharClass, File, FileOps, NoFileOps};
use crate::kernel_ext::error;
use crate::kernel_ext::pm_qos::LatencyTolerance;
use crate::kernel_ext::sysfs::{parse_bool, Attribute, SysfsBuf};
use crate::kernel_ext::uring::{IssueFlags, Queued, UringCmd};
use crate::spec::ctrl_state::State;
use crate::spec::host_memory::HostMemoryCaps;
use crate::spec::passthru::{Ioctl, UringOp};
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most generic (namespace) nodes the module has at once.
pub const MAX_GENERIC_NODES: u32 = 1024;

/// `/sys/class/nvme`: controller nodes, minor = instance number.
pub static NVME_CLASS: CharClass<ControllerNode> =
    CharClass::new(kernel::c_str!("nvme"), super::instance::MAX_INSTANCES);

/// `/sys/class/nvme-generic`: namespace nodes.
pub static NVME_GENERIC_CLASS: CharClass<NamespaceNode> =
    CharClass::new(kernel::c_str!("nvme-generic"), MAX_GENERIC_NODES);

/// `/sys/class/nvme-subsystem`: one subsystem per controller (no
/// multipath), sysfs only; nvme-cli finds controllers through it.
pub static NVME_SUBSYSTEM_CLASS: CharClass<NoFileOps<Arc<Ctrl>>> =
    CharClass::new(kernel::c_str!("nvme-subsystem"), 0);

/// One bit per generic node minor in use.
static GENERIC_MINORS: [AtomicU64; (MAX_GENERIC_NODES / 64) as usize] =
    [const { AtomicU64::new(0) }; (MAX_GENERIC_NODES / 64) as usize];

/// A generic node's minor number, released when dropped.
///
/// # Invariants
///
/// Bit `self.0` of `GENERIC_MINORS` is set and owned by this value.
pub struct GenericMinor(u32);

impl GenericMinor {
    /// Takes the lowest free minor.
    pub fn alloc() -> Result<Self> {
        for (word_index, word) in GENERIC_MINORS.iter().enumerate() {
            let mut used = word.load(Ordering::Relaxed);
            while used != u64::MAX {
                let free = (!used).trailing_zeros();
                match word.compare_exchange_weak(
                    used,
                    used | 1 << free,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    // INVARIANT: the bit was clear and this exchange set it.
                    Ok(_) => return Ok(GenericMinor(word_index as u32 * 64 + free)),
                    Err(now) => used = now,
                }
            }
        }
        Err(ENOSPC)
    }

    /// The minor number.
    pub fn number(&self) -> u32 {
        self.0
    }
}

impl Drop for GenericMinor {
    fn drop(&mut self) {
        GENERIC_MINORS[(self.0 / 64) as usize].fetch_and(!(1 << (self.0 % 64)), Ordering::AcqRel);
    }
}

/// File operations of `/dev/nvmeN`.
pub struct ControllerNode;

impl FileOps for ControllerNode {
    type Data = Arc<Ctrl>;
    // C offers no polled admin commands.
    const IOPOLL: bool = false;

    fn ioctl(ctrl: &Arc<Ctrl>, file: &File<'_>, cmd: u32, arg: usize) -> Result<i32> {
        match Ioctl::from_number(cmd).ok_or(ENOTTY)? {
            ioctl @ (Ioctl::AdminCmd | Ioctl::Admin64Cmd) => {
                ctrl.ioctl_admin(arg, ioctl, file.is_writable())
            }
            Ioctl::Reset | Ioctl::SubsysReset | Ioctl::Rescan if !capable_sys_admin() => {
                Err(EACCES)
            }
            Ioctl::Rescan => ctrl.rescan(),
            Ioctl::Reset => ctrl.reset(),
            Ioctl::SubsysReset => ctrl.reset_subsystem(),
            // Deprecated, and only for a controller with one namespace.
            Ioctl::IoCmd => ctrl.ioctl_io_single(cmd, arg, file.is_writable()),
            Ioctl::Id | Ioctl::Io64Cmd { .. } | Ioctl::SubmitIo => Err(ENOTTY),
        }
    }

    fn uring_cmd(ctrl: &Arc<Ctrl>, cmd: UringCmd, flags: IssueFlags) -> Result<Queued> {
        if !flags.big_entries() {
            return Err(error::eopnotsupp());
        }
        match UringOp::from_number(cmd.op()) {
            Some(UringOp::Admin { vectored }) => Ctrl::uring_admin(ctrl, cmd, flags, vectored),
            _ => Err(ENOTTY),
        }
    }
}

/// The controller node's PM QoS latency tolerance bounds APST (C
/// `nvme_set_latency_tolerance`).
impl LatencyTolerance for ControllerNode {
    fn set_latency_tolerance(ctrl: &Arc<Ctrl>, tolerance_us: i32) {
        ctrl.set_latency_tolerance(tolerance_us);
    }
}

/// File operations of `/dev/ngNnM`.
pub struct NamespaceNode;

impl FileOps for NamespaceNode {
    type Data = Arc<dyn NsCommands>;
    const IOPOLL: bool = true;

    fn ioctl(ns: &Arc<dyn NsCommands>, file: &File<'_>, cmd: u32, arg: usize) -> Result<i32> {
        ns.ioctl(file.is_writable(), false, cmd, arg)
    }

    fn uring_cmd(ns: &Arc<dyn NsCommands>, cmd: UringCmd, flags: IssueFlags) -> Result<Queued> {
        if !flags.big_entries() {
            return Err(error::eopnotsupp());
        }
        match UringOp::from_number(cmd.op()) {
            Some(UringOp::Io { vectored }) => ns.uring_io(cmd, flags, vectored),
            _ => Err(ENOTTY),
        }
    }
}

fn show_model(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.id.model.trimmed())
}

fn show_serial(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.id.serial.trimmed())
}

fn show_firmware(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.firmware().trimmed())
}

fn show_transport(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.transport_name)
}

fn show_address(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", &*c.address)
}

fn show_state(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.state().name())
}

fn show_cntlid(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.id.controller_id)
}

fn show_subsysnqn(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.id.subsystem_nqn.trimmed())
}

/// Any write resets the controller and waits for it, as C's
/// `nvme_sysfs_reset`; the file is the owner's (root's) to write.
fn store_reset_controller(c: &Arc<Ctrl>, _: &[u8]) -> Result {
    c.reset().map(|_| ())
}

/// Any write rescans the namespaces of a live controller, as C's
/// `nvme_sysfs_rescan`, adding and removing disks; what the rescan finds
/// goes to the log, not to the writer, whose write C always accepts. C
/// queues the scan; here the writer waits for it, as for
/// `NVME_IOCTL_RESCAN`.
fn store_rescan_controller(c: &Arc<Ctrl>, _: &[u8]) -> Result {
    if c.state() == State::Live {
        if let Err(err) = c.scan_namespaces() {
            dev_warn!(
                &c.dev,
                "nvme{}: namespace rescan failed: {:?}\n",
                c.instance,
                err
            );
        }
    }
    Ok(())
}

fn show_hmb(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", u8::from(c.host_memory_enabled()))
}

/// C's `hmb_store`: a boolean as `kstrtobool` reads it turns the Host
/// Memory Buffer on or off; writing what it is already does nothing.
fn store_hmb(c: &Arc<Ctrl>, input: &[u8]) -> Result {
    c.set_host_memory(parse_bool(input)?)
}

/// C shows `hmb` only for a controller that asks for host memory.
fn has_hmb(c: &Arc<Ctrl>) -> bool {
    HostMemoryCaps::of(&c.id).wanted()
}

/// C's `cmb_show`.
fn show_cmb(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "cmbloc : x{:08x}", c.cmb.location)?;
    writeln!(out, "cmbsz  : x{:08x}", c.cmb.size)
}

fn show_cmbloc(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.cmb.location)
}

fn show_cmbsz(c: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "{}", c.cmb.size)
}

/// C shows the `cmb` files only for a controller with a CMB.
fn has_cmb(c: &Arc<Ctrl>) -> bool {
    c.cmb.present()
}

fn show_subsystype(_: &Arc<Ctrl>, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    writeln!(out, "nvm")
}

/// The subsystem's attributes, as C's `nvme_subsys_attrs`.
pub static SUBSYSTEM_ATTRIBUTES: [Attribute<Arc<Ctrl>>; 5] = [
    Attribute::new(kernel::c_str!("model"), show_model),
    Attribute::new(kernel::c_str!("serial"), show_serial),
    Attribute::new(kernel::c_str!("firmware_rev"), show_firmware),
    Attribute::new(kernel::c_str!("subsysnqn"), show_subsysnqn),
    Attribute::new(kernel::c_str!("subsystype"), show_subsystype),
];

/// The controller node's attributes, as C's `nvme_dev_attrs` that nvme-cli
/// reads (`nvme list`) and `passthru_err_log_enabled` (admin commands),
/// and `hmb`, `cmb`, `cmbloc` and `cmbsz` from C's PCIe ones.
pub static CONTROLLER_ATTRIBUTES: [Attribute<Arc<Ctrl>>; 15] = [
    Attribute::new(kernel::c_str!("model"), show_model),
    Attribute::new(kernel::c_str!("serial"), show_serial),
    Attribute::new(kernel::c_str!("firmware_rev"), show_firmware),
    Attribute::new(kernel::c_str!("transport"), show_transport),
    Attribute::new(kernel::c_str!("address"), show_address),
    Attribute::new(kernel::c_str!("state"), show_state),
    Attribute::new(kernel::c_str!("cntlid"), show_cntlid),
    Attribute::new(kernel::c_str!("subsysnqn"), show_subsysnqn),
    Attribute::write_only(kernel::c_str!("reset_controller"), store_reset_controller),
    Attribute::write_only(kernel::c_str!("rescan_controller"), store_rescan_controller),
    Attribute::read_write(kernel::c_str!("hmb"), show_hmb, store_hmb).visible_if(has_hmb),
    Attribute::new(kernel::c_str!("cmb"), show_cmb).visible_if(has_cmb),
    Attribute::new(kernel::c_str!("cmbloc"), show_cmbloc).visible_if(has_cmb),
    Attribute::new(kernel::c_str!("cmbsz"), show_cmbsz).visible_if(has_cmb),
    Attribute::read_write(
        kernel::c_str!("passthru_err_log_enabled"),
        |c, out| show_passthru_log(&c.errors, out),
        |c, input| store_passthru_log(&c.errors, input),
    ),
];
