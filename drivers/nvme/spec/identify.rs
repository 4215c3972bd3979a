// SPDX-License-Identifier: GPL-2.0

//! Identify data structures (NVMe Base Specification 2.0, section 5.17.2,
//! and the NVM Command Set Specification for the namespace fields), parsed
//! from the 4 KiB buffers the controller fills.
//! C header: `srctree/include/linux/nvme.h` (`struct nvme_id_ctrl`,
//! `struct nvme_id_ns`).

use super::command::IDENTIFY_DATA_SIZE;

/// Why an identify buffer could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The buffer is not exactly [`IDENTIFY_DATA_SIZE`] bytes.
    WrongSize,
    /// The namespace's formatted LBA size is not one the block layer can use
    /// (below 512 bytes or beyond 64 KiB).
    UnsupportedLbaSize(u8),
    /// A Namespace Identification Descriptor's length does not fit its
    /// type, or it runs past the end of the list.
    BadDescriptor,
}

/// Offset of NUSE (Namespace Utilization) in Identify Namespace.
pub(super) const NUSE_OFFSET: usize = 16;

/// Little-endian fields of the Identify structures (and of other data
/// the controller writes in the same layout: ZNS structures, `spec::zns`).
pub(super) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(super) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(super) fn le64(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// The `N` bytes at `at` of a checked identify structure.
fn field<const N: usize>(b: &[u8; IDENTIFY_DATA_SIZE], at: usize) -> [u8; N] {
    let mut f = [0u8; N];
    f.copy_from_slice(&b[at..at + N]);
    f
}

/// `value`, unless it is all zeroes: identifiers that are zero are not
/// reported (C tests them with `memchr_inv` and `uuid_is_null`).
fn nonzero<const N: usize>(value: [u8; N]) -> Option<[u8; N]> {
    value.iter().any(|&b| b != 0).then_some(value)
}

fn checked(b: &[u8]) -> Result<&[u8; IDENTIFY_DATA_SIZE], ParseError> {
    b.try_into().map_err(|_| ParseError::WrongSize)
}

/// A fixed-width ASCII field from identify data, space padded on the right
/// as the specification requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsciiField<const N: usize>([u8; N]);

impl<const N: usize> AsciiField<N> {
    pub(super) fn from(b: &[u8], at: usize) -> Self {
        let mut field = [0u8; N];
        field.copy_from_slice(&b[at..at + N]);
        AsciiField(field)
    }

    /// The field as the controller sent it, padding and all.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The text without its padding. Bytes that are not printable ASCII are
    /// shown as `?`, so a misbehaving device cannot put control characters
    /// in the kernel log.
    pub fn trimmed(&self) -> TrimmedAscii<'_> {
        let end = self
            .0
            .iter()
            .rposition(|&c| c != b' ' && c != 0)
            .map_or(0, |i| i + 1);
        TrimmedAscii(&self.0[..end])
    }
}

/// A padded ASCII field with its padding removed; see [`AsciiField::trimmed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrimmedAscii<'a>(&'a [u8]);

impl TrimmedAscii<'_> {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0
    }
}

impl core::fmt::Display for TrimmedAscii<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        for &c in self.0 {
            f.write_char(if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '?'
            })?;
        }
        Ok(())
    }
}

