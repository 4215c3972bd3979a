// SPDX-License-Identifier: GPL-2.0

//! I/O commands of the NVM command set (NVM Command Set Specification 1.0,
//! section 3.2: Dataset Management, Read, Write and Write Zeroes; Flush is
//! defined for every command set in the NVMe Base Specification 2.0), as the
//! C driver's `nvme_setup_rw`, `nvme_setup_write_zeroes`,
//! `nvme_setup_discard` and `nvme_setup_flush` in `drivers/nvme/host/core.c`
//! build them. C header: `srctree/include/linux/nvme.h`.

use super::command::Command;

/// NVM command set I/O opcodes (C `enum nvme_opcode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum IoOpcode {
    /// Flush the volatile write cache.
    Flush = 0x00,
    /// Write.
    Write = 0x01,
    /// Read.
    Read = 0x02,
    /// Write Zeroes.
    WriteZeroes = 0x08,
    /// Dataset Management (deallocate, that is discard or trim).
    DatasetManagement = 0x09,
    /// Zone Append (Zoned Namespace command set).
    ZoneAppend = 0x7d,
}

/// Most blocks one Read, Write or Write Zeroes command can address: the
/// Number of Logical Blocks field (CDW12 bits 15:0) is zero-based.
pub const MAX_BLOCKS_PER_COMMAND: u32 = 65536;

/// Size of one Dataset Management range on the wire.
pub const DSM_RANGE_SIZE: usize = 16;

/// Most ranges one Dataset Management command takes (CDW10 bits 7:0, NR,
/// zero-based).
pub const MAX_DSM_RANGES: u32 = 256;

/// CDW12 bit 30: Force Unit Access (C `NVME_RW_FUA` in the control field).
const FUA: u32 = 1 << 30;

/// CDW12 bit 25: Deallocate, for Write Zeroes (C `NVME_WZ_DEAC`).
const DEAC: u32 = 1 << 25;

/// CDW11 bit 2: Attribute Deallocate, for Dataset Management (C
/// `NVME_DSMGMT_AD`).
const ATTRIBUTE_DEALLOCATE: u32 = 1 << 2;

/// Why an I/O command could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoError {
    /// A transfer of zero blocks, which the zero-based count cannot express.
    ZeroBlocks,
    /// More than [`MAX_BLOCKS_PER_COMMAND`] blocks.
    TooManyBlocks,
    /// A Dataset Management command without ranges.
    NoRanges,
    /// More than [`MAX_DSM_RANGES`] ranges.
    TooManyRanges,
}

/// CDW12 bits 15:0 for `blocks` blocks: the zero-based count.
const fn nlb(blocks: u32) -> Result<u32, IoError> {
    if blocks == 0 {
        Err(IoError::ZeroBlocks)
    } else if blocks > MAX_BLOCKS_PER_COMMAND {
        Err(IoError::TooManyBlocks)
    } else {
        Ok(blocks - 1)
    }
}

/// A command addressing `blocks` blocks from `slba`: SLBA in CDW10 (low
/// half) and CDW11 (high half), the zero-based count and `flags` in CDW12.
fn lba_command(
    op: IoOpcode,
    nsid: u32,
    slba: u64,
    blocks: u32,
    flags: u32,
) -> Result<Command, IoError> {
    Ok(Command::new(op as u8)
        .with_nsid(nsid)
        .with_cdw::<10>(slba as u32)
        .with_cdw::<11>((slba >> 32) as u32)
        .with_cdw::<12>(nlb(blocks)? | flags))
}

/// NVM command set I/O commands. The caller sets the data pointer (PRPs or
/// an SGL) and the command identifier.
impl Command {
    /// Flush namespace `nsid`'s volatile write cache to media.
    pub const fn flush(nsid: u32) -> Command {
        Command::new(IoOpcode::Flush as u8).with_nsid(nsid)
    }

    /// Read `blocks` logical blocks from `slba` of namespace `nsid`: CDW10
    /// and CDW11 hold SLBA (low and high halves), CDW12 bits 15:0 hold
    /// `blocks - 1`. `blocks` is 1 to [`MAX_BLOCKS_PER_COMMAND`].
    pub fn read(nsid: u32, slba: u64, blocks: u32) -> Result<Command, IoError> {
        lba_command(IoOpcode::Read, nsid, slba, blocks, 0)
    }

