// SPDX-License-Identifier: GPL-2.0

//! The Zoned Namespace command set (NVMe ZNS 1.1, CSI 2) as C 6.12's
//! `zns.c` uses it: the command set specific Identify data that gives a
//! zoned disk its limits, the Zone Management Receive report that feeds
//! `blkdev_report_zones`, and the Zone Management Send and Zone Append
//! commands the block layer's zone operations become.
//!
//! Only the wire formats and the decisions are here; `nvme_core` makes the
//! zoned disk (`nvme_core::zoned`).

use super::command::{Command, IdentifyCns, IDENTIFY_DATA_SIZE};
use super::identify::{le16, le32, le64};

/// The Zoned Namespace command set's identifier (CSI).
pub const CSI_ZNS: u8 = 2;

/// Zone Management Send.
pub const OPC_ZONE_MGMT_SEND: u8 = 0x79;
/// Zone Management Receive.
pub const OPC_ZONE_MGMT_RECV: u8 = 0x7a;
/// Zone Append: a write at the zone's write pointer, whose completion says
/// where it went.
pub const OPC_ZONE_APPEND: u8 = 0x7d;

/// Identify of the ZNS command set's structure `cns` selects: the command
/// set in CDW11 bits 31:24, as C's `NVME_ID_CNS_CS_*` queries.
fn identify_zns(cns: IdentifyCns, nsid: u32) -> Command {
    Command::identify(cns, nsid).with_cdw::<11>((CSI_ZNS as u32) << 24)
}

/// Identify, the ZNS command set specific Identify Controller.
pub fn identify_controller_zns() -> Command {
    identify_zns(IdentifyCns::CommandSetController, 0)
}

/// Identify, the ZNS command set specific Identify Namespace of `nsid`.
pub fn identify_namespace_zns(nsid: u32) -> Command {
    identify_zns(IdentifyCns::CommandSetNamespace, nsid)
}

/// The Zone Append Size Limit (ZASL) of the ZNS Identify Controller.
pub fn zasl(id_ctrl_zns: &[u8; IDENTIFY_DATA_SIZE]) -> u8 {
    id_ctrl_zns[0]
}

/// The largest Zone Append in 512-byte sectors, from the ZNS Identify
/// Controller's ZASL (a power of two in 4 KiB units; 0: the controller's
/// transfer limit), as C's `nvme_set_max_append`.
pub fn max_zone_append_sectors(zasl: u8, max_hw_sectors: u32) -> u32 {
    match zasl {
        0 => max_hw_sectors,
        // 1 << (zasl + 3) in C's unsigned int: a ZASL of 29 or more is
        // already beyond any transfer, so it saturates.
        zasl => 1u32.checked_shl(u32::from(zasl) + 3).unwrap_or(u32::MAX),
    }
}

/// What a zoned namespace's disk is limited to (C's `nvme_zone_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneInfo {
    /// Blocks in a zone, a power of two.
    pub zone_blocks: u64,
    /// Zones that may be open at once; 0: no limit.
    pub max_open: u32,
    /// Zones that may be active at once; 0: no limit.
    pub max_active: u32,
}

/// Why a zoned namespace gets no disk, as C's `nvme_query_zone_info`
/// refuses it (`ENODEV`), with the value it logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneRefusal {
    /// Zone operation characteristics C does not handle ("zone
    /// operations:%x not supported").
    ZoneOperations(u16),
    /// A zone size that is not a power of two ("invalid zone size").
    ZoneSize(u64),
}

/// Offset of the LBA Format Extensions in the ZNS Identify Namespace.
const LBAFE_OFFSET: usize = 2816;
/// Bytes of one LBA Format Extension (ZSZE, ZDES, reserved).
const LBAFE_SIZE: usize = 16;
/// LBA Format Extensions there are, one per LBA format.
const LBAFE_COUNT: usize = 64;

/// The zone limits of a namespace formatted with LBA format `lbaf`, from
/// its ZNS Identify Namespace, as C's `nvme_query_zone_info`: refused
/// where ZOC asks for anything, or the zone size is not a power of two.
/// MOR and MAR are 0's based, and their all-ones "no limit" becomes 0,
/// the block layer's "no limit", by C's unsigned wrap.
pub fn zone_info(
    id_ns_zns: &[u8; IDENTIFY_DATA_SIZE],
    lbaf: usize,
) -> Result<ZoneInfo, ZoneRefusal> {
    let zoc = le16(id_ns_zns, 0);
    if zoc != 0 {
        return Err(ZoneRefusal::ZoneOperations(zoc));
    }
    let zone_blocks = if lbaf < LBAFE_COUNT {
        le64(id_ns_zns, LBAFE_OFFSET + lbaf * LBAFE_SIZE)
    } else {
        0
    };
    if !zone_blocks.is_power_of_two() {
        return Err(ZoneRefusal::ZoneSize(zone_blocks));
    }
    Ok(ZoneInfo {
        zone_blocks,
        max_open: le32(id_ns_zns, 8).wrapping_add(1),
        max_active: le32(id_ns_zns, 4).wrapping_add(1),
    })
}

