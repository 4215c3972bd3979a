// SPDX-License-Identifier: GPL-2.0

//! The passthrough user ABI of `include/uapi/linux/nvme_ioctl.h`: ioctl and
//! io_uring command numbers, the structures user space hands in, and the
//! checks the C driver (`drivers/nvme/host/ioctl.c`) makes before it builds
//! a command from them.

use super::command::Command;
use super::format::{Format, PRACT};

/// `_IOC(dir, 'N', nr, size)` as `<asm-generic/ioctl.h>` encodes it.
const fn ioc(dir: u32, nr: u32, size: u32) -> u32 {
    (dir << 30) | (size << 16) | ((b'N' as u32) << 8) | nr
}
const NONE: u32 = 0;
const WRITE: u32 = 1;
const READ_WRITE: u32 = 3;

/// Size of `struct nvme_passthru_cmd` (also `nvme_admin_cmd`) and of
/// `struct nvme_uring_cmd`, which shares its layout up to the last dword.
pub const PASSTHRU_CMD_SIZE: usize = 72;
/// Size of `struct nvme_passthru_cmd64`.
pub const PASSTHRU_CMD64_SIZE: usize = 80;
/// Size of `struct nvme_user_io`.
pub const USER_IO_SIZE: usize = 48;
/// Size of `struct nvme_user_io` on 32-bit x86, whose 64-bit fields are
/// 4-byte aligned: the same fields at the same offsets, without the 64-bit
/// layout's trailing padding.
pub const USER_IO32_SIZE: usize = 44;

/// `NVME_IOCTL_ID`: returns the namespace ID.
pub const IOCTL_ID: u32 = ioc(NONE, 0x40, 0);
/// `NVME_IOCTL_ADMIN_CMD`.
pub const IOCTL_ADMIN_CMD: u32 = ioc(READ_WRITE, 0x41, PASSTHRU_CMD_SIZE as u32);
/// `NVME_IOCTL_SUBMIT_IO`.
pub const IOCTL_SUBMIT_IO: u32 = ioc(WRITE, 0x42, USER_IO_SIZE as u32);
/// `NVME_IOCTL_SUBMIT_IO` as a 32-bit x86 program numbers it (C's
/// `NVME_IOCTL_SUBMIT_IO32`).
pub const IOCTL_SUBMIT_IO32: u32 = ioc(WRITE, 0x42, USER_IO32_SIZE as u32);
/// `NVME_IOCTL_IO_CMD`.
pub const IOCTL_IO_CMD: u32 = ioc(READ_WRITE, 0x43, PASSTHRU_CMD_SIZE as u32);
/// `NVME_IOCTL_RESET`.
pub const IOCTL_RESET: u32 = ioc(NONE, 0x44, 0);
/// `NVME_IOCTL_SUBSYS_RESET`.
pub const IOCTL_SUBSYS_RESET: u32 = ioc(NONE, 0x45, 0);
/// `NVME_IOCTL_RESCAN`.
pub const IOCTL_RESCAN: u32 = ioc(NONE, 0x46, 0);
/// `NVME_IOCTL_ADMIN64_CMD`.
pub const IOCTL_ADMIN64_CMD: u32 = ioc(READ_WRITE, 0x47, PASSTHRU_CMD64_SIZE as u32);
/// `NVME_IOCTL_IO64_CMD`.
pub const IOCTL_IO64_CMD: u32 = ioc(READ_WRITE, 0x48, PASSTHRU_CMD64_SIZE as u32);
/// `NVME_IOCTL_IO64_CMD_VEC`.
pub const IOCTL_IO64_CMD_VEC: u32 = ioc(READ_WRITE, 0x49, PASSTHRU_CMD64_SIZE as u32);

/// `NVME_URING_CMD_IO`.
pub const URING_CMD_IO: u32 = ioc(READ_WRITE, 0x80, PASSTHRU_CMD_SIZE as u32);
/// `NVME_URING_CMD_IO_VEC`.
pub const URING_CMD_IO_VEC: u32 = ioc(READ_WRITE, 0x81, PASSTHRU_CMD_SIZE as u32);
/// `NVME_URING_CMD_ADMIN`.
pub const URING_CMD_ADMIN: u32 = ioc(READ_WRITE, 0x82, PASSTHRU_CMD_SIZE as u32);
/// `NVME_URING_CMD_ADMIN_VEC`.
pub const URING_CMD_ADMIN_VEC: u32 = ioc(READ_WRITE, 0x83, PASSTHRU_CMD_SIZE as u32);

