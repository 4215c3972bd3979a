// SPDX-License-Identifier: GPL-2.0

//! The Commands Supported and Effects log (log page 05h) for the NVM
//! command set, as the C driver keeps it (`nvme_init_effects`): what the
//! passthrough permission check needs to know of each I/O opcode.

use super::permission::effects::LBCC;

/// Log identifier of the Commands Supported and Effects log.
pub const LOG_ID: u8 = 0x05;
/// Its size in bytes.
pub const LOG_SIZE: usize = 4096;
/// Identify Controller LPA bit: the controller has the log.
pub const LPA_EFFECTS_LOG: u8 = 1 << 1;

/// Offset of the I/O Command Supported (IOCS) entries in the log, after
/// the 256 admin ones.
const IOCS_OFFSET: usize = 1024;

/// NVM opcodes C marks as changing logical blocks whatever the log says
/// (`nvme_init_known_nvm_effects`): Write, Write Uncorrectable, Write Zeroes.
const KNOWN_LBCC: [u8; 3] = [0x01, 0x04, 0x08];

/// The effects of each I/O opcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoEffects([u32; 256]);

impl IoEffects {
    /// From the log's bytes, or all zero when the controller has no log;
    /// then with C's known NVM effects added.
    pub fn new(log: Option<&[u8]>) -> Self {
        let mut iocs = [0u32; 256];
        if let Some(log) = log.filter(|l| l.len() >= LOG_SIZE) {
            for (op, entry) in iocs.iter_mut().enumerate() {
                let at = IOCS_OFFSET + 4 * op;
                *entry = u32::from_le_bytes([log[at], log[at + 1], log[at + 2], log[at + 3]]);
            }
        }
        for op in KNOWN_LBCC {
            iocs[usize::from(op)] |= LBCC;
        }
        IoEffects(iocs)
    }

    /// The effects entry of I/O `opcode`.
    pub fn of(&self, opcode: u8) -> u32 {
        self.0[usize::from(opcode)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::permission::effects::CSUPP;
    use super::*;

    #[test]
    fn reads_the_iocs_half_of_the_log() {
        let mut log = [0u8; LOG_SIZE];
        // Admin entry for opcode 2 must not leak into the I/O table.
        log[8..12].copy_from_slice(&0xdead_beefu32.to_le_bytes());
        log[IOCS_OFFSET + 8..IOCS_OFFSET + 12].copy_from_slice(&CSUPP.to_le_bytes());
        log[IOCS_OFFSET + 4 * 255..IOCS_OFFSET + 4 * 256].copy_from_slice(&7u32.to_le_bytes());
        let fx = IoEffects::new(Some(&log));
        assert_eq!(fx.of(0x02), CSUPP);
        assert_eq!(fx.of(0xff), 7);
        assert_eq!(fx.of(0x00), 0);
    }

    #[test]
    fn get_log_page_asks_for_the_whole_log() {
        use super::super::command::{wire_dword, Command};
        let cmd = Command::get_log_page(LOG_ID, LOG_SIZE as u32);
        assert_eq!(wire_dword(&cmd, 0) & 0xff, 0x02);
        assert_eq!(wire_dword(&cmd, 1), 0xffff_ffff);
        // NUMDL (dwords minus one, low half) in 31:16, LID in 7:0.
        assert_eq!(wire_dword(&cmd, 10), 0x05 | 1023 << 16);
        assert_eq!(wire_dword(&cmd, 11), 0);
        // More than 64 Ki dwords spill into NUMDU.
        let big = Command::get_log_page(0x02, 0x40004);
        assert_eq!(wire_dword(&big, 10) >> 16, 0);
        assert_eq!(wire_dword(&big, 11), 1);
    }

    #[test]
    fn known_writes_always_change_blocks() {
        for log in [None, Some(&[0u8; LOG_SIZE][..])] {
            let fx = IoEffects::new(log);
            assert_eq!(fx.of(0x01), LBCC);
            assert_eq!(fx.of(0x04), LBCC);
            assert_eq!(fx.of(0x08), LBCC);
            assert_eq!(fx.of(0x02), 0);
            assert_eq!((0..=255u8).filter(|&op| fx.of(op) != 0).count(), 3);
        }
        // A short buffer counts as no log.
        assert_eq!(IoEffects::new(Some(&[0xff; 100])), IoEffects::new(None));
    }
}
