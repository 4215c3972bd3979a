// SPDX-License-Identifier: GPL-2.0

//! Identify the controller and its active namespaces, and log what was
//! found (C `nvme_init_identify`, `nvme_scan_ns_list` and
//! `nvme_identify_ns_descs`).

use super::admin::{AdminError, AdminQueue};
use super::instance::{Instance, Name};
use crate::kernel_ext::block::{integrity, zoned};
use crate::kernel_ext::device::Device;
use crate::kernel_ext::module_param::ParamBool;
use crate::spec::command::{Command, IdentifyCns, IDENTIFY_DATA_SIZE};
use crate::spec::effects::{Effects, LOG_ID as EFFECTS_LOG_ID, LOG_SIZE as EFFECTS_LOG_SIZE};
use crate::spec::format::{BlockAccess, Blocked, CommandSet, Format};
use crate::spec::identify::{
    active_namespaces, nvm_elbaf_pic, IdentifyController, IdentifyControllerNvm, IdentifyNamespace,
    NamespaceIds, NS_LIST_ENTRIES,
};
use crate::spec::integrity::{elbaf_guard, pi_at_start, Guard, Metadata};
use crate::spec::io::IoOpcode;
use crate::spec::quirks::{core_quirks, identify_cns_ok, Quirks};
use crate::spec::regs::{CommandSets, Version};
use crate::spec::zns::{
    identify_controller_zns, identify_namespace_zns, zasl, zone_info, ZoneInfo, ZoneRefusal,
    CSI_ZNS,
};
use crate::{dev_dbg, dev_err, dev_info, dev_warn};
use kernel::prelude::*;
use kernel::sync::{Arc, UniqueArc};

/// Module parameter `disable_pi_offsets` (C's `nvme_core` parameter of
/// that name, 0444): protection information that is not the first bytes
/// of the metadata is treated as none.
pub static DISABLE_PI_OFFSETS: ParamBool = ParamBool::new(false);

/// A namespace the controller reports as active.
pub struct Namespace {
    /// Namespace ID.
    pub nsid: u32,
    /// What Identify Namespace said of it.
    pub id: IdentifyNamespace,
    /// Its command set and identifiers, where the controller lists them.
    pub ids: NamespaceIds,
    /// Its format's Extended LBA Format and its PIC, where the controller
    /// has Extended LBA Formats and the format has metadata (C reads them
    /// in `nvme_update_ns_info_block`).
    pub elbaf_pic: Option<(u32, u8)>,
    /// Its zones, where it is a zoned namespace the driver makes a zoned
    /// disk of (the kernel has zoned block devices and C would take it).
    pub zones: Option<Zones>,
    /// The effects of its I/O commands where its command set is not NVM:
    /// that set's log (C `head->effects`); `None` for the controller's.
    pub io_effects: Option<Arc<Effects>>,
}

/// A zoned namespace's zones and its controller's Zone Append limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zones {
    /// Zone size and open and active limits.
    pub info: ZoneInfo,
    /// The ZNS Identify Controller's Zone Append Size Limit.
    pub zasl: u8,
    /// The ZNS effects log lists Zone Append: without it C makes the disk
    /// read-only, as every write to a zoned disk may come as one.
    pub append_supported: bool,
}

impl Namespace {
    /// The namespace's command set: NVM unless its descriptors say
    /// otherwise.
    pub fn command_set(&self) -> CommandSet {
        CommandSet::from_csi(self.ids.csi.unwrap_or(0))
    }

    /// Its format, with the guard of its Extended LBA Format where the
    /// controller has them.
    pub fn format(&self) -> Format {
        let guard = match self.elbaf_pic {
            Some((elbaf, pic)) => elbaf_guard(elbaf, pic),
            None => Some(Guard::Crc16),
        };
        let mut format = Format::of(&self.id).with_guard(guard);
        // C's `disable_pi_offsets`: PI not at the start counts as none.
        if DISABLE_PI_OFFSETS.get() && !pi_at_start(self.id.dps) {
            format.pi = None;
        }
        format
    }

    /// What block I/O its disk may carry, with pages of `1 << page_shift`
    /// bytes.
    pub fn block_access(&self, page_shift: u32) -> BlockAccess {
        let format = self.format();
        // A zoned namespace with zones to show is a disk as an NVM one is,
        // and zoned besides (C `nvme_update_ns_info_block`).
        let command_set = match self.command_set() {
            CommandSet::Zoned if self.zones.is_some() => CommandSet::Nvm,
            other => other,
        };
        // C's `nvme_configure_metadata` and `nvme_init_integrity` where
        // the kernel has integrity profiles.
        let integrity = if integrity::SUPPORTED {
            Metadata::of(
                format.metadata_size,
                format.extended,
                self.id.dps,
                self.elbaf_pic,
                DISABLE_PI_OFFSETS.get(),
            )
        } else {
            None
        };
        format.block_access(command_set, page_shift, integrity)
    }
}