/// The ioctls of the NVMe nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ioctl {
    /// `NVME_IOCTL_ID`.
    Id,
    /// `NVME_IOCTL_ADMIN_CMD`: 32-bit result.
    AdminCmd,
    /// `NVME_IOCTL_ADMIN64_CMD`: 64-bit result.
    Admin64Cmd,
    /// `NVME_IOCTL_IO_CMD`: 32-bit result.
    IoCmd,
    /// `NVME_IOCTL_IO64_CMD`, vectored (`NVME_IOCTL_IO64_CMD_VEC`) or not.
    Io64Cmd {
        /// `addr` points at an iovec array of `data_len` entries.
        vectored: bool,
    },
    /// `NVME_IOCTL_SUBMIT_IO`: a read, write or compare in `nvme_user_io`.
    SubmitIo,
    /// `NVME_IOCTL_RESET`.
    Reset,
    /// `NVME_IOCTL_SUBSYS_RESET`.
    SubsysReset,
    /// `NVME_IOCTL_RESCAN`.
    Rescan,
}

impl Ioctl {
    /// The ioctl `cmd` names, or `None` for any other number (`ENOTTY`).
    pub const fn from_number(cmd: u32) -> Option<Self> {
        Some(match cmd {
            IOCTL_ID => Ioctl::Id,
            IOCTL_ADMIN_CMD => Ioctl::AdminCmd,
            IOCTL_ADMIN64_CMD => Ioctl::Admin64Cmd,
            IOCTL_IO_CMD => Ioctl::IoCmd,
            IOCTL_IO64_CMD => Ioctl::Io64Cmd { vectored: false },
            IOCTL_IO64_CMD_VEC => Ioctl::Io64Cmd { vectored: true },
            // Its fields are where the 64-bit layout has them, so the
            // 32-bit number reads the same 48 bytes, as C's ioctl.c means
            // to: there the case sits under `#ifdef COMPAT_FOR_U64_ALIGNMENT`,
            // which nothing defines (the Kconfig symbol has a `CONFIG_`
            // prefix), so C 6.12 refuses it with ENOTTY.
            IOCTL_SUBMIT_IO | IOCTL_SUBMIT_IO32 => Ioctl::SubmitIo,
            IOCTL_RESET => Ioctl::Reset,
            IOCTL_SUBSYS_RESET => Ioctl::SubsysReset,
            IOCTL_RESCAN => Ioctl::Rescan,
            _ => return None,
        })
    }

    /// The ioctls that address the controller even when sent to a
    /// namespace node (C `is_ctrl_ioctl`).
    pub const fn is_controller_ioctl(self) -> bool {
        matches!(self, Ioctl::AdminCmd | Ioctl::Admin64Cmd)
    }

    /// Size of the structure the argument points at, if any.
    pub const fn arg_size(self) -> usize {
        match self {
            Ioctl::AdminCmd | Ioctl::IoCmd => PASSTHRU_CMD_SIZE,
            Ioctl::Admin64Cmd | Ioctl::Io64Cmd { .. } => PASSTHRU_CMD64_SIZE,
            Ioctl::SubmitIo => USER_IO_SIZE,
            Ioctl::Id | Ioctl::Reset | Ioctl::SubsysReset | Ioctl::Rescan => 0,
        }
    }

    /// Byte offset of the result field written back, and its size (4 or 8).
    pub const fn result_field(self) -> Option<(usize, usize)> {
        match self {
            Ioctl::AdminCmd | Ioctl::IoCmd => Some((68, 4)),
            Ioctl::Admin64Cmd | Ioctl::Io64Cmd { .. } => Some((72, 8)),
            _ => None,
        }
    }
}

/// The io_uring commands of the NVMe nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UringOp {
    /// An I/O command on a namespace node.
    Io {
        /// `addr` points at an iovec array of `data_len` entries.
        vectored: bool,
    },
    /// An admin command on the controller node.
    Admin {
        /// As for [`UringOp::Io`].
        vectored: bool,
    },
}

impl UringOp {
    /// The command `cmd_op` names, or `None` (`ENOTTY`).
    pub const fn from_number(cmd_op: u32) -> Option<Self> {
        Some(match cmd_op {
            URING_CMD_IO => UringOp::Io { vectored: false },
            URING_CMD_IO_VEC => UringOp::Io { vectored: true },
            URING_CMD_ADMIN => UringOp::Admin { vectored: false },
            URING_CMD_ADMIN_VEC => UringOp::Admin { vectored: true },
            _ => return None,
        })
    }
}

/// Why user input was refused before any command was built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The structure was shorter than its type (a bug of the caller's glue).
    Truncated,
    /// `flags` is not zero: the driver sets the PSDT bits itself.
    Flags,
    /// The command's NSID is not the namespace of the node it was sent to.
    Nsid,
    /// `NVME_IOCTL_SUBMIT_IO` with an opcode other than read, write, compare.
    Opcode,
    /// A metadata buffer was given where there is nothing to map it for
    /// (the admin queue, a disk without integrity profile), one too small
    /// for the metadata the command moves, or none where the command would
    /// move separate metadata (see `format::Format::metadata_bytes`).
    Metadata,
}

