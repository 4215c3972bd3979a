// SPDX-License-Identifier: GPL-2.0

//! Where a namespace's metadata and protection information sit, and the
//! block layer integrity profile that carries them, as C 6.12 decides with
//! `CONFIG_BLK_DEV_INTEGRITY` on a PCIe controller (`core.c`'s
//! `nvme_configure_metadata`, `nvme_configure_pi_elbas` and
//! `nvme_init_integrity`).
//!
//! Only the decisions are here; `spec::format` turns them into what the
//! disk carries.

/// DPS bit 3: the protection information is the first bytes of the
/// metadata, not the last.
const DPS_PI_FIRST: u8 = 1 << 3;
/// PIC bit 3: Qualified Protection Information Format Support (the guard
/// type may be given by the QPIF field).
const PIC_QPIFS: u8 = 1 << 3;

/// End-to-end protection type (DPS bits 2:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiType {
    /// Type 1: the reference tag is the low 32 bits of the LBA.
    Type1 = 1,
    /// Type 2: the reference tag starts at the command's initial value.
    Type2 = 2,
    /// Type 3: no reference tag.
    Type3 = 3,
}

impl PiType {
    /// The type DPS bits 2:0 select, `None` for no protection or a reserved
    /// value.
    pub const fn from_dps(dps: u8) -> Option<Self> {
        match dps & 7 {
            1 => Some(PiType::Type1),
            2 => Some(PiType::Type2),
            3 => Some(PiType::Type3),
            _ => None,
        }
    }
}

/// The guard of the protection information tuple (ELBAF's Protection
/// Information Format).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// 16-bit CRC (T10 DIF), in an 8-byte tuple.
    Crc16,
    /// 32-bit CRC, which C does not support: no PI.
    Crc32,
    /// 64-bit CRC (NVMe's Rocksoft CRC64), in a 16-byte tuple.
    Crc64,
    /// A qualified type C does not know.
    Other(u8),
}

impl Guard {
    /// Bytes of the PI tuple with this guard; 0 where C knows none.
    pub const fn pi_size(self) -> u16 {
        match self {
            Guard::Crc16 => 8,
            Guard::Crc64 => 16,
            Guard::Crc32 | Guard::Other(_) => 0,
        }
    }
}

/// The guard type an Extended LBA Format (NVM command set Identify
/// Namespace ELBAF) names, as C's `nvme_configure_pi_elbas`: `None` for a
/// format with storage tags, which C does not support.
pub fn elbaf_guard(elbaf: u32, pic: u8) -> Option<Guard> {
    if elbaf & 0x7f != 0 {
        return None;
    }
    let mut guard = ((elbaf >> 7) & 0x3) as u8;
    if pic & PIC_QPIFS != 0 && guard == 3 {
        guard = ((elbaf >> 9) & 0xf) as u8;
    }
    Some(match guard {
        0 => Guard::Crc16,
        1 => Guard::Crc32,
        2 => Guard::Crc64,
        other => Guard::Other(other),
    })
}

/// What a namespace's format says of its metadata (C's `ms`, `pi_size`,
/// `pi_type`, `guard_type`, `pi_offset` and the metadata features).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Metadata bytes per block.
    pub size: u16,
    /// Bytes of the PI tuple the format's guard gives; 0 for none.
    pub pi_size: u16,
    /// The protection type, where there is PI and it is enabled.
    pub pi: Option<PiType>,
    /// The guard, where the format has one C knows.
    pub guard: Option<Guard>,
    /// Where the PI starts in the metadata.
    pub pi_offset: u16,
    /// The metadata is interleaved with the data (extended LBA); on PCIe
    /// the block layer cannot use it (C `NVME_NS_EXT_LBAS`), where a
    /// separate buffer it can (C `NVME_NS_METADATA_SUPPORTED`).
    pub extended: bool,
}

/// Whether DPS puts the protection information at the start of the
/// metadata (else at its end).
pub const fn pi_at_start(dps: u8) -> bool {
    dps & DPS_PI_FIRST != 0
}

