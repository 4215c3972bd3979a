// SPDX-License-Identifier: GPL-2.0

//! What a namespace's format and command set let the driver do with it.
//!
//! A format with metadata makes the controller move that metadata on every
//! Read, Write and Compare: interleaved with the data (an extended LBA), or
//! through the command's metadata pointer (MPTR) to a separate buffer. A
//! command without a metadata buffer would have the controller transfer to
//! or from address 0. So the block device gets only what the driver can do
//! safely, as C 6.12 decides without `CONFIG_BLK_DEV_INTEGRITY` and
//! `CONFIG_BLK_DEV_ZONED` (`nvme_update_ns_info`, `nvme_configure_metadata`,
//! `nvme_init_integrity`, `nvme_update_disk_info` and the PI setup of
//! `nvme_setup_rw` in `drivers/nvme/host/core.c`):
//!
//! Where the kernel has `CONFIG_BLK_DEV_INTEGRITY`, a namespace with
//! separate metadata gets what C gives it with that option instead
//! ([`super::integrity::block_metadata`]): the block layer's integrity
//! profile, whose buffer for each request the command's metadata pointer
//! (MPTR) points at. Without it:
//!
//! - no metadata: block I/O of data;
//! - metadata that is exactly the 8-byte protection information, with PI
//!   enabled: block I/O with PRACT set, so the controller generates the PI on
//!   writes and checks and strips it on reads, and no metadata crosses the
//!   bus;
//! - any other metadata, or a block size the block layer cannot take: a
//!   disk of capacity 0;
//! - a command set other than NVM (zoned namespaces, key value): a hidden
//!   disk, so only the generic node `/dev/ngXnY` serves the namespace.
//!
//! Passthrough is held to the same rule: a command that would move
//! separate metadata is refused, since the driver maps no user metadata
//! buffers.

use super::identify::IdentifyNamespace;
pub use super::integrity::PiType;
use super::integrity::{block_metadata, BlockMetadata, Guard, Metadata, Profile};

/// The 8-byte protection information tuple with a 16-bit guard (C `struct
/// t10_pi_tuple`), the only PI format without Extended LBA Formats.
pub const PI_TUPLE_SIZE: u16 = 8;
/// The tuple with the 64-bit guard (C `struct crc64_pi_tuple`).
pub const WIDE_PI_TUPLE_SIZE: u16 = 16;

/// CDW12 bit 29: Protection Information Action (C `NVME_RW_PRINFO_PRACT`
/// in the control field): the controller inserts PI on writes and strips it
/// on reads.
pub const PRACT: u32 = 1 << 29;
/// CDW12 bit 28: check the guard (C `NVME_RW_PRINFO_PRCHK_GUARD`).
pub const PRCHK_GUARD: u32 = 1 << 28;
/// CDW12 bit 27: check the application tag (C `NVME_RW_PRINFO_PRCHK_APP`).
pub const PRCHK_APP: u32 = 1 << 27;
/// CDW12 bit 26: check the reference tag (C `NVME_RW_PRINFO_PRCHK_REF`).
pub const PRCHK_REF: u32 = 1 << 26;

/// Opcodes of the NVM and Zoned Namespace command sets that transfer
/// metadata: Write, Read, Compare and Zone Append.
const METADATA_OPCODES: [u8; 4] = [0x01, 0x02, 0x05, 0x7d];

/// The I/O command set of a namespace, from its Command Set Identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandSet {
    /// The NVM command set (CSI 0).
    Nvm,
    /// Zoned Namespaces (CSI 2).
    Zoned,
    /// Any other, such as key value (CSI 1).
    Other(u8),
}

impl CommandSet {
    /// The command set with identifier `csi`.
    pub const fn from_csi(csi: u8) -> Self {
        match csi {
            0 => CommandSet::Nvm,
            2 => CommandSet::Zoned,
            other => CommandSet::Other(other),
        }
    }

    /// Its Command Set Identifier.
    pub const fn csi(self) -> u8 {
        match self {
            CommandSet::Nvm => 0,
            CommandSet::Zoned => 2,
            CommandSet::Other(csi) => csi,
        }
    }
}