// Inlined: parsing a command reads a dozen fields, for every io_uring
// command.
#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

/// `struct nvme_passthru_cmd`, `nvme_passthru_cmd64` and
/// `nvme_uring_cmd`: a raw command and where its data is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassthruCmd {
    /// Opcode.
    pub opcode: u8,
    /// Command flags; must be zero.
    pub flags: u8,
    /// Namespace ID.
    pub nsid: u32,
    /// Command dwords 2 and 3.
    pub cdw2: u32,
    /// See `cdw2`.
    pub cdw3: u32,
    /// User address of a metadata buffer.
    pub metadata: u64,
    /// User address of the data buffer, or of an iovec array.
    pub addr: u64,
    /// Metadata buffer length.
    pub metadata_len: u32,
    /// Data length in bytes, or the number of iovecs.
    pub data_len: u32,
    /// Command dwords 10 to 15.
    pub cdw10_15: [u32; 6],
    /// Timeout in milliseconds; 0 for the driver's default.
    pub timeout_ms: u32,
}

impl PassthruCmd {
    /// Parses the structure's first 72 bytes, common to all three types.
    /// Always inline: on every io_uring command's path, where out of line
    /// it copies all 72 bytes into its result for the caller to read
    /// again.
    #[inline(always)]
    pub fn parse(b: &[u8]) -> Result<Self, Invalid> {
        if b.len() < PASSTHRU_CMD_SIZE {
            return Err(Invalid::Truncated);
        }
        let mut cdw10_15 = [0u32; 6];
        for (i, dw) in cdw10_15.iter_mut().enumerate() {
            *dw = u32_at(b, 40 + 4 * i);
        }
        Ok(PassthruCmd {
            opcode: b[0],
            flags: b[1],
            nsid: u32_at(b, 4),
            cdw2: u32_at(b, 8),
            cdw3: u32_at(b, 12),
            metadata: u64_at(b, 16),
            addr: u64_at(b, 24),
            metadata_len: u32_at(b, 32),
            data_len: u32_at(b, 36),
            cdw10_15,
            timeout_ms: u32_at(b, 64),
        })
    }

    /// Checks the command as C's `nvme_user_cmd` and `nvme_uring_cmd_io`
    /// do: no flags, and on a namespace node (`node_nsid`) the namespace's
    /// own NSID. On the admin queue (no `node_nsid`) a metadata buffer is
    /// refused, as C refuses it where there is no disk, looking only when
    /// there is data to map; a namespace's is [`Self::check_metadata`]'s.
    pub fn validate(&self, node_nsid: Option<u32>) -> Result<(), Invalid> {
        if self.flags != 0 {
            return Err(Invalid::Flags);
        }
        match node_nsid {
            Some(nsid) if nsid != self.nsid => Err(Invalid::Nsid),
            None if self.metadata_buffer().is_some() => Err(Invalid::Metadata),
            _ => Ok(()),
        }
    }

    /// The metadata buffer, as (user address, length), where one is given
    /// and there is data (C maps it only then).
    pub const fn metadata_buffer(&self) -> Option<(u64, u32)> {
        if self.has_data() && self.metadata != 0 && self.metadata_len != 0 {
            Some((self.metadata, self.metadata_len))
        } else {
            None
        }
    }

    /// The command, without identifier or data pointer.
    pub fn command(&self) -> Command {
        let [c10, c11, c12, c13, c14, c15] = self.cdw10_15;
        Command::new(self.opcode)
            .with_nsid(self.nsid)
            .with_cdw2_3(self.cdw2, self.cdw3)
            .with_cdw::<10>(c10)
            .with_cdw::<11>(c11)
            .with_cdw::<12>(c12)
            .with_cdw::<13>(c13)
            .with_cdw::<14>(c14)
            .with_cdw::<15>(c15)
    }