impl Metadata {
    /// The metadata of a format with `size` bytes of metadata per block,
    /// interleaved or not (`extended`), whose DPS is `dps`; with
    /// `elbaf_pic` the format's ELBAF and the namespace's PIC, where the
    /// controller has Extended LBA Formats (CTRATT.ELBAS) and the NVM
    /// command set Identify Namespace was read; `disable_pi_offsets` is
    /// C's parameter of that name. `None` without metadata.
    pub fn of(
        size: u16,
        extended: bool,
        dps: u8,
        elbaf_pic: Option<(u32, u8)>,
        disable_pi_offsets: bool,
    ) -> Option<Metadata> {
        if size == 0 {
            return None;
        }
        let guard = match elbaf_pic {
            Some((elbaf, pic)) => elbaf_guard(elbaf, pic),
            None => Some(Guard::Crc16),
        };
        let pi_size = guard.map_or(0, Guard::pi_size);
        let mut pi = if pi_size != 0 && size >= pi_size {
            PiType::from_dps(dps)
        } else {
            None
        };
        let mut pi_offset = 0;
        if dps & DPS_PI_FIRST == 0 {
            if disable_pi_offsets {
                pi = None;
            } else {
                // C's unsigned arithmetic: a format too small for the
                // tuple has no PI anyway, and the offset is unused then.
                pi_offset = size.wrapping_sub(pi_size);
            }
        }
        Some(Metadata {
            size,
            pi_size,
            pi,
            guard,
            pi_offset,
            extended,
        })
    }

    /// The metadata is exactly the PI, which the controller can insert and
    /// strip itself (PRACT; C `nvme_ns_has_pi`).
    pub fn is_only_pi(&self) -> bool {
        self.pi.is_some() && self.size == self.pi_size
    }
}

/// The checksum of a block layer integrity profile (C `enum
/// blk_integrity_checksum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// No PI the block layer generates or checks: metadata only.
    None,
    /// The T10 CRC16 guard.
    Crc16,
    /// NVMe's CRC64 guard.
    Crc64,
}

/// A block layer integrity profile (C `struct blk_integrity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The guard the block layer computes and checks.
    pub checksum: Checksum,
    /// Bytes of the tuple that are tags the block layer may set.
    pub tag_size: u8,
    /// The device checks the PI (`BLK_INTEGRITY_DEVICE_CAPABLE`).
    pub device_capable: bool,
    /// The PI has a reference tag (`BLK_INTEGRITY_REF_TAG`).
    pub ref_tag: bool,
    /// Metadata bytes per block.
    pub tuple_size: u16,
    /// Where the PI starts in them.
    pub pi_offset: u16,
}

/// What the block device of a namespace with metadata gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockMetadata {
    /// An integrity profile: the block layer gives every request a
    /// metadata buffer, which the command's MPTR points at.
    Profile(Profile),
    /// No profile: the controller inserts and strips the PI (PRACT).
    ControllerPi,
    /// Capacity 0: the block layer cannot carry this metadata.
    Unusable,
}