/// How a namespace is formatted: the data and metadata of each block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Log2 of the data size of a block.
    pub lba_shift: u8,
    /// Metadata bytes per block.
    pub metadata_size: u16,
    /// The metadata is interleaved with the data (an extended LBA, FLBAS
    /// bit 4), not in a separate buffer.
    pub extended: bool,
    /// End-to-end protection, where enabled and the metadata can hold it.
    pub pi: Option<PiType>,
    /// The PI tuple is 16 bytes, with the 64-bit guard of an Extended LBA
    /// Format, not the 8 of the 16-bit guard.
    pub wide_guard: bool,
}

/// Why a namespace's disk has no capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The block size is beyond the page size (or below 512 bytes).
    BlockSize,
    /// The format's metadata needs buffers the driver does not map.
    Metadata,
}

/// What block I/O a namespace's disk carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockAccess {
    /// Data only: the format has no metadata.
    Data,
    /// Data, with the controller inserting, checking and stripping the
    /// protection information that is all the metadata (PRACT).
    ControllerPi(PiType),
    /// Data, with a metadata buffer for each request from the block
    /// layer's integrity `profile`, which the command points at (MPTR);
    /// `pi` is the protection the controller checks, and `pi_only` says
    /// the metadata is exactly the PI (C `nvme_ns_has_pi`), so a request
    /// without a buffer can have the controller insert and strip it.
    Integrity {
        /// The integrity profile the disk registers.
        profile: Profile,
        /// The protection type, where there is PI.
        pi: Option<PiType>,
        /// The metadata is only the PI.
        pi_only: bool,
    },
    /// None: the disk has capacity 0.
    Blocked(Blocked),
    /// None, and the disk is hidden: the namespace's command set has no
    /// block device (C's `nvme_update_ns_info_generic`).
    Hidden(CommandSet),
}

impl Format {
    /// The format of a namespace from its Identify Namespace data.
    pub fn of(id: &IdentifyNamespace) -> Self {
        let metadata_size = id.format.metadata_size;
        Format {
            lba_shift: id.format.data_shift,
            metadata_size,
            extended: metadata_size != 0 && id.extended_lba,
            // C takes the PI type only where the metadata holds a tuple.
            pi: if metadata_size >= PI_TUPLE_SIZE {
                PiType::from_dps(id.dps)
            } else {
                None
            },
            wide_guard: false,
        }
    }

    /// The format with the guard its Extended LBA Format gives (`None`: a
    /// guard C does not support, so no PI), where the controller has them
    /// (C `nvme_configure_pi_elbas`); [`Self::of`] takes the 16-bit guard.
    pub fn with_guard(mut self, guard: Option<Guard>) -> Self {
        match guard {
            Some(Guard::Crc16) => {}
            Some(Guard::Crc64) => {
                self.wide_guard = true;
                if self.metadata_size < WIDE_PI_TUPLE_SIZE {
                    self.pi = None;
                }
            }
            _ => self.pi = None,
        }
        self
    }

    /// Bytes of the PI tuple: 8, or 16 with the 64-bit guard.
    pub const fn pi_tuple_size(&self) -> u16 {
        if self.wide_guard {
            WIDE_PI_TUPLE_SIZE
        } else {
            PI_TUPLE_SIZE
        }
    }

    /// The metadata is exactly the protection information, so with PRACT
    /// the controller moves no metadata at all (C `nvme_ns_has_pi`).
    pub const fn pi_is_all_metadata(&self) -> bool {
        self.pi.is_some() && self.metadata_size == self.pi_tuple_size()
    }