    /// The metadata buffer to map for the command on a namespace
    /// formatted as `format`, where `integrity` says the kernel has block
    /// integrity profiles (so a disk with separate metadata carries one).
    /// Refused:
    /// - a buffer without integrity support, as C refuses it;
    /// - a buffer smaller than the metadata the command moves, or for a
    ///   vendor command whose use of it is unknown: C maps it anyway, and
    ///   the controller then writes or reads past it;
    /// - no buffer where the command would move separate metadata: the
    ///   pointer would be 0. C 6.12 sends such a command; the controller
    ///   then writes or reads host address 0.
    #[inline]
    pub fn check_metadata(
        &self,
        format: &Format,
        integrity: bool,
    ) -> Result<Option<(u64, u32)>, Invalid> {
        let cdw12 = self.cdw10_15[2];
        let Some((addr, len)) = self.metadata_buffer() else {
            if format.moves_separate_metadata(self.opcode, cdw12) {
                return Err(Invalid::Metadata);
            }
            return Ok(None);
        };
        match format.metadata_bytes(self.opcode, cdw12) {
            Some(need) if integrity && u64::from(len) >= need => Ok(Some((addr, len))),
            _ => Err(Invalid::Metadata),
        }
    }

    /// Whether data moves (C maps a buffer only when both are non-zero).
    pub const fn has_data(&self) -> bool {
        self.addr != 0 && self.data_len != 0
    }
}

/// Opcodes `NVME_IOCTL_SUBMIT_IO` accepts.
const NVM_WRITE: u8 = 0x01;
const NVM_READ: u8 = 0x02;
const NVM_COMPARE: u8 = 0x05;

/// `struct nvme_user_io`: a read, write or compare of `nblocks + 1` blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserIo {
    /// Opcode: read, write or compare.
    pub opcode: u8,
    /// Must be zero.
    pub flags: u8,
    /// CDW12 bits 31:16 (FUA, limited retry, PRINFO).
    pub control: u16,
    /// Blocks to transfer, minus one.
    pub nblocks: u16,
    /// User address of a metadata buffer.
    pub metadata: u64,
    /// User address of the data.
    pub addr: u64,
    /// First block.
    pub slba: u64,
    /// CDW13.
    pub dsmgmt: u32,
    /// Initial reference tag (CDW14).
    pub reftag: u32,
    /// Application tag (CDW15 bits 15:0).
    pub apptag: u16,
    /// Application tag mask (CDW15 bits 31:16).
    pub appmask: u16,
}

impl UserIo {
    /// Parses the 48-byte structure.
    pub fn parse(b: &[u8]) -> Result<Self, Invalid> {
        if b.len() < USER_IO_SIZE {
            return Err(Invalid::Truncated);
        }
        Ok(UserIo {
            opcode: b[0],
            flags: b[1],
            control: u16::from_le_bytes([b[2], b[3]]),
            nblocks: u16::from_le_bytes([b[4], b[5]]),
            metadata: u64_at(b, 8),
            addr: u64_at(b, 16),
            slba: u64_at(b, 24),
            dsmgmt: u32_at(b, 32),
            reftag: u32_at(b, 36),
            apptag: u16::from_le_bytes([b[40], b[41]]),
            appmask: u16::from_le_bytes([b[42], b[43]]),
        })
    }

    /// Checks it as C's `nvme_submit_io` does for a namespace without
    /// metadata, where the metadata pointer is ignored.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.flags != 0 {
            return Err(Invalid::Flags);
        }
        match self.opcode {
            NVM_WRITE | NVM_READ | NVM_COMPARE => Ok(()),
            _ => Err(Invalid::Opcode),
        }
    }

    /// CDW12 of the command.
    const fn cdw12(&self) -> u32 {
        self.nblocks as u32 | (self.control as u32) << 16
    }

    /// The bytes the data buffer holds on a namespace formatted as
    /// `format`, with an extended LBA's metadata counted in, and the
    /// metadata buffer (user address, length) where the metadata is
    /// separate, as C's `nvme_submit_io` works them out: the metadata of
    /// every block, whose pointer must be given and dword aligned. With
    /// PRACT on PI that is the whole metadata, nothing moves and a
    /// metadata pointer is refused. `integrity` says the kernel has block
    /// integrity profiles; without them a metadata buffer is refused, as C
    /// refuses it.
    pub fn transfer(
        &self,
        format: &Format,
        integrity: bool,
    ) -> Result<(u64, Option<(u64, u32)>), Invalid> {
        let cdw12 = self.cdw12();
        let blocks = self.nblocks as u64 + 1;
        let data = format.transfer_len(blocks, cdw12);
        if cdw12 & PRACT != 0 && format.pi_is_all_metadata() {
            if self.metadata != 0 {
                return Err(Invalid::Metadata);
            }
            return Ok((data, None));
        }
        if format.extended || format.metadata_size == 0 {
            return Ok((data, None));
        }
        if !integrity || self.metadata == 0 || self.metadata & 3 != 0 {
            return Err(Invalid::Metadata);
        }
        // At most 65536 blocks of 65535 bytes: within 32 bits.
        let len = blocks * u64::from(format.metadata_size);
        Ok((data, Some((self.metadata, len as u32))))
    }

    /// The command on namespace `nsid`, without identifier or data pointer.
    pub fn command(&self, nsid: u32) -> Command {
        Command::new(self.opcode)
            .with_nsid(nsid)
            .with_cdw::<10>(self.slba as u32)
            .with_cdw::<11>((self.slba >> 32) as u32)
            .with_cdw::<12>(self.cdw12())
            .with_cdw::<13>(self.dsmgmt)
            .with_cdw::<14>(self.reftag)
            .with_cdw::<15>(u32::from(self.apptag) | (u32::from(self.appmask) << 16))
    }
}

