// SPDX-License-Identifier: GPL-2.0

//! Identify the controller and its active namespaces, and log what was
//! found (C `nvme_init_identify` and `nvme_scan_ns_list`).

use super::admin::{AdminError, AdminQueue};
use super::instance::{Instance, Name};
use crate::kernel_ext::device::Device;
use crate::spec::command::{Command, IdentifyCns, IDENTIFY_DATA_SIZE};
use crate::spec::identify::{
    active_namespaces, IdentifyController, IdentifyNamespace, NS_LIST_ENTRIES,
};
use crate::spec::regs::Version;
use crate::{dev_dbg, dev_err, dev_info};
use kernel::prelude::*;

/// A namespace the controller reports as active.
pub struct Namespace {
    /// Namespace ID.
    pub nsid: u32,
    /// What Identify Namespace said of it.
    pub id: IdentifyNamespace,
}

/// What the controller said of itself and its namespaces.
pub struct ControllerInfo {
    /// Identify Controller.
    pub id: IdentifyController,
    /// Active namespaces in NSID order.
    pub namespaces: KVec<Namespace>,
}

/// Reads Identify Controller, the active namespace list and each
/// namespace's Identify Namespace, logging each, for controller `name`
/// whose Version register reads `version`.
pub fn identify<Q: AdminQueue>(
    admin: &Q,
    dev: &Device,
    name: &Instance,
    version: Version,
) -> Result<ControllerInfo> {
    const { assert!(Q::MAX_DATA >= IDENTIFY_DATA_SIZE) };
    let mut buf = KVec::from_elem(0u8, IDENTIFY_DATA_SIZE, GFP_KERNEL)?;

    admin.execute_read(Command::identify(IdentifyCns::Controller, 0), &mut buf)?;
    let id = IdentifyController::parse(&buf).map_err(|_| EINVAL)?;
    dev_info!(
        dev,
        "{}: model \"{}\", serial \"{}\", firmware \"{}\", NVMe {}.{}.{}\n",
        name,
        id.model.trimmed(),
        id.serial.trimmed(),
        id.firmware.trimmed(),
        version.major(),
        version.minor(),
        version.tertiary()
    );

    let namespaces = identify_namespaces(admin, dev, name.name(), &id, &mut buf)?;
    for ns in namespaces.iter() {
        log_namespace(dev, name.name(), ns);
    }
    Ok(ControllerInfo { id, namespaces })
}

/// Reads the active namespace list and each namespace's Identify
/// Namespace into `buf`; logs the active count and the namespaces this
/// driver cannot use, which are left out.
pub fn identify_namespaces<Q: AdminQueue>(
    admin: &Q,
    dev: &Device,
    name: Name,
    id: &IdentifyController,
    buf: &mut KVec<u8>,
) -> Result<KVec<Namespace>> {
    let nsids = active_nsids(admin, buf, id)?;
    dev_info!(dev, "{}: {} active namespaces\n", name, nsids.len());

    let mut namespaces = KVec::with_capacity(nsids.len(), GFP_KERNEL)?;
    for &nsid in nsids.iter() {
        admin.execute_read(Command::identify(IdentifyCns::Namespace, nsid), buf)?;
        match IdentifyNamespace::parse(buf) {
            Ok(Some(ns)) => namespaces.push(Namespace { nsid, id: ns }, GFP_KERNEL)?,
            // Inactive: detached since the list was read, or skipped by the
            // sequential scan of older controllers.
            Ok(None) => dev_dbg!(dev, "{}n{}: inactive\n", name, nsid),
            // A namespace this driver cannot use must not keep the rest away.
            Err(err) => dev_err!(dev, "{}n{}: unsupported format: {:?}\n", name, nsid, err),
        }
    }
    Ok(namespaces)
}

/// Logs a namespace's size and format.
pub fn log_namespace(dev: &Device, name: Name, ns: &Namespace) {
    dev_info!(
        dev,
        "{}n{}: {} blocks of {} bytes ({} bytes), LBA format {}\n",
        name,
        ns.nsid,
        ns.id.size_blocks,
        ns.id.block_size(),
        ns.id.size_bytes(),
        ns.id.format_index
    );
}

/// The active NSIDs: from the Active Namespace ID list (NVMe 1.1 and
/// later), fetched in pages of 1024, else every NSID up to NN.
pub fn active_nsids<Q: AdminQueue>(
    admin: &Q,
    buf: &mut KVec<u8>,
    id: &IdentifyController,
) -> Result<KVec<u32>> {
    let mut nsids = KVec::new();
    let mut after = 0u32;
    loop {
        let cmd = Command::identify(IdentifyCns::ActiveNamespaces, after);
        match admin.execute_read(cmd, buf) {
            Ok(_) => {}
            // Controllers before 1.1 reject CNS 2: fall back to a sequential
            // scan as the C driver does. Everything else is an error.
            Err(AdminError::Status(_)) if after == 0 => {
                for nsid in 1..=id.namespace_count {
                    nsids.push(nsid, GFP_KERNEL)?;
                }
                return Ok(nsids);
            }
            Err(err) => return Err(err.into()),
        }
        let page_start = nsids.len();
        for nsid in active_namespaces(buf).map_err(|_| EINVAL)? {
            // The list is ascending; anything else means a confused device,
            // and trusting it could loop forever.
            if nsid <= after {
                return Err(EINVAL);
            }
            nsids.push(nsid, GFP_KERNEL)?;
            after = nsid;
        }
        if nsids.len() - page_start < NS_LIST_ENTRIES {
            return Ok(nsids);
        }
    }
}