/// The Identify Controller fields the driver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentifyController {
    /// PCI vendor ID (VID).
    pub vendor_id: u16,
    /// Serial number (SN).
    pub serial: AsciiField<20>,
    /// Model number (MN).
    pub model: AsciiField<40>,
    /// Firmware revision (FR).
    pub firmware: AsciiField<8>,
    /// Maximum data transfer size as a power of two in units of the minimum
    /// page size; 0 means no limit (MDTS).
    pub mdts: u8,
    /// Controller ID (CNTLID).
    pub controller_id: u16,
    /// Version the controller implements (VER), 0 before NVMe 1.2.
    pub version: u32,
    /// RTD3 Entry Latency in microseconds: how long a normal shutdown may
    /// take (RTD3E), 0 if not reported.
    pub rtd3_entry_us: u32,
    /// Command Retry Delay Times 1 to 3 in 100 ms units (CRDT1-3, bytes
    /// 133:128): what a completion's CRD field asks the host to wait before
    /// a retry, once Advanced Command Retry is enabled.
    pub crdt: [u16; 3],
    /// Optional Admin Command Support (OACS).
    pub oacs: u16,
    /// Abort Command Limit, zero-based (ACL).
    pub abort_limit: u8,
    /// Log Page Attributes (LPA); bit 1: Commands Supported and Effects.
    pub lpa: u8,
    /// NVM Subsystem NVMe Qualified Name (SUBNQN), NVMe 1.2.1 and later.
    pub subsystem_nqn: AsciiField<256>,
    /// Number of Power States Support, zero-based: the deepest power state
    /// (NPSS).
    pub npss: u8,
    /// Autonomous Power State Transitions are supported (APSTA bit 0).
    pub apsta: bool,
    /// The power state descriptors (PSD0 to PSD31); those past NPSS are
    /// not used.
    pub power_states: [PowerState; 32],
    /// Maximum Time for Firmware Activation in 100 ms units, 0 if not
    /// reported (MTFA).
    pub mtfa: u16,
    /// Asynchronous Event Request Limit, zero-based (AERL).
    pub aer_limit: u8,
    /// Optional Asynchronous Events Supported (OAES); bit 8: Namespace
    /// Attribute Notices.
    pub oaes: u32,
    /// Number of Namespaces: the largest valid NSID (NN).
    pub namespace_count: u32,
    /// Optional NVM Command Support (ONCS).
    pub oncs: u16,
    /// Volatile Write Cache present (VWC bit 0).
    pub volatile_write_cache: bool,
    /// Warning Composite Temperature Threshold (WCTEMP), kelvin, 0 if none.
    pub wctemp: u16,
    /// Critical Composite Temperature Threshold (CCTEMP), kelvin, 0 if
    /// none.
    pub cctemp: u16,
    /// Atomic Write Unit Power Fail (AWUPF), in blocks minus one: what
    /// every namespace writes atomically across a power failure unless it
    /// says otherwise.
    pub awupf: u16,
    /// SGL Support (SGLS).
    pub sgls: u32,
    /// Controller Attributes (CTRATT, bytes 99:96).
    pub ctratt: u32,
    /// Host Memory Buffer Preferred Size in 4 KiB units; 0: the controller
    /// wants no host memory (HMPRE, bytes 275:272).
    pub hmpre: u32,
    /// Host Memory Buffer Minimum Size in 4 KiB units (HMMIN, 279:276).
    pub hmmin: u32,
    /// Host Memory Buffer Minimum Descriptor Entry Size in 4 KiB units
    /// (HMMINDS, 335:332).
    pub hmminds: u32,
    /// Host Memory Maximum Descriptors Entries; 0: no limit (HMMAXD,
    /// 337:336).
    pub hmmaxd: u16,
}

/// What changed in a controller's Identify data across a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Changes {
    /// The identity (vendor, serial, model, subsystem) differs: another
    /// controller answers at this address.
    pub another_controller: bool,
    /// The firmware revision differs: new firmware was activated.
    pub firmware: bool,
    /// Something besides the firmware revision differs (limits, optional
    /// features, the identity).
    pub capabilities: bool,
}

/// A power state descriptor's fields the driver uses (Identify Controller
/// bytes 2048 and on, 32 bytes each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PowerState {
    /// The state is non-operational: the controller takes no I/O in it and
    /// leaves it by itself when I/O comes (NOPS).
    pub non_operational: bool,
    /// Entry latency in microseconds (ENLAT).
    pub entry_latency_us: u32,
    /// Exit latency in microseconds (EXLAT).
    pub exit_latency_us: u32,
}

impl PowerState {
    fn parse(b: &[u8; IDENTIFY_DATA_SIZE], at: usize) -> Self {
        PowerState {
            non_operational: b[at + 3] & 2 != 0,
            entry_latency_us: le32(b, at + 4),
            exit_latency_us: le32(b, at + 8),
        }
    }
}

/// CTRATT bit 15: Extended LBA Formats Supported (ELBAS): the guard of
/// each format's PI is in the NVM command set's Identify Namespace.
pub const CTRATT_ELBAS: u32 = 1 << 15;

/// Byte of the NVM command set Identify Namespace (CNS 05h, CSI 0) holding
/// the Protection Information Capabilities (PIC).
const NVM_NS_PIC: usize = 8;
/// Where its Extended LBA Format array (ELBAF, 64 dwords) starts.
const NVM_NS_ELBAF: usize = 12;

/// From the NVM command set Identify Namespace: format `format_index`'s
/// Extended LBA Format and the namespace's PIC, what C's
/// `nvme_configure_pi_elbas` takes (`spec::integrity::Metadata::of`).
pub fn nvm_elbaf_pic(b: &[u8], format_index: u8) -> Result<(u32, u8), ParseError> {
    let b = checked(b)?;
    // FLBAS gives at most 64 formats (6 bits).
    let index = usize::from(format_index & 63);
    Ok((le32(b, NVM_NS_ELBAF + 4 * index), b[NVM_NS_PIC]))
}

impl IdentifyController {
    /// Controller and format say each format's guard is in the NVM
    /// command set's Identify Namespace (CTRATT.ELBAS).
    pub const fn extended_lba_formats(&self) -> bool {
        self.ctratt & CTRATT_ELBAS != 0
    }