#[cfg(test)]
mod tests {
    use super::super::command::wire_dword;
    use super::super::format::PiType;
    use super::*;

    #[test]
    fn numbers_match_the_uapi_header() {
        // Values as printed by a C program including <linux/nvme_ioctl.h>.
        assert_eq!(IOCTL_ID, 0x4e40);
        assert_eq!(IOCTL_ADMIN_CMD, 0xc048_4e41);
        assert_eq!(IOCTL_SUBMIT_IO, 0x4030_4e42);
        // As `gcc -m32` numbers it.
        assert_eq!(IOCTL_SUBMIT_IO32, 0x402c_4e42);
        assert_eq!(IOCTL_IO_CMD, 0xc048_4e43);
        assert_eq!(IOCTL_RESET, 0x4e44);
        assert_eq!(IOCTL_SUBSYS_RESET, 0x4e45);
        assert_eq!(IOCTL_RESCAN, 0x4e46);
        assert_eq!(IOCTL_ADMIN64_CMD, 0xc050_4e47);
        assert_eq!(IOCTL_IO64_CMD, 0xc050_4e48);
        assert_eq!(IOCTL_IO64_CMD_VEC, 0xc050_4e49);
        assert_eq!(URING_CMD_IO, 0xc048_4e80);
        assert_eq!(URING_CMD_IO_VEC, 0xc048_4e81);
        assert_eq!(URING_CMD_ADMIN, 0xc048_4e82);
        assert_eq!(URING_CMD_ADMIN_VEC, 0xc048_4e83);
    }

    #[test]
    fn every_ioctl_number_round_trips() {
        let all = [
            (IOCTL_ID, Ioctl::Id),
            (IOCTL_ADMIN_CMD, Ioctl::AdminCmd),
            (IOCTL_ADMIN64_CMD, Ioctl::Admin64Cmd),
            (IOCTL_IO_CMD, Ioctl::IoCmd),
            (IOCTL_IO64_CMD, Ioctl::Io64Cmd { vectored: false }),
            (IOCTL_IO64_CMD_VEC, Ioctl::Io64Cmd { vectored: true }),
            (IOCTL_SUBMIT_IO, Ioctl::SubmitIo),
            (IOCTL_RESET, Ioctl::Reset),
            (IOCTL_SUBSYS_RESET, Ioctl::SubsysReset),
            (IOCTL_RESCAN, Ioctl::Rescan),
        ];
        for (number, ioctl) in all {
            assert_eq!(Ioctl::from_number(number), Some(ioctl));
            // The size encoded in the number is the argument's size.
            assert_eq!(((number >> 16) & 0x3fff) as usize, ioctl.arg_size());
        }
        // The 32-bit number names the same ioctl, whose argument is read
        // as the 64-bit layout.
        assert_eq!(Ioctl::from_number(IOCTL_SUBMIT_IO32), Some(Ioctl::SubmitIo));
        assert_eq!(Ioctl::from_number(0), None);
        assert_eq!(Ioctl::from_number(IOCTL_ADMIN_CMD + 0x1_0000), None);
        assert_eq!(Ioctl::from_number(URING_CMD_IO), None);
        let ctrl: Vec<_> = all
            .iter()
            .filter(|(_, i)| i.is_controller_ioctl())
            .collect();
        assert_eq!(ctrl.len(), 2);
    }

    #[test]
    fn result_fields_sit_where_the_structures_put_them() {
        assert_eq!(Ioctl::AdminCmd.result_field(), Some((68, 4)));
        assert_eq!(Ioctl::IoCmd.result_field(), Some((68, 4)));
        assert_eq!(Ioctl::Admin64Cmd.result_field(), Some((72, 8)));
        assert_eq!(
            Ioctl::Io64Cmd { vectored: true }.result_field(),
            Some((72, 8))
        );
        assert_eq!(Ioctl::SubmitIo.result_field(), None);
        assert_eq!(Ioctl::Id.result_field(), None);
    }