/// How a controller's namespaces are identified (C
/// `nvme_identify_ns_descs`, `nvme_multi_css`).
#[derive(Clone, Copy, Debug)]
pub struct NamespaceScan {
    /// Read each namespace's Namespace Identification Descriptor list:
    /// NVMe 1.3 and later, or whenever command sets are reported.
    descriptors: bool,
    /// The controller was enabled with all its I/O command sets, so every
    /// namespace must report its own.
    all_command_sets: bool,
    /// The version the controller implements (VS), which decides what
    /// Identify Namespace reports of a namespace's identifiers.
    version: u32,
    /// The controller's quirks.
    quirks: Quirks,
}

impl NamespaceScan {
    /// The rules for a controller of `version` enabled with `command_sets`.
    pub fn new(version: Version, command_sets: CommandSets) -> Self {
        let all_command_sets = command_sets == CommandSets::All;
        NamespaceScan {
            descriptors: version.0 >= 0x0001_0300 || all_command_sets,
            all_command_sets,
            version: version.0,
            quirks: Quirks::NONE,
        }
    }

    /// The rules with the controller's `quirks` applied (C: no descriptor
    /// list with `NO_NS_DESC_LIST`, no identifiers with `BOGUS_NID`, a
    /// sequential scan where `IDENTIFY_CNS` says an NVMe 1.1 controller
    /// cannot list its namespaces).
    pub fn with_quirks(mut self, quirks: Quirks) -> Self {
        if quirks.has(Quirks::NO_NS_DESC_LIST) {
            self.descriptors = false;
        }
        self.quirks = quirks;
        self
    }

    /// The controller's quirks.
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }
}

/// What the controller said of itself and its namespaces.
pub struct ControllerInfo {
    /// Identify Controller.
    pub id: IdentifyController,
    /// Its NVM command set limits (none reported where it has no such
    /// Identify).
    pub nvm: IdentifyControllerNvm,
    /// Active namespaces in NSID order.
    pub namespaces: KVec<Namespace>,
    /// How its namespaces are identified, with every quirk it has (those
    /// Identify Controller matched too).
    pub scan: NamespaceScan,
}

/// Reads Identify Controller, the active namespace list and each
/// namespace's Identify Namespace and descriptors, logging each, for
/// controller `name` that `scan` says how to read.
pub fn identify(
    admin: &dyn AdminQueue,
    dev: &Device,
    name: &Instance,
    version: Version,
    scan: NamespaceScan,
) -> Result<KBox<ControllerInfo>> {
    let mut buf = KVec::from_elem(0u8, IDENTIFY_DATA_SIZE, GFP_KERNEL)?;

    admin.execute_read(Command::identify(IdentifyCns::Controller, 0), &mut buf)?;
    // Boxed here, so that probe's frames, which go on to call deep, do not
    // carry it. Making it still takes this frame two copies of Identify
    // Controller (the parse's result and the value moved into the box):
    // 1.8 KiB, most of what probe's deepest chain holds.
    let mut info = KBox::new(
        ControllerInfo {
            id: IdentifyController::parse(&buf).map_err(|_| EINVAL)?,
            nvm: IdentifyControllerNvm::default(),
            namespaces: KVec::new(),
            scan,
        },
        GFP_KERNEL,
    )?;
    let id = &info.id;
    info.scan = scan.with_quirks(
        scan.quirks() | core_quirks(id.vendor_id, id.model.as_bytes(), id.firmware.as_bytes()),
    );
    info.nvm = nvm_limits(admin, info.scan, &mut buf)?;
    let id = &info.id;
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

    info.namespaces = identify_namespaces(admin, dev, name.name(), &info.id, info.scan, &mut buf)?;
    for ns in info.namespaces.iter() {
        log_namespace(dev, name.name(), ns);
    }
    Ok(info)
}