    /// Write `blocks` logical blocks at `slba`, laid out as for
    /// [`Command::read`]; `fua` sets Force Unit Access (CDW12 bit 30) so the
    /// data is on non-volatile media before the command completes (C
    /// `REQ_FUA`).
    pub fn write(nsid: u32, slba: u64, blocks: u32, fua: bool) -> Result<Command, IoError> {
        lba_command(
            IoOpcode::Write,
            nsid,
            slba,
            blocks,
            if fua { FUA } else { 0 },
        )
    }

    /// Zone Append of `blocks` logical blocks to the zone starting at
    /// `zslba`: written at its write pointer, which the completion's
    /// result gives (C `nvme_setup_rw` with `nvme_cmd_zone_append`).
    pub fn zone_append(nsid: u32, zslba: u64, blocks: u32, fua: bool) -> Result<Command, IoError> {
        lba_command(
            IoOpcode::ZoneAppend,
            nsid,
            zslba,
            blocks,
            if fua { FUA } else { 0 },
        )
    }

    /// Write Zeroes over `blocks` logical blocks at `slba`, with no data
    /// buffer; `deallocate` sets DEAC (CDW12 bit 25), letting the controller
    /// deallocate the blocks as long as they then read as zeroes (C
    /// `REQ_NOUNMAP` clear).
    pub fn write_zeroes(
        nsid: u32,
        slba: u64,
        blocks: u32,
        deallocate: bool,
    ) -> Result<Command, IoError> {
        let flags = if deallocate { DEAC } else { 0 };
        lba_command(IoOpcode::WriteZeroes, nsid, slba, blocks, flags)
    }

    /// Dataset Management with the Deallocate attribute (CDW11 bit 2) over
    /// `ranges` ranges (CDW10 bits 7:0 = `ranges - 1`, so 1 to
    /// [`MAX_DSM_RANGES`]). The data buffer is the range list, `ranges`
    /// times [`DSM_RANGE_SIZE`] bytes from [`DsmRange::to_bytes`].
    pub fn deallocate(nsid: u32, ranges: u32) -> Result<Command, IoError> {
        if ranges == 0 {
            return Err(IoError::NoRanges);
        }
        if ranges > MAX_DSM_RANGES {
            return Err(IoError::TooManyRanges);
        }
        Ok(Command::new(IoOpcode::DatasetManagement as u8)
            .with_nsid(nsid)
            .with_cdw::<10>(ranges - 1)
            .with_cdw::<11>(ATTRIBUTE_DEALLOCATE))
    }
}

/// One Dataset Management range (C `struct nvme_dsm_range`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DsmRange {
    /// First logical block.
    pub slba: u64,
    /// Number of logical blocks (not zero-based).
    pub blocks: u32,
}

impl DsmRange {
    /// The 16-byte wire format: context attributes (u32, zero), length in
    /// logical blocks (u32, NOT zero-based, unlike the command fields),
    /// starting LBA (u64), all little-endian.
    pub fn to_bytes(&self) -> [u8; DSM_RANGE_SIZE] {
        let mut b = [0u8; DSM_RANGE_SIZE];
        b[4..8].copy_from_slice(&self.blocks.to_le_bytes());
        b[8..16].copy_from_slice(&self.slba.to_le_bytes());
        b
    }
}