    #[test]
    fn uring_ops_decode() {
        assert_eq!(
            UringOp::from_number(URING_CMD_IO),
            Some(UringOp::Io { vectored: false })
        );
        assert_eq!(
            UringOp::from_number(URING_CMD_IO_VEC),
            Some(UringOp::Io { vectored: true })
        );
        assert_eq!(
            UringOp::from_number(URING_CMD_ADMIN),
            Some(UringOp::Admin { vectored: false })
        );
        assert_eq!(
            UringOp::from_number(URING_CMD_ADMIN_VEC),
            Some(UringOp::Admin { vectored: true })
        );
        assert_eq!(UringOp::from_number(IOCTL_IO_CMD), None);
    }

    fn passthru_bytes() -> [u8; PASSTHRU_CMD64_SIZE] {
        let mut b = [0u8; PASSTHRU_CMD64_SIZE];
        b[0] = 0x02; // read
        b[4..8].copy_from_slice(&1u32.to_le_bytes());
        b[8..12].copy_from_slice(&0x22u32.to_le_bytes());
        b[12..16].copy_from_slice(&0x33u32.to_le_bytes());
        b[24..32].copy_from_slice(&0x7fff_1234_5000u64.to_le_bytes());
        b[36..40].copy_from_slice(&4096u32.to_le_bytes());
        for i in 0..6u32 {
            let at = 40 + 4 * i as usize;
            b[at..at + 4].copy_from_slice(&(0x100 + i).to_le_bytes());
        }
        b[64..68].copy_from_slice(&5000u32.to_le_bytes());
        b
    }

    #[test]
    fn passthru_cmd_parses_every_field() {
        let cmd = PassthruCmd::parse(&passthru_bytes()).unwrap();
        assert_eq!(cmd.opcode, 0x02);
        assert_eq!(cmd.nsid, 1);
        assert_eq!((cmd.cdw2, cmd.cdw3), (0x22, 0x33));
        assert_eq!(cmd.addr, 0x7fff_1234_5000);
        assert_eq!(cmd.data_len, 4096);
        assert_eq!(cmd.cdw10_15, [0x100, 0x101, 0x102, 0x103, 0x104, 0x105]);
        assert_eq!(cmd.timeout_ms, 5000);
        assert!(cmd.has_data());
        assert_eq!(
            PassthruCmd::parse(&passthru_bytes()[..71]),
            Err(Invalid::Truncated)
        );
    }

    #[test]
    fn passthru_command_carries_the_user_dwords() {
        let bytes = PassthruCmd::parse(&passthru_bytes()).unwrap().command();
        assert_eq!(wire_dword(&bytes, 0), 0x02);
        assert_eq!(wire_dword(&bytes, 1), 1);
        assert_eq!(wire_dword(&bytes, 2), 0x22);
        assert_eq!(wire_dword(&bytes, 3), 0x33);
        // Metadata and data pointers are the driver's to fill.
        for dw in 4..10 {
            assert_eq!(wire_dword(&bytes, dw), 0, "dword {dw}");
        }
        for dw in 10..16 {
            assert_eq!(wire_dword(&bytes, dw), 0x100 + dw as u32 - 10);
        }
    }

    #[test]
    fn validation_as_c() {
        let ok = PassthruCmd::parse(&passthru_bytes()).unwrap();
        assert_eq!(ok.validate(Some(1)), Ok(()));
        assert_eq!(ok.validate(None), Ok(()));
        assert_eq!(ok.validate(Some(2)), Err(Invalid::Nsid));
        let flags = PassthruCmd { flags: 0x40, ..ok };
        assert_eq!(flags.validate(None), Err(Invalid::Flags));
        let meta = PassthruCmd {
            metadata: 0x1000,
            metadata_len: 8,
            ..ok
        };
        // On a namespace its buffer is `check_metadata`'s; the admin
        // queue has nothing to map it for.
        assert_eq!(meta.validate(Some(1)), Ok(()));
        assert_eq!(meta.validate(None), Err(Invalid::Metadata));
        assert_eq!(meta.metadata_buffer(), Some((0x1000, 8)));
        // Without data C never looks at the metadata.
        let meta_no_data = PassthruCmd {
            data_len: 0,
            ..meta
        };
        assert_eq!(meta_no_data.validate(Some(1)), Ok(()));
        // Either half alone means no metadata, as in C.
        assert_eq!(
            PassthruCmd {
                metadata: 0x1000,
                ..ok
            }
            .validate(Some(1)),
            Ok(())
        );
        assert_eq!(
            PassthruCmd {
                metadata_len: 8,
                ..ok
            }
            .validate(Some(1)),
            Ok(())
        );
        assert!(!PassthruCmd { data_len: 0, ..ok }.has_data());
        assert!(!PassthruCmd { addr: 0, ..ok }.has_data());
    }