    /// What block I/O a namespace of this format and `command_set` gets on
    /// a kernel whose pages are `1 << page_shift` bytes. `integrity` is the
    /// format's metadata where the kernel has block integrity profiles
    /// (`None` without them, or without metadata).
    pub fn block_access(
        &self,
        command_set: CommandSet,
        page_shift: u32,
        integrity: Option<Metadata>,
    ) -> BlockAccess {
        if command_set != CommandSet::Nvm {
            return BlockAccess::Hidden(command_set);
        }
        if u32::from(self.lba_shift) > page_shift || self.lba_shift < 9 {
            return BlockAccess::Blocked(Blocked::BlockSize);
        }
        if let Some(md) = integrity {
            return match block_metadata(&md) {
                BlockMetadata::Profile(profile) => BlockAccess::Integrity {
                    profile,
                    pi: md.pi,
                    pi_only: md.is_only_pi(),
                },
                BlockMetadata::ControllerPi => match md.pi {
                    Some(pi) => BlockAccess::ControllerPi(pi),
                    None => BlockAccess::Blocked(Blocked::Metadata),
                },
                BlockMetadata::Unusable => BlockAccess::Blocked(Blocked::Metadata),
            };
        }
        match self.pi {
            _ if self.metadata_size == 0 => BlockAccess::Data,
            Some(pi) if self.pi_is_all_metadata() => BlockAccess::ControllerPi(pi),
            _ => BlockAccess::Blocked(Blocked::Metadata),
        }
    }

    /// Whether a passthrough command with `opcode` and `cdw12` would have
    /// the controller transfer metadata through the metadata pointer: the
    /// format keeps metadata in a separate buffer, the command moves it,
    /// and PRACT does not replace it (PRACT leaves nothing to transfer
    /// only where the metadata is all PI). Vendor specific I/O commands
    /// that move data are counted in, since what they do is unknown.
    #[inline]
    pub fn moves_separate_metadata(&self, opcode: u8, cdw12: u32) -> bool {
        if self.metadata_size == 0 || self.extended {
            return false;
        }
        let moves = METADATA_OPCODES.contains(&opcode) || (opcode >= 0x80 && opcode & 3 != 0);
        moves && !(cdw12 & PRACT != 0 && self.pi_is_all_metadata())
    }

    /// The bytes a command with `opcode` and `cdw12` moves through its
    /// metadata pointer on a namespace of this format: a Read, Write,
    /// Compare or Zone Append of separate metadata moves the metadata of
    /// its blocks (CDW12 bits 15:0, plus one) unless PRACT spares it, other
    /// commands nothing. `None` for a vendor specific command that moves
    /// data, whose use of the pointer is unknown.
    pub fn metadata_bytes(&self, opcode: u8, cdw12: u32) -> Option<u64> {
        if !self.moves_separate_metadata(opcode, cdw12) {
            return Some(0);
        }
        if !METADATA_OPCODES.contains(&opcode) {
            return None;
        }
        Some((u64::from(cdw12 & 0xffff) + 1) * u64::from(self.metadata_size))
    }

    /// The bytes a Read, Write or Compare of `blocks` blocks moves through
    /// its data buffer, given its `cdw12`: the data, and with an extended
    /// LBA the metadata in between, unless PRACT leaves it out.
    pub fn transfer_len(&self, blocks: u64, cdw12: u32) -> u64 {
        let data = blocks << self.lba_shift;
        if !self.extended || (cdw12 & PRACT != 0 && self.pi_is_all_metadata()) {
            return data;
        }
        data + blocks * u64::from(self.metadata_size)
    }

    /// The format packed into a word, to be kept in an atomic.
    pub const fn to_bits(&self) -> u32 {
        let pi = match self.pi {
            None => 0,
            Some(pi) => pi as u32,
        };
        self.lba_shift as u32
            | (self.metadata_size as u32) << 8
            | (self.extended as u32) << 24
            | pi << 25
            | (self.wide_guard as u32) << 28
    }

    /// The format [`Self::to_bits`] packed.
    #[inline]
    pub const fn from_bits(bits: u32) -> Self {
        Format {
            lba_shift: bits as u8,
            metadata_size: (bits >> 8) as u16,
            extended: (bits >> 24) & 1 != 0,
            pi: PiType::from_dps((bits >> 25) as u8),
            wide_guard: (bits >> 28) & 1 != 0,
        }
    }
}

impl BlockAccess {
    /// Whether the disk carries block I/O.
    pub const fn has_capacity(&self) -> bool {
        matches!(
            self,
            BlockAccess::Data | BlockAccess::ControllerPi(_) | BlockAccess::Integrity { .. }
        )
    }

    /// The integrity profile the disk registers, if any.
    pub const fn profile(&self) -> Option<Profile> {
        match self {
            BlockAccess::Integrity { profile, .. } => Some(*profile),
            _ => None,
        }
    }