/// The block device's metadata handling, as C's `nvme_init_integrity` on
/// a PCIe controller with `CONFIG_BLK_DEV_INTEGRITY`.
///
/// One difference: metadata of more than 255 bytes per block is unusable
/// here. The block layer keeps the tuple size in a byte, and C stores the
/// size there truncated, describing the wrong buffer.
pub fn block_metadata(md: &Metadata) -> BlockMetadata {
    if md.size > u16::from(u8::MAX) {
        return BlockMetadata::Unusable;
    }
    if md.extended {
        return if md.is_only_pi() {
            BlockMetadata::ControllerPi
        } else {
            BlockMetadata::Unusable
        };
    }
    let (checksum, tag_size, device_capable, ref_tag) = match (md.pi, md.guard) {
        (Some(PiType::Type3), Some(Guard::Crc16)) => (Checksum::Crc16, 2 + 4, true, false),
        (Some(PiType::Type3), Some(Guard::Crc64)) => (Checksum::Crc64, 2 + 6, true, false),
        (Some(PiType::Type1 | PiType::Type2), Some(Guard::Crc16)) => {
            (Checksum::Crc16, 2, true, true)
        }
        (Some(PiType::Type1 | PiType::Type2), Some(Guard::Crc64)) => {
            (Checksum::Crc64, 2, true, true)
        }
        _ => (Checksum::None, 0, false, false),
    };
    BlockMetadata::Profile(Profile {
        checksum,
        tag_size,
        device_capable,
        ref_tag,
        tuple_size: md.size,
        pi_offset: md.pi_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DPS for PI type `t`, first in the metadata or not.
    fn dps(t: u8, first: bool) -> u8 {
        t | if first { DPS_PI_FIRST } else { 0 }
    }

    #[test]
    fn elbaf_guards_as_c() {
        assert_eq!(elbaf_guard(0, 0), Some(Guard::Crc16));
        assert_eq!(elbaf_guard(1 << 7, 0), Some(Guard::Crc32));
        assert_eq!(elbaf_guard(2 << 7, 0), Some(Guard::Crc64));
        // Storage tags: not supported.
        assert_eq!(elbaf_guard(2 << 7 | 16, 0), None);
        // Qualified type: only where PIC allows it.
        assert_eq!(elbaf_guard(3 << 7 | 2 << 9, PIC_QPIFS), Some(Guard::Crc64));
        assert_eq!(elbaf_guard(3 << 7 | 2 << 9, 0), Some(Guard::Other(3)));
    }

    #[test]
    fn metadata_as_c() {
        assert_eq!(Metadata::of(0, false, dps(1, true), None, false), None);
        // QEMU ms=8, pi=1, PI first (pil=1): the whole metadata is PI.
        let m = Metadata::of(8, false, dps(1, true), None, false).unwrap();
        assert_eq!((m.pi, m.pi_size, m.pi_offset), (Some(PiType::Type1), 8, 0));
        assert!(m.is_only_pi());
        // ms=16 with the PI last: offset 8.
        let m = Metadata::of(16, false, dps(3, false), None, false).unwrap();
        assert_eq!((m.pi, m.pi_offset), (Some(PiType::Type3), 8));
        assert!(!m.is_only_pi());
        // disable_pi_offsets: PI not first means no PI.
        let m = Metadata::of(16, false, dps(3, false), None, true).unwrap();
        assert_eq!((m.pi, m.pi_offset), (None, 0));
        // Metadata smaller than the tuple: no PI.
        let m = Metadata::of(4, false, dps(1, true), None, false).unwrap();
        assert_eq!(m.pi, None);
        // No PI enabled.
        let m = Metadata::of(8, false, 0, None, false).unwrap();
        assert_eq!(m.pi, None);
        // 64-bit guard from the ELBAF: a 16-byte tuple.
        let m = Metadata::of(16, false, dps(1, true), Some((2 << 7, 0)), false).unwrap();
        assert_eq!(
            (m.guard, m.pi_size, m.pi),
            (Some(Guard::Crc64), 16, Some(PiType::Type1))
        );
        assert!(m.is_only_pi());
        // A storage tag format: metadata, no PI.
        let m = Metadata::of(16, false, dps(1, true), Some((2 << 7 | 8, 0)), false).unwrap();
        assert_eq!((m.guard, m.pi_size, m.pi), (None, 0, None));
    }

    #[test]
    fn block_metadata_as_c() {
        let md = |size, ext, d, elbaf| Metadata::of(size, ext, d, elbaf, false).unwrap();
        // Separate metadata, PI type 1, 16-bit guard.
        assert_eq!(
            block_metadata(&md(8, false, dps(1, true), None)),
            BlockMetadata::Profile(Profile {
                checksum: Checksum::Crc16,
                tag_size: 2,
                device_capable: true,
                ref_tag: true,
                tuple_size: 8,
                pi_offset: 0,
            })
        );
        // Type 3: no reference tag, its bytes are tag space.
        let BlockMetadata::Profile(p) = block_metadata(&md(16, false, dps(3, false), None)) else {
            panic!("no profile");
        };
        assert_eq!(
            (p.checksum, p.tag_size, p.ref_tag, p.tuple_size, p.pi_offset),
            (Checksum::Crc16, 6, false, 16, 8)
        );
        // Type 3 with the 64-bit guard.
        let BlockMetadata::Profile(p) =
            block_metadata(&md(16, false, dps(3, true), Some((2 << 7, 0))))
        else {
            panic!("no profile");
        };
        assert_eq!((p.checksum, p.tag_size), (Checksum::Crc64, 8));
        // Type 2, 64-bit guard.
        let BlockMetadata::Profile(p) =
            block_metadata(&md(16, false, dps(2, true), Some((2 << 7, 0))))
        else {
            panic!("no profile");
        };
        assert_eq!(
            (p.checksum, p.tag_size, p.ref_tag),
            (Checksum::Crc64, 2, true)
        );
        // Separate metadata without PI: a profile without checksum.
        let BlockMetadata::Profile(p) = block_metadata(&md(8, false, 0, None)) else {
            panic!("no profile");
        };
        assert_eq!(
            (p.checksum, p.tag_size, p.device_capable, p.tuple_size),
            (Checksum::None, 0, false, 8)
        );
        // Interleaved: PRACT where the metadata is only PI, else unusable.
        assert_eq!(
            block_metadata(&md(8, true, dps(1, true), None)),
            BlockMetadata::ControllerPi
        );
        assert_eq!(
            block_metadata(&md(16, true, dps(1, true), None)),
            BlockMetadata::Unusable
        );
        assert_eq!(
            block_metadata(&md(8, true, 0, None)),
            BlockMetadata::Unusable
        );
        // A tuple the block layer's byte cannot describe.
        assert_eq!(
            block_metadata(&md(256, false, 0, None)),
            BlockMetadata::Unusable
        );
        assert!(matches!(
            block_metadata(&md(255, false, 0, None)),
            BlockMetadata::Profile(_)
        ));
    }
}