/// The NVM command set specific Identify Controller (C
/// `nvme_init_non_mdts_limits`), where the controller takes CNS 06h; a
/// controller that refuses it reports no limits.
fn nvm_limits(
    admin: &dyn AdminQueue,
    scan: NamespaceScan,
    buf: &mut KVec<u8>,
) -> Result<IdentifyControllerNvm> {
    if !identify_cns_ok(
        scan.version,
        scan.quirks,
        IdentifyCns::CommandSetController as u8,
    ) {
        return Ok(IdentifyControllerNvm::default());
    }
    match admin.execute_read(Command::identify(IdentifyCns::CommandSetController, 0), buf) {
        Ok(_) => IdentifyControllerNvm::parse(buf).map_err(|_| EINVAL),
        Err(AdminError::Status(_)) => Ok(IdentifyControllerNvm::default()),
        Err(err) => Err(err.into()),
    }
}

/// Reads the active namespace list and each namespace's descriptors and
/// Identify Namespace into `buf`; logs the active count and the namespaces
/// this driver cannot use, which are left out.
pub fn identify_namespaces(
    admin: &dyn AdminQueue,
    dev: &Device,
    name: Name,
    id: &IdentifyController,
    scan: NamespaceScan,
    buf: &mut KVec<u8>,
) -> Result<KVec<Namespace>> {
    // CNS 02h: the Active Namespace ID list.
    let sequential = !identify_cns_ok(scan.version, scan.quirks, 2);
    let nsids = active_nsids(admin, buf, id, sequential)?;
    dev_info!(dev, "{}: {} active namespaces\n", name, nsids.len());

    let mut namespaces = KVec::with_capacity(nsids.len(), GFP_KERNEL)?;
    // Each command set's effects log is read once per scan.
    let mut set_effects: Option<(u8, Arc<Effects>)> = None;
    for &nsid in nsids.iter() {
        // A namespace this driver cannot use must not keep the rest away.
        let Some(mut ids) = namespace_ids(admin, dev, name, nsid, scan, buf)? else {
            continue;
        };
        admin.execute_read(Command::identify(IdentifyCns::Namespace, nsid), buf)?;
        match IdentifyNamespace::parse(buf) {
            Ok(Some(ns)) => {
                if scan.quirks.has(Quirks::BOGUS_NID) {
                    // C keeps only the command set.
                    ids = NamespaceIds {
                        csi: ids.csi,
                        ..NamespaceIds::default()
                    };
                } else {
                    ids.complete_from(&ns, scan.version);
                }
                let elbaf_pic = if id.extended_lba_formats() && ns.format.metadata_size != 0 {
                    match nvm_guard_fields(admin, nsid, ns.format_index, buf) {
                        Ok(fields) => fields,
                        Err(err) => {
                            // C leaves the namespace out where the read
                            // fails (not where the controller refuses it).
                            dev_err!(
                                dev,
                                "{}n{}: NVM Identify Namespace: {:?}\n",
                                name,
                                nsid,
                                err
                            );
                            continue;
                        }
                    }
                } else {
                    None
                };
                // As C's nvme_init_ns_head: a namespace whose command set's
                // log cannot be read is left out.
                let io_effects = match ids.csi.filter(|&csi| csi != 0) {
                    Some(csi) => match command_set_effects(admin, csi, &mut set_effects, buf) {
                        Ok(effects) => Some(effects),
                        Err(err) => {
                            dev_err!(
                                dev,
                                "{}n{}: effects log of command set {}: {:?}\n",
                                name,
                                nsid,
                                csi,
                                err
                            );
                            continue;
                        }
                    },
                    None => None,
                };
                let zones = if zoned::SUPPORTED && ids.csi == Some(CSI_ZNS) {
                    let append_supported = io_effects
                        .as_ref()
                        .is_some_and(|fx| fx.io_supported(IoOpcode::ZoneAppend as u8));
                    if !append_supported {
                        dev_warn!(
                            dev,
                            "{}: Zone Append not supported for zoned namespace:{}. Forcing to read-only mode\n",
                            name,
                            nsid
                        );
                    }
                    match zone_geometry(
                        admin,
                        dev,
                        name,
                        nsid,
                        ns.format_index,
                        append_supported,
                        buf,
                    ) {
                        Ok(zones) => zones,
                        Err(err) => {
                            dev_err!(dev, "{}n{}: ZNS Identify: {:?}\n", name, nsid, err);
                            continue;
                        }
                    }
                } else {
                    None
                };
                namespaces.push(
                    Namespace {
                        nsid,
                        id: ns,
                        ids,
                        elbaf_pic,
                        zones,
                        io_effects,
                    },
                    GFP_KERNEL,
                )?
            }
            // Inactive: detached since the list was read, or skipped by the
            // sequential scan of older controllers.
            Ok(None) => dev_dbg!(dev, "{}n{}: inactive\n", name, nsid),
            Err(err) => dev_err!(dev, "{}n{}: unsupported format: {:?}\n", name, nsid, err),
        }
    }
    Ok(namespaces)
}