    /// Parses the Identify Controller data structure. Out of line: its
    /// temporaries would otherwise add to the frame of a kernel caller
    /// that goes on to call deeper.
    #[inline(never)]
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        let b = checked(b)?;
        Ok(IdentifyController {
            vendor_id: le16(b, 0),
            serial: AsciiField::from(b, 4),
            model: AsciiField::from(b, 24),
            firmware: AsciiField::from(b, 64),
            mdts: b[77],
            controller_id: le16(b, 78),
            version: le32(b, 80),
            rtd3_entry_us: le32(b, 88),
            crdt: [le16(b, 128), le16(b, 130), le16(b, 132)],
            oacs: le16(b, 256),
            abort_limit: b[258],
            lpa: b[261],
            subsystem_nqn: AsciiField::from(b, 768),
            npss: b[263],
            apsta: b[265] & 1 != 0,
            power_states: core::array::from_fn(|i| PowerState::parse(b, 2048 + 32 * i)),
            mtfa: le16(b, 270),
            aer_limit: b[259],
            oaes: le32(b, 92),
            ctratt: le32(b, 96),
            namespace_count: le32(b, 516),
            oncs: le16(b, 520),
            volatile_write_cache: b[525] & 1 != 0,
            wctemp: le16(b, 266),
            cctemp: le16(b, 268),
            awupf: le16(b, 528),
            sgls: le32(b, 536),
            hmpre: le32(b, 272),
            hmmin: le32(b, 276),
            hmminds: le32(b, 332),
            hmmaxd: le16(b, 336),
        })
    }

    /// How this controller's Identify data, read again after a reset,
    /// differs from `before`, what the driver was set up with.
    pub fn changes_since(&self, before: &IdentifyController) -> Changes {
        let mut rest = *self;
        rest.firmware = before.firmware;
        Changes {
            another_controller: self.vendor_id != before.vendor_id
                || self.serial != before.serial
                || self.model != before.model
                || self.subsystem_nqn != before.subsystem_nqn,
            firmware: self.firmware != before.firmware,
            capabilities: rest != *before,
        }
    }

    /// The largest transfer in bytes, given the controller's minimum page
    /// size, or `None` if the controller sets no limit.
    pub fn max_transfer_bytes(&self, min_page_shift: u32) -> Option<u64> {
        if self.mdts == 0 {
            return None;
        }
        1u64.checked_shl(min_page_shift + self.mdts as u32)
    }
}

/// One LBA Format descriptor (LBAF).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LbaFormat {
    /// Metadata bytes per block (MS).
    pub metadata_size: u16,
    /// Log2 of the data size of a block (LBADS).
    pub data_shift: u8,
    /// Relative performance, 0 best (RP).
    pub relative_performance: u8,
}

/// The Identify Namespace fields the driver uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdentifyNamespace {
    /// Namespace size in logical blocks (NSZE).
    pub size_blocks: u64,
    /// Namespace capacity in logical blocks (NCAP).
    pub capacity_blocks: u64,
    /// Blocks in use (NUSE).
    pub used_blocks: u64,
    /// Namespace features (NSFEAT).
    pub features: u8,
    /// Index of the LBA format the namespace is formatted with, from FLBAS.
    pub format_index: u8,
    /// The formatted LBA format.
    pub format: LbaFormat,
    /// The metadata is interleaved with the data of each block, an extended
    /// LBA (FLBAS bit 4); otherwise it is a separate buffer.
    pub extended_lba: bool,
    /// End-to-end Data Protection Type Settings (DPS): the PI type in bits
    /// 2:0, the PI's place in the metadata in bit 3.
    pub dps: u8,
    /// Namespace Globally Unique Identifier (NGUID), NVMe 1.2 and later;
    /// zero if not reported.
    pub nguid: [u8; 16],
    /// IEEE Extended Unique Identifier (EUI64), NVMe 1.1 and later; zero if
    /// not reported.
    pub eui64: [u8; 8],
    /// Deallocate Logical Block Features (DLFEAT): what a deallocated block
    /// reads as (bits 2:0), and whether Write Zeroes may deallocate
    /// (bit 3).
    pub dlfeat: u8,
    /// Namespace Attributes (NSATTR): bit 0, write protected.
    pub attributes: u8,
    /// The fields that say how the namespace likes to be written.
    pub write: WriteFields,
}

/// What Identify Namespace says about write sizes and atomicity, in
/// blocks minus one where the specification counts so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteFields {
    /// Namespace features (NSFEAT): bit 1, the atomicity fields are the
    /// namespace's own; bit 4, the optimal I/O fields are valid.
    pub features: u8,
    /// Namespace Atomic Write Unit Power Fail (NAWUPF).
    pub nawupf: u16,
    /// Namespace Atomic Boundary Offset (NABO), in blocks.
    pub nabo: u16,
    /// Namespace Atomic Boundary Size Power Fail (NABSPF).
    pub nabspf: u16,
    /// Namespace Preferred Write Granularity (NPWG).
    pub npwg: u16,
    /// Namespace Optimal Write Size (NOWS).
    pub nows: u16,
}