/// CDW12 bit 25 of a Zone Append with PI: the reference tags are remapped
/// to the LBAs written (C `NVME_RW_APPEND_PIREMAP`).
pub const APPEND_PIREMAP: u32 = 1 << 25;

/// Zone Send Actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ZoneAction {
    /// Close the zone (`REQ_OP_ZONE_CLOSE`).
    Close = 1,
    /// Make the zone full (`REQ_OP_ZONE_FINISH`).
    Finish = 2,
    /// Open the zone explicitly (`REQ_OP_ZONE_OPEN`).
    Open = 3,
    /// Reset the zone's write pointer (`REQ_OP_ZONE_RESET`, and with every
    /// zone selected `REQ_OP_ZONE_RESET_ALL`).
    Reset = 4,
}

/// Zone Management Send `action` on the zone starting at `slba`, or on
/// every zone with `all` (C's `nvme_setup_zone_mgmt_send`).
pub fn zone_mgmt_send(nsid: u32, slba: u64, action: ZoneAction, all: bool) -> Command {
    Command::new(OPC_ZONE_MGMT_SEND)
        .with_nsid(nsid)
        .with_cdw::<10>(slba as u32)
        .with_cdw::<11>((slba >> 32) as u32)
        .with_cdw::<13>(action as u32 | (all as u32) << 8)
}

/// Bytes of the report header, and of each zone descriptor after it.
pub const ZONE_REPORT_HEADER: usize = 64;
/// Bytes of a zone descriptor.
pub const ZONE_DESCRIPTOR_SIZE: usize = 64;

/// Zone Management Receive of a report of every zone from the one
/// starting at `slba` on, into `bytes` bytes (a multiple of 4), with
/// Partial Report set so the header counts only the zones that fit, as
/// C's `nvme_ns_report_zones` asks.
pub fn zone_report(nsid: u32, slba: u64, bytes: u32) -> Command {
    /// ZRA 0: Report Zones; ZRASF 0: all zones; bit 16: Partial Report.
    const REPORT_ALL_PARTIAL: u32 = 1 << 16;
    Command::new(OPC_ZONE_MGMT_RECV)
        .with_nsid(nsid)
        .with_cdw::<10>(slba as u32)
        .with_cdw::<11>((slba >> 32) as u32)
        .with_cdw::<12>((bytes / 4).saturating_sub(1))
        .with_cdw::<13>(REPORT_ALL_PARTIAL)
}

/// The size of the report buffer for up to `nr_zones` zones of a disk of
/// `disk_zones` zones, within one request's limits, as C's
/// `nvme_zns_alloc_report_buffer` sizes it before it tries to allocate
/// (halving from there while allocation fails); `None` where not even
/// one zone fits.
pub fn report_buffer_bytes(
    nr_zones: u32,
    disk_zones: u64,
    max_hw_bytes: usize,
    max_segments: usize,
    page_size: usize,
) -> Option<usize> {
    let zones = u64::from(nr_zones).min(disk_zones) as usize;
    let bytes = (ZONE_REPORT_HEADER + zones * ZONE_DESCRIPTOR_SIZE)
        .min(max_hw_bytes)
        .min(max_segments * page_size);
    (bytes >= ZONE_REPORT_HEADER + ZONE_DESCRIPTOR_SIZE).then_some(bytes)
}

/// How many zones a report says it holds (its header's count; C caps it
/// by what fits in the buffer and what was asked for).
pub fn reported_zones(report: &[u8]) -> u64 {
    if report.len() < ZONE_REPORT_HEADER {
        return 0;
    }
    le64(report, 0)
}

/// The only zone type ZNS has: sequential write required.
const ZONE_TYPE_SEQWRITE_REQ: u8 = 2;
/// The block layer's condition of a full zone (`BLK_ZONE_COND_FULL`).
const ZONE_COND_FULL: u8 = 0xe;

