// SPDX-License-Identifier: GPL-2.0

//! Submission queue entries: the 64-byte command format (NVMe Base
//! Specification 2.0, section 4.2) and builders for the admin commands the
//! driver sends. C header: `srctree/include/linux/nvme.h`.

/// Size of a submission queue entry in bytes.
pub const SQE_SIZE: usize = 64;

/// Admin command opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AdminOpcode {
    /// Delete I/O Submission Queue.
    DeleteSq = 0x00,
    /// Create I/O Submission Queue.
    CreateSq = 0x01,
    /// Get Log Page.
    GetLogPage = 0x02,
    /// Delete I/O Completion Queue.
    DeleteCq = 0x04,
    /// Create I/O Completion Queue.
    CreateCq = 0x05,
    /// Identify.
    Identify = 0x06,
    /// Abort.
    Abort = 0x08,
    /// Set Features.
    SetFeatures = 0x09,
    /// Get Features.
    GetFeatures = 0x0a,
    /// Asynchronous Event Request.
    AsyncEvent = 0x0c,
}

/// Controller or Namespace Structure values of Identify (CDW10.CNS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum IdentifyCns {
    /// Identify Namespace data structure for the NSID given.
    Namespace = 0x00,
    /// Identify Controller data structure.
    Controller = 0x01,
    /// Active Namespace ID list, starting after the NSID given.
    ActiveNamespaces = 0x02,
}

/// Size of every Identify data structure.
pub const IDENTIFY_DATA_SIZE: usize = 4096;

/// A submission queue entry, held as its sixteen command dwords in CPU
/// order and converted to the little-endian wire format by [`Command::to_bytes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Command {
    dw: [u32; 16],
}

impl Command {
    /// A command with `opcode` and everything else zero.
    pub const fn new(opcode: u8) -> Self {
        let mut dw = [0u32; 16];
        dw[0] = opcode as u32;
        Command { dw }
    }

    /// An admin command with `opcode`.
    pub const fn admin(opcode: AdminOpcode) -> Self {
        Self::new(opcode as u8)
    }

    /// The opcode.
    pub const fn opcode(&self) -> u8 {
        self.dw[0] as u8
    }

    /// The command identifier.
    pub const fn cid(&self) -> u16 {
        (self.dw[0] >> 16) as u16
    }

    /// Sets the command identifier the completion will carry.
    pub fn set_cid(&mut self, cid: u16) {
        self.dw[0] = (self.dw[0] & 0xffff) | ((cid as u32) << 16);
    }

    /// Sets the namespace identifier.
    pub const fn with_nsid(mut self, nsid: u32) -> Self {
        self.dw[1] = nsid;
        self
    }

    /// The namespace identifier.
    pub const fn nsid(&self) -> u32 {
        self.dw[1]
    }

    /// Sets the first PRP entry, the address of a data buffer.
    pub const fn with_prp1(mut self, addr: u64) -> Self {
        self.dw[6] = addr as u32;
        self.dw[7] = (addr >> 32) as u32;
        self
    }

    /// Sets the second PRP entry.
    pub const fn with_prp2(mut self, addr: u64) -> Self {
        self.dw[8] = addr as u32;
        self.dw[9] = (addr >> 32) as u32;
        self
    }

    /// Sets command-specific dword `N` (10 to 15; other values do not compile).
    pub const fn with_cdw<const N: usize>(mut self, value: u32) -> Self {
        const { assert!(N >= 10 && N <= 15) };
        self.dw[N] = value;
        self
    }

    /// Command dword `n` (0 to 15).
    pub const fn dword(&self, n: usize) -> u32 {
        self.dw[n]
    }

    /// Identify, returning the structure `cns` selects. The transport points
    /// PRP1 at a 4 KiB page-aligned buffer.
    pub const fn identify(cns: IdentifyCns, nsid: u32) -> Self {
        Self::admin(AdminOpcode::Identify)
            .with_nsid(nsid)
            .with_cdw::<10>(cns as u32)
    }

    /// The 64 bytes the controller reads.
    pub fn to_bytes(&self) -> [u8; SQE_SIZE] {
        let mut bytes = [0u8; SQE_SIZE];
        for (chunk, dw) in bytes.chunks_exact_mut(4).zip(self.dw.iter()) {
            chunk.copy_from_slice(&dw.to_le_bytes());
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identify_controller_layout() {
        let mut cmd = Command::identify(IdentifyCns::Controller, 0).with_prp1(0x1_2345_6000);
        cmd.set_cid(0xbeef);
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x06, "opcode");
        assert_eq!(b[1], 0, "flags: PRP data transfer");
        assert_eq!(&b[2..4], &[0xef, 0xbe], "CID little-endian");
        assert_eq!(&b[4..8], &[0; 4], "NSID");
        assert_eq!(&b[24..32], &0x1_2345_6000u64.to_le_bytes(), "PRP1");
        assert_eq!(&b[32..40], &[0; 8], "PRP2");
        assert_eq!(&b[40..44], &[1, 0, 0, 0], "CDW10.CNS");
        assert!(b[44..].iter().all(|&x| x == 0));
        assert_eq!(cmd.cid(), 0xbeef);
        assert_eq!(cmd.opcode(), 0x06);
    }

    #[test]
    fn identify_namespace_carries_nsid() {
        let cmd = Command::identify(IdentifyCns::Namespace, 7);
        let b = cmd.to_bytes();
        assert_eq!(&b[4..8], &7u32.to_le_bytes());
        assert_eq!(b[40], 0);
        assert_eq!(cmd.nsid(), 7);
    }

    #[test]
    fn set_cid_keeps_opcode_and_flags() {
        let mut cmd = Command::new(0xff);
        cmd.set_cid(1);
        cmd.set_cid(0xffff);
        cmd.set_cid(2);
        assert_eq!(cmd.dword(0), 0x0002_00ff);
    }

    #[test]
    fn prp2_and_cdws() {
        let cmd = Command::new(1)
            .with_prp2(0xdead_beef_0000_1000)
            .with_cdw::<10>(1)
            .with_cdw::<15>(0xffff_ffff);
        let b = cmd.to_bytes();
        assert_eq!(&b[32..40], &0xdead_beef_0000_1000u64.to_le_bytes());
        assert_eq!(&b[40..44], &1u32.to_le_bytes());
        assert_eq!(&b[60..64], &[0xff; 4]);
    }
}