impl IdentifyNamespace {
    /// Parses the Identify Namespace data structure.
    ///
    /// Returns `Ok(None)` for an all-zero structure, which is what the
    /// controller returns for an inactive NSID.
    pub fn parse(b: &[u8]) -> Result<Option<Self>, ParseError> {
        let b = checked(b)?;
        let size_blocks = le64(b, 0);
        if size_blocks == 0 {
            return Ok(None);
        }
        let flbas = b[26];
        // FLBAS bits 3:0 hold the low index bits, bits 6:5 the high ones
        // (used when there are more than 16 formats).
        let format_index = (flbas & 0xf) | ((flbas >> 5) & 3) << 4;
        let at = 128 + 4 * format_index as usize;
        let format = LbaFormat {
            metadata_size: le16(b, at),
            data_shift: b[at + 2],
            relative_performance: b[at + 3] & 3,
        };
        if !(9..=16).contains(&format.data_shift) {
            return Err(ParseError::UnsupportedLbaSize(format.data_shift));
        }
        // What the driver may do with a format that has metadata is
        // `format::Format::block_access`'s decision, not a parse error.
        Ok(Some(IdentifyNamespace {
            size_blocks,
            capacity_blocks: le64(b, 8),
            used_blocks: le64(b, NUSE_OFFSET),
            features: b[24],
            format_index,
            format,
            extended_lba: flbas & 0x10 != 0,
            dps: b[29],
            nguid: field(b, 104),
            eui64: field(b, 120),
            dlfeat: b[33],
            attributes: b[99],
            write: WriteFields {
                features: b[24],
                nawupf: le16(b, 36),
                nabo: le16(b, 42),
                nabspf: le16(b, 44),
                npwg: le16(b, 64),
                nows: le16(b, 72),
            },
        }))
    }

    /// Logical block size in bytes.
    pub fn block_size(&self) -> u32 {
        1 << self.format.data_shift
    }

    /// Namespace size in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_blocks << self.format.data_shift
    }
}

/// A namespace's identifiers and command set, from its Namespace
/// Identification Descriptor list (Identify CNS 03h; C
/// `nvme_identify_ns_descs`), completed from Identify Namespace. An
/// identifier that is all zeroes is not reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NamespaceIds {
    /// IEEE Extended Unique Identifier (type 1).
    pub eui64: Option<[u8; 8]>,
    /// Namespace Globally Unique Identifier (type 2).
    pub nguid: Option<[u8; 16]>,
    /// Namespace UUID (type 3).
    pub uuid: Option<[u8; 16]>,
    /// Command Set Identifier (type 4), if reported.
    pub csi: Option<u8>,
}

impl NamespaceIds {
    /// Parses the descriptor list, which ends at a zero-length descriptor
    /// or one that would run past the buffer. Unknown types are skipped, as
    /// C skips them; a known type with the wrong length makes the list
    /// invalid.
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        let b = checked(b)?;
        let mut ids = NamespaceIds::default();
        let mut at = 0;
        // Each descriptor: type, length, two reserved bytes, the value.
        while at + 4 <= b.len() {
            let (kind, len) = (b[at], b[at + 1] as usize);
            if len == 0 {
                break;
            }
            let Some(value) = b.get(at + 4..at + 4 + len) else {
                break;
            };
            let wrong = |want: usize| {
                if len == want {
                    Ok(())
                } else {
                    Err(ParseError::BadDescriptor)
                }
            };
            match kind {
                1 => {
                    wrong(8)?;
                    ids.eui64 = value.try_into().ok().and_then(nonzero);
                }
                2 => {
                    wrong(16)?;
                    ids.nguid = value.try_into().ok().and_then(nonzero);
                }
                3 => {
                    wrong(16)?;
                    ids.uuid = value.try_into().ok().and_then(nonzero);
                }
                4 => {
                    wrong(1)?;
                    ids.csi = Some(value[0]);
                }
                _ => {}
            }
            at += 4 + len;
        }
        Ok(ids)
    }

    /// Fills in what the descriptors left out from Identify Namespace's own
    /// fields, as C's `nvme_ns_info_from_identify`: the EUI-64 on a
    /// controller of NVMe 1.1 or later (`version`), the NGUID from 1.2.
    pub fn complete_from(&mut self, id: &IdentifyNamespace, version: u32) {
        if version >= 0x0001_0100 && self.eui64.is_none() {
            self.eui64 = nonzero(id.eui64);
        }
        if version >= 0x0001_0200 && self.nguid.is_none() {
            self.nguid = nonzero(id.nguid);
        }
    }
}

/// The NVM Command Set specific Identify Controller fields the driver uses
/// (Identify CNS 06h, CSI 0; C `struct nvme_id_ctrl_nvm`). Zero means no
/// limit reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdentifyControllerNvm {
    /// Write Zeroes Size Limit, a power of two in units of the minimum
    /// memory page size (WZSL).
    pub wzsl: u8,
    /// Dataset Management Ranges Limit: most ranges in one command (DMRL).
    pub dmrl: u8,
    /// Dataset Management Range Size Limit: most logical blocks in one
    /// range (DMRSL).
    pub dmrsl: u32,
}