    fn user_io_bytes(opcode: u8) -> [u8; USER_IO_SIZE] {
        let mut b = [0u8; USER_IO_SIZE];
        b[0] = opcode;
        b[2..4].copy_from_slice(&0x4000u16.to_le_bytes()); // FUA
        b[4..6].copy_from_slice(&7u16.to_le_bytes());
        b[16..24].copy_from_slice(&0x5000u64.to_le_bytes());
        b[24..32].copy_from_slice(&0x1_0000_0010u64.to_le_bytes());
        b[32..36].copy_from_slice(&0xd5u32.to_le_bytes());
        b[36..40].copy_from_slice(&0xabcdu32.to_le_bytes());
        b[40..42].copy_from_slice(&0x11u16.to_le_bytes());
        b[42..44].copy_from_slice(&0xffu16.to_le_bytes());
        b
    }

    #[test]
    fn user_io_builds_the_read_write_command() {
        let io = UserIo::parse(&user_io_bytes(NVM_WRITE)).unwrap();
        assert_eq!(io.validate(), Ok(()));
        assert_eq!(io.addr, 0x5000);
        assert_eq!(io.transfer(&plain(9), false).map(|t| t.0), Ok(8 * 512));
        assert_eq!(io.transfer(&plain(12), false).map(|t| t.0), Ok(8 * 4096));
        let bytes = io.command(3);
        assert_eq!(wire_dword(&bytes, 0), u32::from(NVM_WRITE));
        assert_eq!(wire_dword(&bytes, 1), 3);
        assert_eq!(wire_dword(&bytes, 10), 0x10);
        assert_eq!(wire_dword(&bytes, 11), 1);
        assert_eq!(wire_dword(&bytes, 12), 7 | 0x4000 << 16);
        assert_eq!(wire_dword(&bytes, 13), 0xd5);
        assert_eq!(wire_dword(&bytes, 14), 0xabcd);
        assert_eq!(wire_dword(&bytes, 15), 0x11 | 0xff << 16);
        // The largest count: 65536 blocks.
        let max = UserIo {
            nblocks: u16::MAX,
            ..io
        };
        assert_eq!(
            max.transfer(&plain(12), false).map(|t| t.0),
            Ok(65536 * 4096)
        );
    }

    fn plain(lba_shift: u8) -> Format {
        Format {
            lba_shift,
            metadata_size: 0,
            extended: false,
            pi: None,
            wide_guard: false,
        }
    }

    #[test]
    fn user_io_on_formats_with_metadata() {
        let io = UserIo {
            metadata: 0,
            ..UserIo::parse(&user_io_bytes(NVM_READ)).unwrap()
        };
        let separate = Format {
            metadata_size: 8,
            ..plain(9)
        };
        // Separate metadata needs a buffer: refused, with or without one.
        assert_eq!(
            io.transfer(&separate, false).map(|t| t.0),
            Err(Invalid::Metadata)
        );
        let with_buffer = UserIo {
            metadata: 0x8000,
            ..io
        };
        assert_eq!(
            with_buffer.transfer(&separate, false).map(|t| t.0),
            Err(Invalid::Metadata)
        );
        // Interleaved: the buffer holds each block's metadata too.
        let extended = Format {
            metadata_size: 16,
            extended: true,
            ..plain(9)
        };
        assert_eq!(io.transfer(&extended, false).map(|t| t.0), Ok(8 * 528));
        // PI that is the whole metadata, with PRACT: data only, and no
        // metadata pointer may come along.
        let pi = Format {
            metadata_size: 8,
            pi: Some(PiType::Type1),
            ..plain(9)
        };
        let pract = UserIo {
            control: (PRACT >> 16) as u16,
            ..io
        };
        assert_eq!(pract.transfer(&pi, false).map(|t| t.0), Ok(8 * 512));
        assert_eq!(
            UserIo {
                metadata: 0x8000,
                ..pract
            }
            .transfer(&pi, false)
            .map(|t| t.0),
            Err(Invalid::Metadata)
        );
        assert_eq!(
            io.transfer(&pi, false).map(|t| t.0),
            Err(Invalid::Metadata),
            "no PRACT"
        );
        let bytes = pract.command(1);
        assert_eq!(wire_dword(&bytes, 12), 7 | PRACT);
    }