/// A zone as the block layer's `struct blk_zone` describes it, in
/// 512-byte sectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone {
    /// First sector.
    pub start: u64,
    /// Sectors in the zone: the namespace's zone size.
    pub len: u64,
    /// Sectors that may be written (ZCAP).
    pub capacity: u64,
    /// The write pointer; the zone's end where it is full.
    pub wp: u64,
    /// The zone state (`BLK_ZONE_COND_*`, the same values as ZNS's).
    pub cond: u8,
}

/// A zone descriptor whose type is not sequential write required, which
/// C refuses ("invalid zone type", `EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidZoneType(pub u8);

/// Zone descriptor `index` of a report, as C's `nvme_zone_parse_entry`
/// turns it into a `blk_zone`, for a namespace of `1 << lba_shift`-byte
/// blocks and `zone_sectors`-sector zones. `None` past the buffer.
pub fn zone_at(
    report: &[u8],
    index: usize,
    lba_shift: u32,
    zone_sectors: u64,
) -> Option<Result<Zone, InvalidZoneType>> {
    let at = ZONE_REPORT_HEADER + index * ZONE_DESCRIPTOR_SIZE;
    let d = report.get(at..at + ZONE_DESCRIPTOR_SIZE)?;
    let zone_type = d[0];
    if zone_type & 0xf != ZONE_TYPE_SEQWRITE_REQ {
        return Some(Err(InvalidZoneType(zone_type)));
    }
    let to_sectors = |lba: u64| lba << (lba_shift - 9);
    let cond = d[1] >> 4;
    let start = to_sectors(le64(d, 16));
    Some(Ok(Zone {
        start,
        len: zone_sectors,
        capacity: to_sectors(le64(d, 8)),
        wp: if cond == ZONE_COND_FULL {
            start + zone_sectors
        } else {
            to_sectors(le64(d, 24))
        },
        cond,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dword(c: &Command, n: usize) -> u32 {
        c.dword(n)
    }

    #[test]
    fn identify_commands_carry_the_zns_csi() {
        let c = identify_controller_zns();
        assert_eq!(c.opcode(), 0x06);
        assert_eq!(dword(&c, 10), 6);
        assert_eq!(dword(&c, 11), 2 << 24);
        let n = identify_namespace_zns(3);
        assert_eq!(n.nsid(), 3);
        assert_eq!(dword(&n, 10), 5);
        assert_eq!(dword(&n, 11), 2 << 24);
    }

    #[test]
    fn zone_append_limit_as_c() {
        let mut id = [0u8; IDENTIFY_DATA_SIZE];
        assert_eq!(max_zone_append_sectors(zasl(&id), 1024), 1024);
        // QEMU's default zasl=0; zasl=5: 128 KiB, 256 sectors.
        id[0] = 5;
        assert_eq!(max_zone_append_sectors(zasl(&id), 1024), 256);
        assert_eq!(max_zone_append_sectors(1, 1024), 16);
        assert_eq!(max_zone_append_sectors(40, 1024), u32::MAX);
    }

    fn id_ns(zoc: u16, mar: u32, mor: u32, lbaf: usize, zsze: u64) -> [u8; IDENTIFY_DATA_SIZE] {
        let mut id = [0u8; IDENTIFY_DATA_SIZE];
        id[0..2].copy_from_slice(&zoc.to_le_bytes());
        id[4..8].copy_from_slice(&mar.to_le_bytes());
        id[8..12].copy_from_slice(&mor.to_le_bytes());
        let at = LBAFE_OFFSET + lbaf * LBAFE_SIZE;
        id[at..at + 8].copy_from_slice(&zsze.to_le_bytes());
        id
    }

    #[test]
    fn zone_info_as_c() {
        // QEMU: zone size 128 MiB in 4 KiB blocks, max open/active
        // unlimited (0xffffffff).
        let id = id_ns(0, u32::MAX, u32::MAX, 4, 32768);
        assert_eq!(
            zone_info(&id, 4),
            Ok(ZoneInfo {
                zone_blocks: 32768,
                max_open: 0,
                max_active: 0
            })
        );
        // 0's based limits.
        let id = id_ns(0, 13, 11, 0, 1 << 16);
        assert_eq!(
            zone_info(&id, 0),
            Ok(ZoneInfo {
                zone_blocks: 1 << 16,
                max_open: 12,
                max_active: 14
            })
        );
        // The zone size of another format does not count.
        assert_eq!(zone_info(&id, 1), Err(ZoneRefusal::ZoneSize(0)));
        assert_eq!(
            zone_info(&id_ns(0, 0, 0, 0, 3 << 10), 0),
            Err(ZoneRefusal::ZoneSize(3 << 10))
        );
        assert_eq!(
            zone_info(&id_ns(1, 0, 0, 0, 1 << 10), 0),
            Err(ZoneRefusal::ZoneOperations(1))
        );
        assert_eq!(zone_info(&id, 64), Err(ZoneRefusal::ZoneSize(0)));
    }

    #[test]
    fn zone_management_commands() {
        let c = zone_mgmt_send(1, 0x1_0000_8000, ZoneAction::Reset, false);
        assert_eq!(c.opcode(), 0x79);
        assert_eq!(c.nsid(), 1);
        assert_eq!(
            (dword(&c, 10), dword(&c, 11), dword(&c, 13)),
            (0x8000, 1, 4)
        );
        let all = zone_mgmt_send(2, 0, ZoneAction::Reset, true);
        assert_eq!(dword(&all, 13), 4 | 1 << 8);
        for (a, v) in [
            (ZoneAction::Close, 1),
            (ZoneAction::Finish, 2),
            (ZoneAction::Open, 3),
        ] {
            assert_eq!(dword(&zone_mgmt_send(1, 0, a, false), 13), v);
        }
        let r = zone_report(1, 0x2_0000_0010, 4096);
        assert_eq!(r.opcode(), 0x7a);
        assert_eq!((dword(&r, 10), dword(&r, 11)), (0x10, 2));
        assert_eq!(dword(&r, 12), 1023);
        assert_eq!(dword(&r, 13), 1 << 16);
    }

    #[test]
    fn report_buffer_as_c() {
        // 16 zones wanted on a disk of 8: header and 8 descriptors.
        assert_eq!(
            report_buffer_bytes(16, 8, 1 << 20, 128, 4096),
            Some(64 + 8 * 64)
        );
        // Bounded by the transfer limit and the segments.
        assert_eq!(
            report_buffer_bytes(1 << 20, 1 << 20, 128 << 10, 128, 4096),
            Some(128 << 10)
        );
        assert_eq!(
            report_buffer_bytes(1 << 20, 1 << 20, 1 << 20, 2, 4096),
            Some(8192)
        );
        // Not one zone fits, or none is asked for.
        assert_eq!(report_buffer_bytes(4, 4, 100, 128, 4096), None);
        assert_eq!(report_buffer_bytes(0, 4, 1 << 20, 128, 4096), None);
    }

    fn descriptor(zt: u8, zs: u8, zcap: u64, zslba: u64, wp: u64) -> [u8; 64] {
        let mut d = [0u8; 64];
        d[0] = zt;
        d[1] = zs;
        d[8..16].copy_from_slice(&zcap.to_le_bytes());
        d[16..24].copy_from_slice(&zslba.to_le_bytes());
        d[24..32].copy_from_slice(&wp.to_le_bytes());
        d
    }

    #[test]
    fn zones_parse_as_c() {
        let mut report = vec![0u8; 64];
        report[0..8].copy_from_slice(&3u64.to_le_bytes());
        // 4 KiB blocks, zones of 256 blocks (2048 sectors), capacity 200.
        report.extend(descriptor(2, 0x1 << 4, 200, 0, 0)); // empty
        report.extend(descriptor(2, 0x2 << 4, 200, 256, 300)); // implicitly open
        report.extend(descriptor(2, 0xe << 4, 200, 512, 0)); // full: wp ignored
        assert_eq!(reported_zones(&report), 3);
        let zone = |i| zone_at(&report, i, 12, 2048);
        assert_eq!(
            zone(0),
            Some(Ok(Zone {
                start: 0,
                len: 2048,
                capacity: 1600,
                wp: 0,
                cond: 1
            }))
        );
        assert_eq!(
            zone(1),
            Some(Ok(Zone {
                start: 2048,
                len: 2048,
                capacity: 1600,
                wp: 2400,
                cond: 2
            }))
        );
        assert_eq!(zone(2).unwrap().unwrap().wp, 4096 + 2048);
        assert_eq!(zone(3), None);
        // A conventional zone (type 1): refused.
        let mut bad = vec![0u8; 64];
        bad.extend(descriptor(1, 0, 1, 0, 0));
        assert_eq!(zone_at(&bad, 0, 9, 1), Some(Err(InvalidZoneType(1))));
        // 512-byte blocks: LBAs are sectors.
        let mut small = vec![0u8; 64];
        small.extend(descriptor(2, 0x1 << 4, 64, 128, 130));
        assert_eq!(zone_at(&small, 0, 9, 128).unwrap().unwrap().wp, 130);
        assert_eq!(reported_zones(&small[..10]), 0);
    }
}