impl IdentifyControllerNvm {
    /// Parses the data structure.
    pub fn parse(b: &[u8]) -> Result<Self, ParseError> {
        let b = checked(b)?;
        Ok(IdentifyControllerNvm {
            wzsl: b[1],
            dmrl: b[3],
            dmrsl: le32(b, 4),
        })
    }

    /// The Write Zeroes limit in 512-byte sectors, for a minimum page size
    /// of `1 << page_shift` bytes, if one is reported (C
    /// `nvme_mps_to_sectors`: `u32::MAX` where it does not fit).
    pub fn write_zeroes_sectors(&self, page_shift: u32) -> Option<u32> {
        if self.wzsl == 0 {
            return None;
        }
        let shift = u32::from(self.wzsl) + page_shift - 9;
        Some(if shift >= 32 { u32::MAX } else { 1 << shift })
    }
}

/// Number of entries in an Active Namespace ID list.
pub const NS_LIST_ENTRIES: usize = IDENTIFY_DATA_SIZE / 4;

/// The active NSIDs from an Active Namespace ID list, in the ascending order
/// the controller returns them; the list ends at the first zero entry.
pub fn active_namespaces(b: &[u8]) -> Result<impl Iterator<Item = u32> + '_, ParseError> {
    let b = checked(b)?;
    Ok(b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .take_while(|&nsid| nsid != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(b: &mut [u8], at: usize, bytes: &[u8]) {
        b[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn padded<const N: usize>(s: &str) -> [u8; N] {
        let mut f = [b' '; N];
        f[..s.len()].copy_from_slice(s.as_bytes());
        f
    }

    fn qemu_id_ctrl() -> [u8; IDENTIFY_DATA_SIZE] {
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        put(&mut b, 0, &0x1b36u16.to_le_bytes());
        put(&mut b, 4, &padded::<20>("nvmers-ci-0001"));
        put(&mut b, 24, &padded::<40>("QEMU NVMe Ctrl"));
        put(&mut b, 64, &padded::<8>("7.2.22"));
        b[77] = 7;
        put(&mut b, 78, &0x0001u16.to_le_bytes());
        put(&mut b, 80, &0x0001_0400u32.to_le_bytes());
        put(&mut b, 88, &1_000_000u32.to_le_bytes());
        put(&mut b, 92, &0x0000_0100u32.to_le_bytes());
        put(&mut b, 96, &CTRATT_ELBAS.to_le_bytes());
        put(&mut b, 256, &0x000au16.to_le_bytes());
        b[258] = 3;
        b[259] = 3;
        put(&mut b, 516, &256u32.to_le_bytes());
        put(&mut b, 520, &0x015du16.to_le_bytes());
        b[525] = 7;
        put(&mut b, 536, &0x0010_0001u32.to_le_bytes());
        b
    }

    #[test]
    fn controller_fields() {
        let id = IdentifyController::parse(&qemu_id_ctrl()).unwrap();
        assert_eq!(id.vendor_id, 0x1b36);
        assert_eq!(id.serial.trimmed().as_bytes(), b"nvmers-ci-0001");
        assert_eq!(id.model.trimmed().as_bytes(), b"QEMU NVMe Ctrl");
        assert_eq!(id.firmware.trimmed().as_bytes(), b"7.2.22");
        assert_eq!(id.mdts, 7);
        assert_eq!(id.controller_id, 1);
        assert_eq!(id.version, 0x0001_0400);
        assert_eq!(id.rtd3_entry_us, 1_000_000);
        assert_eq!(id.oacs, 0x0a);
        assert_eq!((id.abort_limit, id.aer_limit), (3, 3));
        assert_eq!(id.oaes, 0x100);
        // QEMU since 7.1 has Extended LBA Formats.
        assert!(id.extended_lba_formats());
        assert_eq!(id.namespace_count, 256);
        assert_eq!(id.oncs, 0x015d);
        assert!(id.volatile_write_cache);
        assert_eq!(id.sgls, 0x0010_0001);
        assert_eq!(id.max_transfer_bytes(12), Some(512 * 1024));
        // QEMU 7.2 has no Host Memory Buffer.
        assert_eq!((id.hmpre, id.hmmin, id.hmminds, id.hmmaxd), (0, 0, 0, 0));
        // Nor retry delays.
        assert_eq!(id.crdt, [0; 3]);
    }

    #[test]
    fn retry_delay_times() {
        let mut b = qemu_id_ctrl();
        // C's struct nvme_id_ctrl: ctratt (96), rsvd100[11], cntrltype
        // (111), fguid[16] (112), then crdt1, crdt2, crdt3 from byte 128;
        // FGUID and the reserved bytes after CRDT3 are not delay times.
        b[112..128].fill(0xff);
        put(&mut b, 128, &5u16.to_le_bytes());
        put(&mut b, 130, &20u16.to_le_bytes());
        put(&mut b, 132, &0x1234u16.to_le_bytes());
        b[134..256].fill(0xff);
        assert_eq!(IdentifyController::parse(&b).unwrap().crdt, [5, 20, 0x1234]);
    }

    #[test]
    fn nvm_namespace_guard_fields() {
        // C's struct nvme_id_ns_nvm: LBSTM (0-7), PIC (8), ELBAF (12-).
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        b[0..8].fill(0xff);
        b[8] = 0x08;
        put(&mut b, 12, &0x0000_0000u32.to_le_bytes());
        put(&mut b, 12 + 4 * 3, &(2u32 << 7).to_le_bytes());
        put(&mut b, 12 + 4 * 63, &0x1234u32.to_le_bytes());
        assert_eq!(nvm_elbaf_pic(&b, 0), Ok((0, 0x08)));
        assert_eq!(nvm_elbaf_pic(&b, 3), Ok((2 << 7, 0x08)));
        assert_eq!(nvm_elbaf_pic(&b, 63), Ok((0x1234, 0x08)));
        assert!(nvm_elbaf_pic(&b[..100], 0).is_err());
    }

    #[test]
    fn host_memory_fields() {
        // At the offsets of C's struct nvme_id_ctrl, and no byte besides.
        let mut b = qemu_id_ctrl();
        put(&mut b, 272, &0x0001_0000u32.to_le_bytes());
        put(&mut b, 276, &0x0000_2000u32.to_le_bytes());
        put(&mut b, 332, &0x0000_0010u32.to_le_bytes());
        put(&mut b, 336, &0x0100u16.to_le_bytes());
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!(
            (id.hmpre, id.hmmin, id.hmminds, id.hmmaxd),
            (65536, 8192, 16, 256)
        );
        let mut rest = id;
        (rest.hmpre, rest.hmmin, rest.hmminds, rest.hmmaxd) = (0, 0, 0, 0);
        assert_eq!(rest, IdentifyController::parse(&qemu_id_ctrl()).unwrap());
        // The neighbours do not leak in: MTFA (270) before, TNVMCAP (280)
        // after HMMIN; SANICAP (328) before HMMINDS, bytes 338 on after
        // HMMAXD.
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        b[270..272].fill(0xff);
        b[280..296].fill(0xff);
        b[328..332].fill(0xff);
        b[338..342].fill(0xff);
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!((id.hmpre, id.hmmin, id.hmminds, id.hmmaxd), (0, 0, 0, 0));
    }

    #[test]
    fn changes_across_a_reset() {
        let before = IdentifyController::parse(&qemu_id_ctrl()).unwrap();
        let none = Changes {
            another_controller: false,
            firmware: false,
            capabilities: false,
        };
        assert_eq!(before.changes_since(&before), none);

        let mut b = qemu_id_ctrl();
        put(&mut b, 64, b"7.2.23  ");
        let after = IdentifyController::parse(&b).unwrap();
        assert_eq!(
            after.changes_since(&before),
            Changes {
                firmware: true,
                ..none
            }
        );

        // A limit or an optional feature.
        for (at, value) in [(77, 5u8), (256, 0x02), (520, 0x01), (525, 0), (536, 0)] {
            let mut b = qemu_id_ctrl();
            b[at] = value;
            let after = IdentifyController::parse(&b).unwrap();
            assert_eq!(
                after.changes_since(&before),
                Changes {
                    capabilities: true,
                    ..none
                },
                "byte {at}"
            );
        }

        // The identity: another controller.
        for at in [0, 4, 24, 768] {
            let mut b = qemu_id_ctrl();
            b[at] ^= 1;
            let after = IdentifyController::parse(&b).unwrap();
            assert_eq!(
                after.changes_since(&before),
                Changes {
                    another_controller: true,
                    firmware: false,
                    capabilities: true
                },
                "byte {at}"
            );
        }
    }

    #[test]
    fn mdts_zero_means_unlimited() {
        let mut b = qemu_id_ctrl();
        b[77] = 0;
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!(id.max_transfer_bytes(12), None);
        b[77] = 255;
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!(id.max_transfer_bytes(12), None, "overflowing shift");
    }

    #[test]
    fn wrong_size_is_rejected() {
        assert_eq!(
            IdentifyController::parse(&[0; 4095]),
            Err(ParseError::WrongSize)
        );
        assert_eq!(
            IdentifyNamespace::parse(&[0; 4097]),
            Err(ParseError::WrongSize)
        );
        assert!(active_namespaces(&[0; 12]).is_err());
    }

    #[test]
    fn ascii_display_trims_and_sanitises() {
        let mut b = qemu_id_ctrl();
        put(&mut b, 4, &padded::<20>("ab\ncd\x7f"));
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!(format!("{}", id.serial.trimmed()), "ab?cd?");
        put(&mut b, 4, &[0u8; 20]);
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!(format!("{}", id.serial.trimmed()), "");
        put(&mut b, 4, &[b'x'; 20]);
        let id = IdentifyController::parse(&b).unwrap();
        assert_eq!(id.serial.trimmed().as_bytes().len(), 20);
    }

    fn id_ns(nsze: u64, flbas: u8, formats: &[(u16, u8)]) -> [u8; IDENTIFY_DATA_SIZE] {
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        put(&mut b, 0, &nsze.to_le_bytes());
        put(&mut b, 8, &nsze.to_le_bytes());
        put(&mut b, 16, &(nsze / 2).to_le_bytes());
        b[25] = formats.len() as u8 - 1;
        b[26] = flbas;
        for (i, &(ms, lbads)) in formats.iter().enumerate() {
            put(&mut b, 128 + 4 * i, &ms.to_le_bytes());
            b[128 + 4 * i + 2] = lbads;
        }
        b
    }

    #[test]
    fn namespace_512() {
        let b = id_ns(131072, 0, &[(0, 9), (0, 12)]);
        let ns = IdentifyNamespace::parse(&b).unwrap().unwrap();
        assert_eq!(ns.size_blocks, 131072);
        assert_eq!(ns.capacity_blocks, 131072);
        assert_eq!(ns.used_blocks, 65536);
        assert_eq!(ns.format_index, 0);
        assert_eq!(ns.block_size(), 512);
        assert_eq!(ns.size_bytes(), 64 << 20);
    }

    #[test]
    fn namespace_4k_selected_by_flbas() {
        let b = id_ns(32768, 1, &[(0, 9), (0, 12)]);
        let ns = IdentifyNamespace::parse(&b).unwrap().unwrap();
        assert_eq!(ns.format_index, 1);
        assert_eq!(ns.block_size(), 4096);
        assert_eq!(ns.size_bytes(), 128 << 20);
    }

    #[test]
    fn flbas_high_bits_select_formats_beyond_16() {
        let mut formats = [(0u16, 9u8); 20];
        formats[18] = (0, 13);
        // Index 18 = 0b1_0010: low nibble 2, bits 6:5 = 01.
        let b = id_ns(100, 0x22, &formats);
        let ns = IdentifyNamespace::parse(&b).unwrap().unwrap();
        assert_eq!(ns.format_index, 18);
        assert_eq!(ns.block_size(), 8192);
    }

    #[test]
    fn inactive_namespace_is_none() {
        assert_eq!(IdentifyNamespace::parse(&[0; IDENTIFY_DATA_SIZE]), Ok(None));
    }

    #[test]
    fn bad_formats_are_rejected() {
        let b = id_ns(8, 0, &[(0, 8)]);
        assert_eq!(
            IdentifyNamespace::parse(&b),
            Err(ParseError::UnsupportedLbaSize(8))
        );
        let b = id_ns(8, 0, &[(0, 17)]);
        assert_eq!(
            IdentifyNamespace::parse(&b),
            Err(ParseError::UnsupportedLbaSize(17))
        );
    }

    #[test]
    fn metadata_layout_and_protection_are_read() {
        // Interleaved (FLBAS bit 4 set) and separate metadata both parse;
        // `format::Format::block_access` decides what each may do.
        let mut b = id_ns(8, 0x10, &[(16, 9)]);
        b[29] = 0x09;
        let ns = IdentifyNamespace::parse(&b).unwrap().unwrap();
        assert!(ns.extended_lba);
        assert_eq!(ns.format.metadata_size, 16);
        assert_eq!(ns.dps, 0x09);
        let b = id_ns(8, 0, &[(8, 9)]);
        let ns = IdentifyNamespace::parse(&b).unwrap().unwrap();
        assert!(!ns.extended_lba);
        assert_eq!(ns.format.metadata_size, 8);
        assert_eq!(ns.dps, 0);
    }

    fn descriptor(b: &mut [u8], at: usize, kind: u8, value: &[u8]) -> usize {
        b[at] = kind;
        b[at + 1] = value.len() as u8;
        put(b, at + 4, value);
        at + 4 + value.len()
    }

    #[test]
    fn namespace_descriptors() {
        // As QEMU 7.2 lists them for a zoned namespace.
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        let mut at = descriptor(&mut b, 0, 3, &[0x11; 16]);
        at = descriptor(&mut b, at, 1, &[0x22; 8]);
        at = descriptor(&mut b, at, 2, &[0x33; 16]);
        at = descriptor(&mut b, at, 9, &[0x44; 5]); // Unknown: skipped.
        descriptor(&mut b, at, 4, &[2]);
        let ids = NamespaceIds::parse(&b).unwrap();
        assert_eq!(ids.uuid, Some([0x11; 16]));
        assert_eq!(ids.eui64, Some([0x22; 8]));
        assert_eq!(ids.nguid, Some([0x33; 16]));
        assert_eq!(ids.csi, Some(2));

        assert_eq!(
            NamespaceIds::parse(&[0; IDENTIFY_DATA_SIZE]),
            Ok(NamespaceIds::default())
        );
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        descriptor(&mut b, 0, 4, &[0, 0]);
        assert_eq!(NamespaceIds::parse(&b), Err(ParseError::BadDescriptor));
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        descriptor(&mut b, 0, 1, &[0; 16]);
        assert_eq!(NamespaceIds::parse(&b), Err(ParseError::BadDescriptor));
        // A length running past the end ends the list, as in C.
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        let mut at = descriptor(&mut b, 0, 4, &[2]);
        while at + 4 + 255 <= IDENTIFY_DATA_SIZE {
            at = descriptor(&mut b, at, 9, &[0; 255]);
        }
        b[at] = 1;
        b[at + 1] = 8 + (IDENTIFY_DATA_SIZE - at) as u8;
        let ids = NamespaceIds::parse(&b).unwrap();
        assert_eq!((ids.csi, ids.eui64), (Some(2), None));
        assert_eq!(NamespaceIds::parse(&[0; 100]), Err(ParseError::WrongSize));
    }

    #[test]
    fn nvm_controller_limits() {
        // As QEMU 7.2 reports them: no WZSL or DMRL, DMRSL 524287.
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        b[0] = 7;
        put(&mut b, 4, &524_287u32.to_le_bytes());
        let nvm = IdentifyControllerNvm::parse(&b).unwrap();
        assert_eq!(
            nvm,
            IdentifyControllerNvm {
                wzsl: 0,
                dmrl: 0,
                dmrsl: 524_287
            }
        );
        assert_eq!(nvm.write_zeroes_sectors(12), None);
        b[1] = 5;
        b[3] = 16;
        let nvm = IdentifyControllerNvm::parse(&b).unwrap();
        assert_eq!(nvm.dmrl, 16);
        // 2^5 pages of 4 KiB: 128 KiB, 256 sectors.
        assert_eq!(nvm.write_zeroes_sectors(12), Some(256));
        b[1] = 40;
        let nvm = IdentifyControllerNvm::parse(&b).unwrap();
        assert_eq!(nvm.write_zeroes_sectors(12), Some(u32::MAX));
    }

    #[test]
    fn zero_identifiers_are_not_reported() {
        // QEMU lists a UUID descriptor even for a null UUID.
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        let at = descriptor(&mut b, 0, 3, &[0; 16]);
        descriptor(&mut b, at, 1, &[0; 8]);
        assert_eq!(NamespaceIds::parse(&b), Ok(NamespaceIds::default()));
    }

    #[test]
    fn identify_namespace_completes_the_descriptors_by_version() {
        let mut b = id_ns(1 << 20, 0, &[(0, 9)]);
        put(&mut b, 104, &[0x33; 16]);
        put(&mut b, 120, &[0x22; 8]);
        let ns = IdentifyNamespace::parse(&b).unwrap().unwrap();
        assert_eq!((ns.nguid, ns.eui64), ([0x33; 16], [0x22; 8]));
        // C: the EUI-64 from NVMe 1.1, the NGUID from 1.2, where the
        // descriptors had none.
        for (version, eui64, nguid) in [
            (0x0001_0000, None, None),
            (0x0001_0100, Some([0x22; 8]), None),
            (0x0001_0200, Some([0x22; 8]), Some([0x33; 16])),
            (0x0001_0400, Some([0x22; 8]), Some([0x33; 16])),
        ] {
            let mut ids = NamespaceIds::default();
            ids.complete_from(&ns, version);
            assert_eq!((ids.eui64, ids.nguid), (eui64, nguid), "{version:#x}");
        }
        // The descriptors' own values stay.
        let mut ids = NamespaceIds {
            eui64: Some([0x44; 8]),
            nguid: Some([0x55; 16]),
            ..NamespaceIds::default()
        };
        ids.complete_from(&ns, 0x0001_0400);
        assert_eq!((ids.eui64, ids.nguid), (Some([0x44; 8]), Some([0x55; 16])));
        // Zero fields report nothing.
        let ns = IdentifyNamespace::parse(&id_ns(1 << 20, 0, &[(0, 9)]))
            .unwrap()
            .unwrap();
        let mut ids = NamespaceIds::default();
        ids.complete_from(&ns, 0x0001_0400);
        assert_eq!(ids, NamespaceIds::default());
    }

    #[test]
    fn namespace_list_stops_at_zero() {
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        for (i, nsid) in [1u32, 2, 5].iter().enumerate() {
            put(&mut b, 4 * i, &nsid.to_le_bytes());
        }
        put(&mut b, 20, &9u32.to_le_bytes());
        let ids: Vec<u32> = active_namespaces(&b).unwrap().collect();
        assert_eq!(ids, [1, 2, 5]);
        assert_eq!(
            active_namespaces(&[0; IDENTIFY_DATA_SIZE]).unwrap().count(),
            0
        );
        let full = [0x11u8; IDENTIFY_DATA_SIZE];
        assert_eq!(active_namespaces(&full).unwrap().count(), NS_LIST_ENTRIES);
    }
}