    #[test]
    fn passthrough_on_formats_with_separate_metadata() {
        let separate = Format {
            metadata_size: 8,
            ..plain(12)
        };
        let read = PassthruCmd {
            opcode: 0x02,
            addr: 0x1000,
            data_len: 4096,
            ..Default::default()
        };
        for integrity in [false, true] {
            assert_eq!(read.check_metadata(&plain(12), integrity), Ok(None));
            assert_eq!(
                read.check_metadata(&separate, integrity),
                Err(Invalid::Metadata)
            );
        }
        let flush = PassthruCmd {
            opcode: 0x00,
            ..read
        };
        assert_eq!(flush.check_metadata(&separate, true), Ok(None));
        let pi = Format {
            pi: Some(PiType::Type3),
            ..separate
        };
        let mut pract = read;
        pract.cdw10_15[2] = PRACT;
        assert_eq!(pract.check_metadata(&pi, false), Ok(None));
        assert_eq!(read.check_metadata(&pi, true), Err(Invalid::Metadata));
        // A buffer: mapped with integrity support where it holds the
        // metadata of every block (CDW12 7: eight blocks of 8 bytes).
        let mut with_meta = PassthruCmd {
            metadata: 0x8000,
            metadata_len: 64,
            ..read
        };
        with_meta.cdw10_15[2] = 7;
        assert_eq!(
            with_meta.check_metadata(&separate, true),
            Ok(Some((0x8000, 64)))
        );
        assert_eq!(
            with_meta.check_metadata(&separate, false),
            Err(Invalid::Metadata)
        );
        let short = PassthruCmd {
            metadata_len: 63,
            ..with_meta
        };
        assert_eq!(
            short.check_metadata(&separate, true),
            Err(Invalid::Metadata)
        );
        // A vendor data command: how much it moves is unknown.
        let vendor = PassthruCmd {
            opcode: 0x82,
            ..with_meta
        };
        assert_eq!(
            vendor.check_metadata(&separate, true),
            Err(Invalid::Metadata)
        );
        // A command that moves no metadata may still bring a buffer.
        let flush_meta = PassthruCmd {
            opcode: 0x00,
            ..with_meta
        };
        assert_eq!(
            flush_meta.check_metadata(&separate, true),
            Ok(Some((0x8000, 64)))
        );
        // Without data, C never maps it: as no buffer.
        let no_data = PassthruCmd {
            data_len: 0,
            ..with_meta
        };
        assert_eq!(
            no_data.check_metadata(&separate, true),
            Err(Invalid::Metadata)
        );
    }

    #[test]
    fn submit_io_metadata_as_c() {
        let io = UserIo::parse(&user_io_bytes(NVM_READ)).unwrap();
        let separate = Format {
            metadata_size: 8,
            ..plain(9)
        };
        let with_meta = UserIo {
            metadata: 0x8000,
            ..io
        };
        // Eight blocks: 4 KiB of data, 64 bytes of metadata.
        assert_eq!(
            with_meta.transfer(&separate, true),
            Ok((8 * 512, Some((0x8000, 64))))
        );
        assert_eq!(with_meta.transfer(&separate, false), Err(Invalid::Metadata));
        // Not given, or not dword aligned.
        assert_eq!(io.transfer(&separate, true), Err(Invalid::Metadata));
        assert_eq!(
            UserIo {
                metadata: 0x8002,
                ..io
            }
            .transfer(&separate, true),
            Err(Invalid::Metadata)
        );
        // PI that is the whole metadata with PRACT: nothing to map.
        let pi = Format {
            pi: Some(PiType::Type1),
            ..separate
        };
        let pract = UserIo {
            control: (PRACT >> 16) as u16,
            ..io
        };
        assert_eq!(pract.transfer(&pi, true), Ok((8 * 512, None)));
        assert_eq!(
            with_meta.transfer(&pi, true),
            Ok((8 * 512, Some((0x8000, 64))))
        );
        // No metadata: the pointer is ignored, as C ignores it.
        assert_eq!(with_meta.transfer(&plain(9), true), Ok((8 * 512, None)));
    }

    #[test]
    fn data_direction_is_opcode_bit_zero() {
        // Write, Compare and Dataset Management send data; Read and Identify fetch it.
        for opcode in [0x01u8, 0x05, 0x09, 0x81] {
            assert!(Command::new(opcode).is_write(), "{opcode:#x}");
        }
        for opcode in [0x00u8, 0x02, 0x06, 0x0a] {
            assert!(!Command::new(opcode).is_write(), "{opcode:#x}");
        }
    }

    #[test]
    fn user_io_accepts_only_read_write_compare_without_flags() {
        for opcode in 0..=255u8 {
            let io = UserIo::parse(&user_io_bytes(opcode)).unwrap();
            let want = matches!(opcode, NVM_WRITE | NVM_READ | NVM_COMPARE);
            assert_eq!(io.validate().is_ok(), want, "opcode {opcode:#x}");
        }
        let io = UserIo::parse(&user_io_bytes(NVM_READ)).unwrap();
        assert_eq!(UserIo { flags: 1, ..io }.validate(), Err(Invalid::Flags));
        assert_eq!(UserIo::parse(&[0u8; 47]), Err(Invalid::Truncated));
    }
}
