// SPDX-License-Identifier: GPL-2.0

//! The Commands Supported and Effects log (log page 05h) for the NVM
//! command set, as the C driver keeps it (`nvme_init_effects`,
//! `nvme_command_effects`): what each admin and I/O opcode may change,
//! which the passthrough permission check and the handling around a
//! passthrough command (`nvme_passthru_start`, `nvme_passthru_end`) use.
//! A namespace of another command set (Zoned Namespaces) has its I/O
//! commands' effects from that set's log instead (C `head->effects`).

use super::permission::effects::{CCC, CSER_MASK, CSE_MASK, CSUPP, LBCC, NCC, NIC};

/// Log identifier of the Commands Supported and Effects log.
pub const LOG_ID: u8 = 0x05;
/// Its size in bytes.
pub const LOG_SIZE: usize = 4096;
/// Identify Controller LPA bit: the controller has the log.
pub const LPA_EFFECTS_LOG: u8 = 1 << 1;

/// Offset of the I/O Command Supported (IOCS) entries in the log, after
/// the 256 Admin Command Supported (ACS) ones.
const IOCS_OFFSET: usize = 1024;

/// NVM opcodes C marks as changing logical blocks whatever the log says
/// (`nvme_init_known_nvm_effects`): Write, Write Uncorrectable, Write Zeroes.
const KNOWN_LBCC: [u8; 3] = [0x01, 0x04, 0x08];

/// Admin opcodes whose effects C adds whatever the log says: Format NVM
/// changes blocks and namespace capabilities (the block size) and must
/// run alone; so must Sanitize, which changes blocks.
const KNOWN_ADMIN: [(u8, u32); 2] = [(0x80, LBCC | NCC | CSE_MASK), (0x84, LBCC | CSE_MASK)];

/// Security Receive: C masks its execution restrictions off, since they
/// concern the admin queue, where freezing the I/O queues enforces nothing.
const SECURITY_RECEIVE: u8 = 0x82;

/// The effects of each admin and I/O opcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effects {
    admin: [u32; 256],
    io: [u32; 256],
}

/// Reads the 256 little-endian entries at `offset` of `log` into `into`.
fn read_entries(into: &mut [u32; 256], log: &[u8], offset: usize) {
    for (entry, bytes) in into.iter_mut().zip(log[offset..].chunks_exact(4)) {
        *entry = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
}

impl Effects {
    /// No opcode supported, nothing known: what [`Self::read_log`] and
    /// [`Self::read_command_set_log`] fill. The kernel keeps effects on
    /// the heap and fills them there: at 2 KiB they are too large to be
    /// built on a kernel stack and moved.
    pub const EMPTY: Effects = Effects {
        admin: [0; 256],
        io: [0; 256],
    };

    /// The NVM command set's effects from the log's bytes, or none when
    /// the controller has no log; then with C's known NVM effects added.
    pub fn read_log(&mut self, log: Option<&[u8]>) {
        match log.filter(|l| l.len() >= LOG_SIZE) {
            Some(log) => {
                read_entries(&mut self.admin, log, 0);
                read_entries(&mut self.io, log, IOCS_OFFSET);
            }
            None => *self = Self::EMPTY,
        }
        for op in KNOWN_LBCC {
            self.io[usize::from(op)] |= LBCC;
        }
        for (op, known) in KNOWN_ADMIN {
            self.admin[usize::from(op)] |= known;
        }
        self.admin[usize::from(SECURITY_RECEIVE)] &= !CSE_MASK;
    }

    /// Another command set's log, as C keeps it for that set's namespaces
    /// (`nvme_get_effects_log`): the controller's entries alone, without
    /// C's known NVM effects. False, and nothing read, for a short log.
    pub fn read_command_set_log(&mut self, log: &[u8]) -> bool {
        if log.len() < LOG_SIZE {
            return false;
        }
        read_entries(&mut self.admin, log, 0);
        read_entries(&mut self.io, log, IOCS_OFFSET);
        true
    }

    /// Whether the controller supports I/O `opcode` (CSUPP).
    pub fn io_supported(&self, opcode: u8) -> bool {
        self.io[usize::from(opcode)] & CSUPP != 0
    }

    /// The effects of I/O `opcode`, without execution restrictions: C
    /// drops them, since freezing the I/O queues for an I/O command would
    /// deadlock.
    pub fn io(&self, opcode: u8) -> u32 {
        self.io[usize::from(opcode)] & !CSE_MASK
    }

    /// The effects of admin `opcode`; execution restrictions are ignored
    /// when the entry also relaxes them.
    pub fn admin(&self, opcode: u8) -> u32 {
        let effects = self.admin[usize::from(opcode)];
        if effects & CSER_MASK != 0 {
            effects & !CSE_MASK
        } else {
            effects
        }
    }
}

/// What the driver does around a passthrough command, by its effects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handling {
    /// Hold all namespaces' I/O back until the command has completed: it
    /// must not run alongside other commands.
    pub freeze: bool,
    /// Scan the namespaces afterwards: their capabilities (format, size)
    /// or the set of them may have changed.
    pub rescan: bool,
    /// Tell the administrator the controller's capabilities may have
    /// changed, which takes a reset to see.
    pub capabilities_changed: bool,
}