    /// Whether the disk is shown to user space as a block device.
    pub const fn visible(&self) -> bool {
        !matches!(self, BlockAccess::Hidden(_))
    }

    /// The protection bits of CDW12 for a block Read or Write, and whether
    /// the command needs the reference tag (CDW14), given whether the
    /// request carries a metadata buffer (C `nvme_setup_rw`): the guard
    /// checked, and for types 1 and 2 the reference tag too; PRACT where
    /// the controller is to insert and strip the PI because no buffer
    /// holds it. `None` where the request has no buffer and the metadata
    /// is more than PI, so the command cannot be sent (C warns and
    /// returns `BLK_STS_NOTSUPP`; the block layer gives every request
    /// one unless told through sysfs not to generate or verify).
    pub const fn rw_protection(&self, metadata_buffer: bool) -> Option<(u32, bool)> {
        let (pi, pract) = match *self {
            BlockAccess::ControllerPi(pi) => (Some(pi), PRACT),
            BlockAccess::Integrity { pi, .. } if metadata_buffer => (pi, 0),
            BlockAccess::Integrity {
                pi: Some(pi),
                pi_only: true,
                ..
            } => (Some(pi), PRACT),
            BlockAccess::Integrity { .. } => return None,
            _ => return Some((0, false)),
        };
        Some(match pi {
            Some(PiType::Type3) => (pract | PRCHK_GUARD, false),
            Some(_) => (pract | PRCHK_GUARD | PRCHK_REF, true),
            None => (pract, false),
        })
    }

    /// The same for Write Zeroes: PRACT so the controller writes valid PI
    /// for the zeroed blocks, nothing checked (C
    /// `nvme_setup_write_zeroes`).
    pub const fn write_zeroes_protection(&self) -> (u32, bool) {
        match *self {
            BlockAccess::ControllerPi(PiType::Type3)
            | BlockAccess::Integrity {
                pi: Some(PiType::Type3),
                pi_only: true,
                ..
            } => (PRACT, false),
            BlockAccess::ControllerPi(_)
            | BlockAccess::Integrity {
                pi: Some(_),
                pi_only: true,
                ..
            } => (PRACT, true),
            _ => (0, false),
        }
    }
}

/// The reference tag of a command starting at `slba`: its low 32 bits (C
/// `t10_pi_ref_tag` for a 16-bit guard, where the interval is the block).
pub const fn ref_tag(slba: u64) -> u32 {
    slba as u32
}

/// The 48-bit reference tag of a command starting at `slba`, for PI with
/// the 64-bit guard, as (CDW14, CDW3): its low 32 bits and the 16 above
/// (C `ext_pi_ref_tag` in `nvme_set_ref_tag`).
pub const fn ref_tag48(slba: u64) -> (u32, u32) {
    let tag = slba & ((1 << 48) - 1);
    (tag as u32, (tag >> 32) as u32)
}

#[cfg(test)]
mod tests {
    use super::super::integrity::Checksum;
    use super::*;

    const PAGE_SHIFT: u32 = 12;

    fn format(lba_shift: u8, ms: u16, extended: bool, pi: Option<PiType>) -> Format {
        Format {
            lba_shift,
            metadata_size: ms,
            extended,
            pi,
            wide_guard: false,
        }
    }