/// The effects log of command set `csi` (C `nvme_get_effects_log`),
/// read into `buf` once and kept in `cached` for the rest of the scan.
fn command_set_effects(
    admin: &dyn AdminQueue,
    csi: u8,
    cached: &mut Option<(u8, Arc<Effects>)>,
    buf: &mut KVec<u8>,
) -> Result<Arc<Effects>> {
    if let Some((_, effects)) = cached.as_ref().filter(|(set, _)| *set == csi) {
        return Ok(effects.clone());
    }
    // The scan's Identify buffer holds the log exactly.
    const { assert!(EFFECTS_LOG_SIZE == IDENTIFY_DATA_SIZE) };
    admin.execute_read(
        Command::get_log_page(EFFECTS_LOG_ID, EFFECTS_LOG_SIZE as u32).for_command_set(csi),
        buf,
    )?;
    // Filled where it is kept: too large to build on the stack and move.
    let mut effects = UniqueArc::new(Effects::EMPTY, GFP_KERNEL)?;
    if !effects.read_command_set_log(buf) {
        return Err(EINVAL);
    }
    let effects: Arc<Effects> = effects.into();
    *cached = Some((csi, effects.clone()));
    Ok(effects)
}

/// Zoned namespace `nsid`'s zones (formatted with LBA format
/// `format_index`) and its controller's Zone Append limit, from the ZNS
/// Identify Controller and Namespace (C `nvme_query_zone_info`), with
/// whether its command set's effects log lists Zone Append. `None`,
/// logged as C logs it, where C refuses the zones: the namespace then has
/// only its generic node. Also `None` where the controller refuses either
/// Identify: C 6.12.118 then gives the namespace a disk without zones,
/// which takes no write a zoned namespace accepts.
fn zone_geometry(
    admin: &dyn AdminQueue,
    dev: &Device,
    name: Name,
    nsid: u32,
    format_index: u8,
    append_supported: bool,
    buf: &mut KVec<u8>,
) -> Result<Option<Zones>, AdminError> {
    let read = |cmd, buf: &mut KVec<u8>| match admin.execute_read(cmd, buf) {
        Ok(_) => Ok(true),
        Err(AdminError::Status(_)) => Ok(false),
        Err(err) => Err(err),
    };
    if !read(identify_controller_zns(), buf)? {
        return Ok(None);
    }
    let Ok(id_ctrl) = <&[u8; IDENTIFY_DATA_SIZE]>::try_from(&buf[..]) else {
        return Ok(None);
    };
    let zasl = zasl(id_ctrl);
    if !read(identify_namespace_zns(nsid), buf)? {
        return Ok(None);
    }
    let Ok(id_ns) = <&[u8; IDENTIFY_DATA_SIZE]>::try_from(&buf[..]) else {
        return Ok(None);
    };
    match zone_info(id_ns, usize::from(format_index)) {
        Ok(info) => Ok(Some(Zones {
            info,
            zasl,
            append_supported,
        })),
        Err(ZoneRefusal::ZoneOperations(zoc)) => {
            dev_warn!(
                dev,
                "{}n{}: zone operations:{:x} not supported for namespace:{}\n",
                name,
                nsid,
                zoc,
                nsid
            );
            Ok(None)
        }
        Err(ZoneRefusal::ZoneSize(size)) => {
            dev_warn!(
                dev,
                "{}n{}: invalid zone size: {} for namespace: {}\n",
                name,
                nsid,
                size,
                nsid
            );
            Ok(None)
        }
    }
}

