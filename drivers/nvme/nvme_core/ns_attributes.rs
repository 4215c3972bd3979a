// SPDX-License-Identifier: GPL-2.0

//! A namespace disk's identity attributes in sysfs, as C's
//! `nvme_ns_attr_group`: `wwid`, `uuid`, `nguid`, `eui`, `csi`, `nsid` and
//! `metadata_bytes` under `/sys/block/nvmeXnY/`, and C's
//! `passthru_err_log_enabled` (whether failed I/O passthrough commands are
//! logged). `uuid`, `nguid` and `eui` are present only where the namespace
//! reports what they show.

use super::error_log::{show_passthru_log, store_passthru_log, ErrorLog};
use super::identify::Namespace;
use crate::kernel_ext::block::disk_attr::DiskAttribute;
use crate::kernel_ext::sysfs::SysfsBuf;
use crate::spec::identify::{AsciiField, IdentifyController, NamespaceIds};
use crate::spec::ns_sysfs::{uuid_attribute, SpacedHex, Uuid, Wwid};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::c_str;
use kernel::sync::Arc;

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
    /// The disk's error log, for `passthru_err_log_enabled`.
    pub errors: Arc<ErrorLog>,
}

impl NsIdentity {
    /// The identity of `ns` on the controller `id` describes.
    pub fn new(id: &IdentifyController, ns: &Namespace, errors: Arc<ErrorLog>) -> Self {
        NsIdentity {
            nsid: ns.nsid,
            ids: ns.ids,
            vendor_id: id.vendor_id,
            serial: id.serial,
            model: id.model,
            metadata_bytes: AtomicU32::new(ns.id.format.metadata_size.into()),
            errors,
        }
    }

    /// The namespace was reformatted as `ns` now is.
    pub fn set_format(&self, ns: &Namespace) {
        self.metadata_bytes
            .store(ns.id.format.metadata_size.into(), Ordering::Relaxed);
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

/// The attributes, in C's order.
pub static NS_ATTRIBUTES: [DiskAttribute<NsIdentity>; 8] = [
    DiskAttribute::new(c_str!("wwid"), wwid),
    DiskAttribute::new(c_str!("uuid"), uuid).visible_if(|n| uuid_attribute(&n.ids).is_some()),
    DiskAttribute::new(c_str!("nguid"), nguid).visible_if(|n| n.ids.nguid.is_some()),
    DiskAttribute::new(c_str!("eui"), eui).visible_if(|n| n.ids.eui64.is_some()),
    DiskAttribute::new(c_str!("csi"), csi),
    DiskAttribute::new(c_str!("nsid"), nsid),
    DiskAttribute::new(c_str!("metadata_bytes"), metadata_bytes),
    DiskAttribute::read_write(
        c_str!("passthru_err_log_enabled"),
        |n, out| show_passthru_log(&n.errors, out),
        |n, input| store_passthru_log(&n.errors, input),
    ),
];