    #[test]
    fn which_formats_get_which_disk() {
        use BlockAccess::*;
        use PiType::*;
        let nvm = CommandSet::Nvm;
        let cases = [
            // No metadata: plain data, 512 bytes to the page size.
            (format(9, 0, false, None), Data),
            (format(12, 0, false, None), Data),
            // Beyond the page size, or below a sector: no block I/O.
            (
                format(13, 0, false, None),
                Blocked(super::Blocked::BlockSize),
            ),
            (
                format(16, 0, false, None),
                Blocked(super::Blocked::BlockSize),
            ),
            (
                format(8, 0, false, None),
                Blocked(super::Blocked::BlockSize),
            ),
            // Separate metadata without PI: the unsafe case of old.
            (format(9, 8, false, None), Blocked(super::Blocked::Metadata)),
            (
                format(12, 64, false, None),
                Blocked(super::Blocked::Metadata),
            ),
            // Interleaved metadata without PI.
            (format(9, 16, true, None), Blocked(super::Blocked::Metadata)),
            // PI that is the whole metadata: PRACT, separate or interleaved.
            (format(9, 8, false, Some(Type1)), ControllerPi(Type1)),
            (format(12, 8, false, Some(Type2)), ControllerPi(Type2)),
            (format(9, 8, true, Some(Type3)), ControllerPi(Type3)),
            // PI with more metadata beside it: the rest would still move.
            (
                format(9, 16, false, Some(Type1)),
                Blocked(super::Blocked::Metadata),
            ),
            (
                format(12, 64, true, Some(Type3)),
                Blocked(super::Blocked::Metadata),
            ),
        ];
        for (f, want) in cases {
            assert_eq!(f.block_access(nvm, PAGE_SHIFT, None), want, "{f:?}");
            assert_eq!(f.block_access(nvm, PAGE_SHIFT, None).visible(), true);
        }
        // Another command set hides the disk, whatever the format.
        for csi in [1u8, 2, 3] {
            let set = CommandSet::from_csi(csi);
            let access = format(12, 0, false, None).block_access(set, PAGE_SHIFT, None);
            assert_eq!(access, Hidden(set));
            assert!(!access.visible() && !access.has_capacity());
        }
        assert_eq!(CommandSet::from_csi(2), CommandSet::Zoned);
        assert_eq!(CommandSet::Zoned.csi(), 2);
        assert_eq!(CommandSet::from_csi(0), CommandSet::Nvm);
        // A larger page takes larger blocks.
        assert_eq!(format(16, 0, false, None).block_access(nvm, 16, None), Data);
    }

    #[test]
    fn pi_needs_room_for_the_tuple() {
        let mut id = IdentifyNamespace::default();
        id.format.data_shift = 9;
        id.format.metadata_size = 4;
        id.dps = 1;
        assert_eq!(Format::of(&id).pi, None, "4 bytes hold no tuple");
        id.format.metadata_size = 8;
        assert_eq!(Format::of(&id).pi, Some(PiType::Type1));
        id.dps = 0x0b; // Type 3, PI first.
        assert_eq!(Format::of(&id).pi, Some(PiType::Type3));
        id.dps = 4; // Reserved type.
        assert_eq!(Format::of(&id).pi, None);
        id.dps = 0;
        id.extended_lba = true;
        assert!(Format::of(&id).extended);
        id.format.metadata_size = 0;
        assert!(
            !Format::of(&id).extended,
            "no metadata, nothing interleaved"
        );
    }

    #[test]
    fn protection_fields_of_block_commands() {
        use PiType::*;
        let pi = |t| BlockAccess::ControllerPi(t);
        for buffer in [false, true] {
            assert_eq!(
                pi(Type1).rw_protection(buffer),
                Some((PRACT | PRCHK_GUARD | PRCHK_REF, true))
            );
            assert_eq!(
                pi(Type2).rw_protection(buffer),
                Some((PRACT | PRCHK_GUARD | PRCHK_REF, true))
            );
            assert_eq!(
                pi(Type3).rw_protection(buffer),
                Some((PRACT | PRCHK_GUARD, false))
            );
            assert_eq!(BlockAccess::Data.rw_protection(buffer), Some((0, false)));
        }
        assert_eq!(pi(Type1).write_zeroes_protection(), (PRACT, true));
        assert_eq!(pi(Type3).write_zeroes_protection(), (PRACT, false));
        assert_eq!(BlockAccess::Data.write_zeroes_protection(), (0, false));
        // C's NVME_RW_PRINFO_* in the control half of CDW12.
        assert_eq!(PRACT >> 16, 1 << 13);
        assert_eq!(PRCHK_GUARD >> 16, 1 << 12);
        assert_eq!(PRCHK_APP >> 16, 1 << 11);
        assert_eq!(PRCHK_REF >> 16, 1 << 10);
        assert_eq!(ref_tag(0x1_2345_6789), 0x2345_6789);
        assert_eq!(ref_tag48(0xabcd_1234_5678_9abc), (0x5678_9abc, 0x1234));
    }