impl Handling {
    /// The handling of a command with `effects` (as returned by
    /// [`Effects::io`] or [`Effects::admin`]).
    pub fn of(effects: u32) -> Self {
        Handling {
            freeze: effects & CSE_MASK != 0,
            rescan: effects & (NIC | NCC) != 0,
            capabilities_changed: effects & CCC != 0,
        }
    }

    /// Whether the command needs any handling around it.
    pub fn needed(&self) -> bool {
        self.freeze || self.rescan || self.capabilities_changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nvm(log: Option<&[u8]>) -> Effects {
        let mut fx = Effects::EMPTY;
        fx.read_log(log);
        fx
    }

    fn command_set(log: &[u8]) -> Option<Effects> {
        let mut fx = Effects::EMPTY;
        fx.read_command_set_log(log).then_some(fx)
    }

    fn log_with(entries: &[(usize, u32)]) -> [u8; LOG_SIZE] {
        let mut log = [0u8; LOG_SIZE];
        for &(at, value) in entries {
            log[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        log
    }

    #[test]
    fn handling_needed_only_with_an_effect_acted_on() {
        assert!(!Handling::of(0).needed());
        assert!(Handling::of(CSE_MASK).needed());
        assert!(Handling::of(NCC).needed());
        assert!(Handling::of(CCC).needed());
    }

    #[test]
    fn reads_both_halves_of_the_log() {
        let log = log_with(&[
            (8, 0xdead_0001),
            (IOCS_OFFSET + 8, CSUPP),
            (IOCS_OFFSET + 4 * 255, 7),
            (4 * 255, 9),
        ]);
        let fx = nvm(Some(&log));
        assert_eq!(fx.io(0x02), CSUPP);
        assert_eq!(fx.io(0xff), 7);
        assert_eq!(fx.io(0x00), 0);
        // CSE bits (18:16) of 0xdead_0001 are 0b101: CSER bits clear.
        assert_eq!(fx.admin(0x02), 0xdead_0001);
        assert_eq!(fx.admin(0xff), 9);
    }

    #[test]
    fn io_commands_never_freeze() {
        let log = log_with(&[(IOCS_OFFSET + 4 * 0x02, CSUPP | CSE_MASK)]);
        let fx = nvm(Some(&log));
        assert_eq!(fx.io(0x02), CSUPP);
        assert!(!Handling::of(fx.io(0x02)).freeze);
    }

    #[test]
    fn relaxations_lift_admin_restrictions() {
        for cser in [1u32 << 14, 1 << 15, CSER_MASK] {
            let log = log_with(&[(4 * 0x10, CSUPP | 1 << 16 | cser)]);
            assert_eq!(nvm(Some(&log)).admin(0x10), CSUPP | cser);
        }
        let log = log_with(&[(4 * 0x10, CSUPP | 1 << 17)]);
        assert_eq!(nvm(Some(&log)).admin(0x10), CSUPP | 1 << 17);
    }

    #[test]
    fn known_effects_are_added() {
        for log in [None, Some(&[0u8; LOG_SIZE][..])] {
            let fx = nvm(log);
            assert_eq!(fx.io(0x01), LBCC);
            assert_eq!(fx.io(0x04), LBCC);
            assert_eq!(fx.io(0x08), LBCC);
            assert_eq!(fx.io(0x02), 0);
            assert_eq!((0..=255u8).filter(|&op| fx.io(op) != 0).count(), 3);
            assert_eq!(fx.admin(0x80), LBCC | NCC | CSE_MASK);
            assert_eq!(fx.admin(0x84), LBCC | CSE_MASK);
            assert_eq!((0..=255u8).filter(|&op| fx.admin(op) != 0).count(), 2);
        }
        // A short buffer counts as no log.
        assert_eq!(nvm(Some(&[0xff; 100])), nvm(None));
        // What the log says is kept, and added to; Security Receive loses
        // its restrictions.
        let log = log_with(&[(4 * 0x80, CSUPP | CCC), (4 * 0x82, CSUPP | CSE_MASK)]);
        let fx = nvm(Some(&log));
        assert_eq!(fx.admin(0x80), CSUPP | CCC | LBCC | NCC | CSE_MASK);
        assert_eq!(fx.admin(0x82), CSUPP);
    }

    #[test]
    fn handling_follows_the_effects() {
        assert_eq!(Handling::of(0), Handling::default());
        assert_eq!(Handling::of(CSUPP | LBCC), Handling::default());
        for cse in 1..8u32 {
            assert!(Handling::of(cse << 16).freeze);
        }
        assert!(Handling::of(NIC).rescan);
        assert!(Handling::of(NCC).rescan);
        assert!(Handling::of(CCC).capabilities_changed);
        let format = nvm(None).admin(0x80);
        assert_eq!(
            Handling::of(format),
            Handling {
                freeze: true,
                rescan: true,
                capabilities_changed: false
            }
        );
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
    fn command_set_log_is_the_controllers_alone() {
        // A ZNS log: Zone Append (7Dh) supported and changing blocks; no
        // entry for Write (C adds LBCC only to the NVM log).
        let log = log_with(&[(IOCS_OFFSET + 4 * 0x7d, CSUPP | LBCC)]);
        let zns = command_set(&log).unwrap();
        assert!(zns.io_supported(0x7d));
        assert_eq!(zns.io(0x7d), CSUPP | LBCC);
        assert_eq!(zns.io(0x01), 0);
        assert!(!zns.io_supported(0x79));
        assert_eq!(command_set(&log[..100]), None);
    }
}
