// SPDX-License-Identifier: GPL-2.0

//! A namespace disk's identity attributes in sysfs, as C's
//! `nvme_ns_attr_group`: `wwid`, `uuid`, `nguid`, `eui`, `csi`, `nsid` and
//! `metadata_bytes` under `/sys/block/nvmeXnY/`, `nuse` (the blocks in use,
//! asked of the controller again when read, at most every 5 seconds), and
//! C's `passthru_err_log_enabled` (whether failed I/O passthrough commands
//! are logged). `uuid`, `nguid` and `eui` are present only where the
//! namespace reports what they show.

use super::ctrl::Ctrl;
use super::error_log::{show_passthru_log, store_passthru_log, ErrorLog};
use super::identify::Namespace;
use crate::kernel_ext::block::disk_attr::DiskAttribute;
use crate::kernel_ext::sysfs::SysfsBuf;
use crate::spec::command::{Command, IdentifyCns, IDENTIFY_DATA_SIZE};
use crate::spec::identify::{AsciiField, IdentifyController, NamespaceIds};
use crate::spec::ns_sysfs::{nuse_of, nuse_refresh_due, uuid_attribute, SpacedHex, Uuid, Wwid};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::Ktime;

/// `NsIdentity::nuse_asked_ms` before any read asked the controller.
const NEVER: i64 = i64::MIN;

/// What a namespace's attributes show.
pub struct NsIdentity {
    nsid: u32,
    ids: NamespaceIds,
    vendor_id: u16,
    serial: AsciiField<20>,
    model: AsciiField<40>,
    /// Metadata bytes per block of the current format: a format change
    /// updates it.
    metadata_bytes: AtomicU32,
    /// Blocks in use (NUSE) as last identified: at the scan that found or
    /// updated the namespace, or by a read of `nuse` (C `head->nuse`).
    nuse: AtomicU64,
    /// When (monotonic milliseconds) a read of `nuse` last asked the
    /// controller, [`NEVER`] before the first (C `head->rs_nuse`).
    nuse_asked_ms: AtomicI64,
    /// The controller, which `nuse` asks.
    ctrl: Arc<Ctrl>,
    /// The disk's error log, for `passthru_err_log_enabled`.
    pub errors: Arc<ErrorLog>,
}

impl NsIdentity {
    /// The identity of `ns` on controller `ctrl`.
    pub fn new(ctrl: Arc<Ctrl>, ns: &Namespace, errors: Arc<ErrorLog>) -> Self {
        let id: &IdentifyController = &ctrl.id;
        NsIdentity {
            nsid: ns.nsid,
            ids: ns.ids,
            vendor_id: id.vendor_id,
            serial: id.serial,
            model: id.model,
            metadata_bytes: AtomicU32::new(ns.id.format.metadata_size.into()),
            nuse: AtomicU64::new(ns.id.used_blocks),
            nuse_asked_ms: AtomicI64::new(NEVER),
            ctrl,
            errors,
        }
    }

    /// A scan found the namespace as `ns` (reformatted, say): C's
    /// `nvme_update_ns_info_block` takes its metadata size and NUSE.
    pub fn set_format(&self, ns: &Namespace) {
        self.metadata_bytes
            .store(ns.id.format.metadata_size.into(), Ordering::Relaxed);
        self.nuse.store(ns.id.used_blocks, Ordering::Relaxed);
    }

    /// Reads NUSE from the controller again unless a read did within the
    /// last 5 seconds (C `ns_update_nuse`); of readers racing, one asks
    /// and the rest show what was there. The controller must be live:
    /// `EBUSY` while it is being reset; an NVMe status is `EIO`, as in C.
    fn refresh_nuse(&self) -> Result {
        let now = Ktime::ktime_get().to_ms();
        let last = self.nuse_asked_ms.load(Ordering::Relaxed);
        if !nuse_refresh_due((last != NEVER).then_some(last), now)
            || self
                .nuse_asked_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        let mut buf = KVec::from_elem(0u8, IDENTIFY_DATA_SIZE, GFP_KERNEL)?;
        self.ctrl.with_admin_live(|admin| {
            admin.execute_read(
                Command::identify(IdentifyCns::Namespace, self.nsid),
                &mut buf,
            )?;
            Ok(())
        })?;
        self.nuse
            .store(nuse_of(&buf).ok_or(EINVAL)?, Ordering::Relaxed);
        Ok(())
    }
}

fn wwid(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    let (serial, model) = (n.serial.trimmed(), n.model.trimmed());
    let wwid = Wwid {
        ids: &n.ids,
        vendor_id: n.vendor_id,
        serial: serial.as_bytes(),
        model: model.as_bytes(),
        nsid: n.nsid,
    };
    writeln!(out, "{wwid}")
}

fn uuid(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    match uuid_attribute(&n.ids) {
        Some(uuid) => writeln!(out, "{uuid}"),
        None => Err(fmt::Error),
    }
}

fn nguid(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    writeln!(out, "{}", Uuid(n.ids.nguid.as_ref().ok_or(fmt::Error)?))
}

fn eui(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    writeln!(
        out,
        "{}",
        SpacedHex(n.ids.eui64.as_ref().ok_or(fmt::Error)?)
    )
}

fn csi(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    writeln!(out, "{}", n.ids.csi.unwrap_or(0))
}

fn nsid(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    writeln!(out, "{}", n.nsid)
}

fn metadata_bytes(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> fmt::Result {
    writeln!(out, "{}", n.metadata_bytes.load(Ordering::Relaxed))
}

fn nuse(n: &NsIdentity, out: &mut SysfsBuf<'_>) -> Result {
    n.refresh_nuse()?;
    writeln!(out, "{}", n.nuse.load(Ordering::Relaxed)).map_err(|_| EINVAL)
}

/// The attributes, in C's order.
pub static NS_ATTRIBUTES: [DiskAttribute<NsIdentity>; 9] = [
    DiskAttribute::new(c_str!("wwid"), wwid),
    DiskAttribute::new(c_str!("uuid"), uuid).visible_if(|n| uuid_attribute(&n.ids).is_some()),
    DiskAttribute::new(c_str!("nguid"), nguid).visible_if(|n| n.ids.nguid.is_some()),
    DiskAttribute::new(c_str!("eui"), eui).visible_if(|n| n.ids.eui64.is_some()),
    DiskAttribute::new(c_str!("csi"), csi),
    DiskAttribute::new(c_str!("nsid"), nsid),
    DiskAttribute::new(c_str!("metadata_bytes"), metadata_bytes),
    DiskAttribute::fallible(c_str!("nuse"), nuse),
    DiskAttribute::read_write(
        c_str!("passthru_err_log_enabled"),
        |n, out| show_passthru_log(&n.errors, out),
        |n, input| store_passthru_log(&n.errors, input),
    ),
];