    /// The integrity access of `ms` bytes of separate metadata with DPS
    /// `dps` (PI first), as the driver derives it.
    fn integrity(ms: u16, extended: bool, dps: u8) -> BlockAccess {
        let md = Metadata::of(ms, extended, dps | 8, None, false);
        let pi = if ms >= PI_TUPLE_SIZE {
            PiType::from_dps(dps)
        } else {
            None
        };
        format(9, ms, extended, pi).block_access(CommandSet::Nvm, PAGE_SHIFT, md)
    }

    #[test]
    fn formats_with_integrity_profiles_as_c() {
        use PiType::*;
        // Separate metadata, no PI: a profile without checksum (C's
        // "nop"), every command with a buffer and no PRINFO bits.
        let plain = integrity(8, false, 0);
        assert!(matches!(
            plain,
            BlockAccess::Integrity {
                pi: None,
                pi_only: false,
                ..
            }
        ));
        assert!(plain.has_capacity() && plain.visible());
        assert_eq!(plain.profile().map(|p| p.tuple_size), Some(8));
        assert_eq!(plain.rw_protection(true), Some((0, false)));
        assert_eq!(plain.rw_protection(false), None, "no buffer for metadata");
        assert_eq!(plain.write_zeroes_protection(), (0, false));
        // PI type 1 in 8 bytes: checked with the buffer, PRACT without.
        let t1 = integrity(8, false, 1);
        assert!(matches!(
            t1,
            BlockAccess::Integrity {
                pi: Some(Type1),
                pi_only: true,
                ..
            }
        ));
        assert_eq!(
            t1.rw_protection(true),
            Some((PRCHK_GUARD | PRCHK_REF, true))
        );
        assert_eq!(
            t1.rw_protection(false),
            Some((PRACT | PRCHK_GUARD | PRCHK_REF, true))
        );
        assert_eq!(t1.write_zeroes_protection(), (PRACT, true));
        // Type 3 in 16 bytes: the guard only, and no PRACT fallback.
        let t3 = integrity(16, false, 3);
        assert_eq!(t3.rw_protection(true), Some((PRCHK_GUARD, false)));
        assert_eq!(t3.rw_protection(false), None);
        assert_eq!(t3.write_zeroes_protection(), (0, false));
        // Interleaved: PRACT where the metadata is the PI, else nothing.
        assert_eq!(integrity(8, true, 1), BlockAccess::ControllerPi(Type1));
        assert_eq!(
            integrity(16, true, 0),
            BlockAccess::Blocked(Blocked::Metadata)
        );
        assert_eq!(
            integrity(16, true, 1),
            BlockAccess::Blocked(Blocked::Metadata)
        );
        assert_eq!(BlockAccess::Data.profile(), None);
        // The 64-bit guard (ELBAF guard 2): a 16-byte tuple.
        let md = Metadata::of(16, false, 1 | 8, Some((2 << 7, 0)), false);
        let wide = format(9, 16, false, Some(Type1)).block_access(CommandSet::Nvm, PAGE_SHIFT, md);
        assert!(matches!(
            wide.profile(),
            Some(Profile {
                checksum: Checksum::Crc64,
                tuple_size: 16,
                ..
            })
        ));
        assert_eq!(
            wide.rw_protection(true),
            Some((PRCHK_GUARD | PRCHK_REF, true))
        );
        assert_eq!(
            wide.rw_protection(false),
            Some((PRACT | PRCHK_GUARD | PRCHK_REF, true))
        );
    }