/// Namespace `nsid`'s Extended LBA Format `format_index` and PIC, from
/// the NVM command set Identify Namespace (C `nvme_identify_ns_nvm`);
/// `None` where the controller refuses the command (C then takes the
/// 16-bit guard), an error where it could not be sent.
fn nvm_guard_fields(
    admin: &dyn AdminQueue,
    nsid: u32,
    format_index: u8,
    buf: &mut KVec<u8>,
) -> Result<Option<(u32, u8)>, AdminError> {
    match admin.execute_read(
        Command::identify(IdentifyCns::CommandSetNamespace, nsid),
        buf,
    ) {
        Ok(_) => Ok(nvm_elbaf_pic(buf, format_index).ok()),
        Err(AdminError::Status(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Namespace `nsid`'s descriptors, where `scan` says to read them, else
/// none (an NVM namespace); `None` for a namespace to leave out, as C's
/// `nvme_scan_ns` leaves it: the list could not be read, or it names no
/// command set when every namespace must, or a command set other than NVM
/// when the controller was enabled for NVM only.
fn namespace_ids(
    admin: &dyn AdminQueue,
    dev: &Device,
    name: Name,
    nsid: u32,
    scan: NamespaceScan,
    buf: &mut KVec<u8>,
) -> Result<Option<NamespaceIds>> {
    if !scan.descriptors {
        return Ok(Some(NamespaceIds::default()));
    }
    let cmd = Command::identify(IdentifyCns::NamespaceDescriptors, nsid);
    let ids = match admin.execute_read(cmd, buf) {
        Ok(_) => NamespaceIds::parse(buf).map_err(|_| EINVAL),
        Err(AdminError::Status(status)) => {
            dev_warn!(
                dev,
                "{}n{}: Identify Descriptors failed: {:?}\n",
                name,
                nsid,
                status
            );
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    let ids = match ids {
        Ok(ids) if ids.csi.is_some() || !scan.all_command_sets => ids,
        _ => {
            dev_warn!(dev, "{}n{}: command set not reported\n", name, nsid);
            return Ok(None);
        }
    };
    if ids.csi.is_some_and(|csi| csi != 0) && !scan.all_command_sets {
        dev_warn!(dev, "{}n{}: command set not enabled\n", name, nsid);
        return Ok(None);
    }
    Ok(Some(ids))
}

/// Logs a namespace's size and format, and what its disk can do where that
/// is less than block I/O of data.
pub fn log_namespace(dev: &Device, name: Name, ns: &Namespace) {
    dev_info!(
        dev,
        "{}n{}: {} blocks of {} bytes ({} bytes), LBA format {}, {} bytes of metadata{}\n",
        name,
        ns.nsid,
        ns.id.size_blocks,
        ns.id.block_size(),
        ns.id.size_bytes(),
        ns.id.format_index,
        ns.id.format.metadata_size,
        if ns.id.extended_lba && ns.id.format.metadata_size != 0 {
            " (interleaved)"
        } else {
            ""
        }
    );
    if let Some(z) = ns.zones {
        dev_info!(
            dev,
            "{}n{}: zoned, zones of {} blocks, at most {} open and {} active (0: no limit)\n",
            name,
            ns.nsid,
            z.info.zone_blocks,
            z.info.max_open,
            z.info.max_active
        );
    }
    match ns.block_access(kernel::page::PAGE_SHIFT as u32) {
        BlockAccess::Data => {}
        BlockAccess::ControllerPi(pi) => dev_info!(
            dev,
            "{}n{}: protection information {:?}, generated and checked by the controller (PRACT)\n",
            name,
            ns.nsid,
            pi
        ),
        BlockAccess::Integrity { profile, pi, .. } => dev_info!(
            dev,
            "{}n{}: metadata in the block layer's integrity buffers, {} bytes per block, protection information {:?} (guard {:?})\n",
            name,
            ns.nsid,
            profile.tuple_size,
            pi,
            profile.checksum
        ),
        BlockAccess::Blocked(Blocked::Metadata) => dev_info!(
            dev,
            "{}n{}: no block I/O (capacity 0): its metadata needs buffers this driver does not map\n",
            name,
            ns.nsid
        ),
        BlockAccess::Blocked(Blocked::BlockSize) => dev_info!(
            dev,
            "{}n{}: no block I/O (capacity 0): block size beyond the page size\n",
            name,
            ns.nsid
        ),
        BlockAccess::Hidden(set) => dev_info!(
            dev,
            "{}n{}: no block device for command set {}; generic node only\n",
            name,
            ns.nsid,
            set.csi()
        ),
    }
}

/// The active NSIDs: from the Active Namespace ID list, fetched in pages
/// of 1024, else (and where the controller cannot list them, `sequential`)
/// every NSID up to NN.
pub fn active_nsids(
    admin: &dyn AdminQueue,
    buf: &mut KVec<u8>,
    id: &IdentifyController,
    sequential: bool,
) -> Result<KVec<u32>> {
    let mut nsids = KVec::new();
    if sequential {
        for nsid in 1..=id.namespace_count {
            nsids.push(nsid, GFP_KERNEL)?;
        }
        return Ok(nsids);
    }
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