/// Converts a count or offset in 512-byte sectors (the block layer's unit)
/// to logical blocks of `2^lba_shift` bytes: `sectors >> (lba_shift - 9)`
/// (C `nvme_sect_to_lba`). `lba_shift` is 9 to 16 (512 bytes to 64 KiB, the
/// sizes `identify` accepts); below 9 it is taken as 9, and a shift beyond
/// 63 gives 0 rather than overflowing.
pub const fn sectors_to_blocks(sectors: u64, lba_shift: u8) -> u64 {
    let shift = lba_shift.saturating_sub(9) as u32;
    match sectors.checked_shr(shift) {
        Some(blocks) => blocks,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::command::wire_dword as cdw;
    use super::*;

    #[test]
    fn opcodes_match_the_spec() {
        // NVM Command Set 1.0, "Opcodes for NVM Command Set"; C enum nvme_opcode.
        assert_eq!(IoOpcode::Flush as u8, 0x00);
        assert_eq!(IoOpcode::Write as u8, 0x01);
        assert_eq!(IoOpcode::Read as u8, 0x02);
        assert_eq!(IoOpcode::WriteZeroes as u8, 0x08);
        assert_eq!(IoOpcode::DatasetManagement as u8, 0x09);
    }

    #[test]
    fn flush_layout() {
        let b = Command::flush(1).to_bytes();
        assert_eq!(b[0], 0x00);
        assert_eq!(&b[4..8], &[1, 0, 0, 0], "NSID");
        assert!(b[8..].iter().all(|&x| x == 0));
        // Flush of all namespaces uses the broadcast NSID.
        assert_eq!(Command::flush(0xffff_ffff).nsid(), 0xffff_ffff);
    }

    #[test]
    fn read_layout() {
        // Read 8 blocks at LBA 0x1_2345_6789 of namespace 1.
        let cmd = Command::read(1, 0x1_2345_6789, 8).unwrap();
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x02, "Read opcode");
        assert_eq!(b[1], 0, "PRPs unless the caller sets an SGL");
        assert_eq!(&b[4..8], &[1, 0, 0, 0], "NSID");
        assert_eq!(&b[40..48], &0x1_2345_6789u64.to_le_bytes(), "SLBA");
        assert_eq!(&b[48..50], &[7, 0], "NLB, zero-based");
        assert_eq!(&b[50..52], &[0, 0], "control: no FUA, no PRINFO");
        assert!(b[52..].iter().all(|&x| x == 0));
    }

    #[test]
    fn write_layout() {
        let cmd = Command::write(2, 0, 1, false).unwrap();
        assert_eq!(cmd.opcode(), 0x01);
        assert_eq!(cmd.nsid(), 2);
        assert_eq!(cdw(&cmd, 12), 0);
        let cmd = Command::write(2, u64::MAX, 65536, true).unwrap();
        let b = cmd.to_bytes();
        assert_eq!(&b[40..48], &[0xff; 8]);
        assert_eq!(&b[48..50], &[0xff, 0xff], "NLB 65535");
        // C: NVME_RW_FUA = 1 << 14 in the 16-bit control field, byte 51 bit 6.
        assert_eq!(&b[50..52], &[0x00, 0x40], "FUA");
        assert_eq!(cdw(&cmd, 12), 0x4000_ffff);
    }

    #[test]
    fn write_zeroes_layout() {
        let cmd = Command::write_zeroes(1, 100, 16, false).unwrap();
        assert_eq!(cmd.opcode(), 0x08);
        assert_eq!(cdw(&cmd, 10), 100);
        assert_eq!(cdw(&cmd, 12), 15);
        let cmd = Command::write_zeroes(1, 100, 16, true).unwrap();
        // C: NVME_WZ_DEAC = 1 << 9 in the control field, CDW12 bit 25.
        assert_eq!(cdw(&cmd, 12), 0x0200_000f);
        assert_eq!(cmd.to_bytes()[51], 0x02);
    }

    #[test]
    fn block_counts_every_value() {
        for blocks in 1..=MAX_BLOCKS_PER_COMMAND {
            let r = Command::read(1, 7, blocks).unwrap();
            let w = Command::write(1, 7, blocks, true).unwrap();
            let z = Command::write_zeroes(1, 7, blocks, true).unwrap();
            assert_eq!(r.dword(12), blocks - 1);
            assert_eq!(w.dword(12), (blocks - 1) | 1 << 30);
            assert_eq!(z.dword(12), (blocks - 1) | 1 << 25);
            // The count never spills into the control bits.
            assert_eq!(r.dword(12) >> 16, 0);
        }
        for bad in [MAX_BLOCKS_PER_COMMAND + 1, 1 << 20, u32::MAX] {
            assert_eq!(Command::read(1, 0, bad), Err(IoError::TooManyBlocks));
            assert_eq!(
                Command::write(1, 0, bad, false),
                Err(IoError::TooManyBlocks)
            );
            assert_eq!(
                Command::write_zeroes(1, 0, bad, false),
                Err(IoError::TooManyBlocks)
            );
        }
        assert_eq!(Command::read(1, 0, 0), Err(IoError::ZeroBlocks));
        assert_eq!(Command::write(1, 0, 0, true), Err(IoError::ZeroBlocks));
        assert_eq!(
            Command::write_zeroes(1, 0, 0, true),
            Err(IoError::ZeroBlocks)
        );
    }

    #[test]
    fn slba_split_every_bit() {
        for bit in 0..64 {
            for slba in [1u64 << bit, (1u64 << bit) - 1, !(1u64 << bit)] {
                let cmd = Command::read(1, slba, 1).unwrap();
                assert_eq!(cmd.dword(10), slba as u32);
                assert_eq!(cmd.dword(11), (slba >> 32) as u32);
                assert_eq!(
                    u64::from(cdw(&cmd, 10)) | u64::from(cdw(&cmd, 11)) << 32,
                    slba
                );
            }
        }
    }

    #[test]
    fn deallocate_layout() {
        let cmd = Command::deallocate(3, 1).unwrap();
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x09, "Dataset Management opcode");
        assert_eq!(&b[4..8], &[3, 0, 0, 0]);
        assert_eq!(&b[40..44], &[0, 0, 0, 0], "NR 0: one range");
        assert_eq!(&b[44..48], &[0x04, 0, 0, 0], "AD");
        assert!(b[48..].iter().all(|&x| x == 0));
        for ranges in 1..=MAX_DSM_RANGES {
            let cmd = Command::deallocate(1, ranges).unwrap();
            assert_eq!(cmd.dword(10), ranges - 1);
            assert_eq!(cmd.dword(10) >> 8, 0, "NR is 8 bits");
            assert_eq!(cmd.dword(11), 1 << 2);
        }
        assert_eq!(Command::deallocate(1, 0), Err(IoError::NoRanges));
        assert_eq!(Command::deallocate(1, 257), Err(IoError::TooManyRanges));
        assert_eq!(
            Command::deallocate(1, u32::MAX),
            Err(IoError::TooManyRanges)
        );
    }

    #[test]
    fn dsm_range_layout() {
        let r = DsmRange {
            slba: 0x0102_0304_0506_0708,
            blocks: 0x1122_3344,
        };
        assert_eq!(
            r.to_bytes(),
            [0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01]
        );
        // Length is a plain count: one block is 1, not 0.
        let one = DsmRange { slba: 0, blocks: 1 };
        assert_eq!(&one.to_bytes()[4..8], &[1, 0, 0, 0]);
        assert_eq!(DSM_RANGE_SIZE, 16);
        assert_eq!(
            MAX_DSM_RANGES as usize * DSM_RANGE_SIZE,
            4096,
            "one page of ranges"
        );
    }

    #[test]
    fn sectors_to_blocks_values() {
        // 512-byte blocks: sectors are blocks.
        assert_eq!(sectors_to_blocks(12345, 9), 12345);
        // 4 KiB blocks: eight sectors each.
        assert_eq!(sectors_to_blocks(8, 12), 1);
        assert_eq!(sectors_to_blocks(7, 12), 0);
        assert_eq!(sectors_to_blocks(131072, 12), 16384, "64 MiB");
        // 64 KiB blocks.
        assert_eq!(sectors_to_blocks(128, 16), 1);
        for shift in 9..=16u8 {
            let per_block = 1u64 << (shift - 9);
            for sectors in (0..100_000u64).step_by(37).chain([u64::MAX]) {
                assert_eq!(sectors_to_blocks(sectors, shift), sectors / per_block);
            }
        }
        // Out-of-range shifts do not panic.
        assert_eq!(sectors_to_blocks(1000, 0), 1000);
        assert_eq!(sectors_to_blocks(u64::MAX, 72), 1);
        assert_eq!(sectors_to_blocks(u64::MAX, 73), 0);
        assert_eq!(sectors_to_blocks(u64::MAX, u8::MAX), 0);
    }
}