    #[test]
    fn passthrough_that_would_move_separate_metadata() {
        use PiType::*;
        let separate = format(9, 8, false, None);
        for opcode in [0x01, 0x02, 0x05, 0x7d, 0x81, 0x82, 0x83] {
            assert!(separate.moves_separate_metadata(opcode, 0), "{opcode:#x}");
            // PRACT does nothing without PI: the metadata still moves.
            assert!(separate.moves_separate_metadata(opcode, PRACT));
        }
        // Flush, Write Zeroes, DSM, Verify, zone management, no-data vendor.
        for opcode in [0x00, 0x08, 0x09, 0x0c, 0x79, 0x7a, 0x80, 0x84] {
            assert!(!separate.moves_separate_metadata(opcode, 0), "{opcode:#x}");
        }
        let pi8 = format(9, 8, false, Some(Type1));
        assert!(pi8.moves_separate_metadata(0x02, 0));
        assert!(pi8.moves_separate_metadata(0x02, PRCHK_GUARD));
        assert!(!pi8.moves_separate_metadata(0x02, PRACT | PRCHK_GUARD));
        // 16 bytes: PRACT replaces the PI, the other 8 bytes still move.
        let pi16 = format(9, 16, false, Some(Type1));
        assert!(pi16.moves_separate_metadata(0x01, PRACT));
        // Interleaved or no metadata: nothing through the pointer.
        assert!(!format(9, 16, true, None).moves_separate_metadata(0x02, 0));
        assert!(!format(12, 0, false, None).moves_separate_metadata(0x02, 0));
        // How much: the blocks' metadata, nothing, or unknown.
        assert_eq!(separate.metadata_bytes(0x02, 7), Some(8 * 8));
        assert_eq!(separate.metadata_bytes(0x01, 0xffff), Some(65536 * 8));
        assert_eq!(pi16.metadata_bytes(0x7d, 0), Some(16));
        assert_eq!(pi8.metadata_bytes(0x02, PRACT | 7), Some(0));
        assert_eq!(separate.metadata_bytes(0x00, 0), Some(0));
        assert_eq!(separate.metadata_bytes(0x81, 0), None);
        assert_eq!(format(9, 16, true, None).metadata_bytes(0x02, 7), Some(0));
    }

    #[test]
    fn transfer_lengths() {
        use PiType::*;
        assert_eq!(format(9, 0, false, None).transfer_len(4, 0), 2048);
        // Separate metadata is not in the data buffer.
        assert_eq!(format(9, 8, false, None).transfer_len(4, 0), 2048);
        // Interleaved: each block carries its metadata.
        assert_eq!(format(9, 16, true, None).transfer_len(4, 0), 4 * 528);
        assert_eq!(
            format(12, 8, true, Some(Type1)).transfer_len(2, 0),
            2 * 4104
        );
        // ... unless the controller inserts and strips it.
        assert_eq!(
            format(12, 8, true, Some(Type1)).transfer_len(2, PRACT),
            8192
        );
        assert_eq!(
            format(9, 16, true, Some(Type1)).transfer_len(1, PRACT),
            528,
            "PRACT strips only the PI of larger metadata"
        );
    }

    #[test]
    fn guards_of_extended_lba_formats() {
        use PiType::*;
        // The 64-bit guard: 16 bytes of PI, so PRACT spares 16 bytes.
        let wide = format(9, 16, false, Some(Type1)).with_guard(Some(Guard::Crc64));
        assert!(wide.wide_guard && wide.pi_is_all_metadata());
        assert_eq!(wide.pi_tuple_size(), 16);
        assert!(!wide.moves_separate_metadata(0x02, PRACT));
        assert_eq!(
            wide.block_access(CommandSet::Nvm, PAGE_SHIFT, None),
            BlockAccess::ControllerPi(Type1)
        );
        // 8 bytes cannot hold its tuple: no PI.
        assert_eq!(
            format(9, 8, false, Some(Type1))
                .with_guard(Some(Guard::Crc64))
                .pi,
            None
        );
        // The 16-bit guard changes nothing; one C does not know drops PI.
        let narrow = format(9, 16, false, Some(Type1));
        assert_eq!(narrow.with_guard(Some(Guard::Crc16)), narrow);
        assert!(!narrow.pi_is_all_metadata());
        assert_eq!(narrow.with_guard(Some(Guard::Crc32)).pi, None);
        assert_eq!(narrow.with_guard(None).pi, None);
    }

    #[test]
    fn packs_into_a_word() {
        use PiType::*;
        for f in [
            format(9, 0, false, None),
            format(12, 8, false, Some(Type1)),
            format(9, 16, true, Some(Type2)),
            format(16, 0xffff, true, Some(Type3)),
            format(9, 16, false, Some(Type1)).with_guard(Some(Guard::Crc64)),
        ] {
            assert_eq!(Format::from_bits(f.to_bits()), f);
        }
    }
}
