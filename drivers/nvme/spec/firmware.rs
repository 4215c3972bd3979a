// SPDX-License-Identifier: GPL-2.0

//! Firmware activation without a reset (NVMe Base Specification 2.0,
//! sections 5.11 and 5.16.1.4): how long the host waits while the
//! controller pauses processing to activate new firmware, and which
//! revision runs afterwards, from the Firmware Slot Information log. C:
//! `nvme_fw_act_work` and `nvme_get_fw_slot_info` in
//! `drivers/nvme/host/core.c`.

use super::identify::AsciiField;

/// Log page of Firmware Slot Information.
pub const FW_SLOT_LOG: u8 = 0x03;
/// Bytes of the Firmware Slot Information log.
pub const FW_SLOT_LOG_SIZE: u32 = 512;

/// How often the host reads `CSTS.PP` while the controller activates
/// firmware, in milliseconds (C's `msleep(100)`).
pub const POLL_INTERVAL_MS: u32 = 100;

/// How long the host lets the controller keep processing paused before it
/// resets the controller, in milliseconds: the Maximum Time for Firmware
/// Activation (MTFA, 100 ms units) where Identify Controller reports one,
/// else the admin command timeout (C `nvme_fw_act_work`).
pub const fn activation_timeout_ms(mtfa: u16, admin_timeout_ms: u32) -> u32 {
    if mtfa != 0 {
        mtfa as u32 * 100
    } else {
        admin_timeout_ms
    }
}

/// What to do after reading `CSTS` while firmware activates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationWait {
    /// Processing resumed: bring the controller back to live.
    Done,
    /// Still paused and within the time allowed: sleep
    /// [`POLL_INTERVAL_MS`] and read `CSTS` again.
    Sleep,
    /// Still paused past the time allowed: reset the controller (C's
    /// "Fw activation timeout, reset controller").
    TimedOut,
}

/// The decision after a read of `CSTS` that found Processing Paused as
/// `paused`, `elapsed_ms` after the notice, with `timeout_ms` allowed
/// ([`activation_timeout_ms`]). A controller whose `CSTS` could not be
/// read, or read as all ones, or that is not enabled, counts as not
/// paused, as C's `nvme_ctrl_pp_status` has it.
pub const fn activation_wait(paused: bool, elapsed_ms: u64, timeout_ms: u32) -> ActivationWait {
    if !paused {
        ActivationWait::Done
    } else if elapsed_ms > timeout_ms as u64 {
        ActivationWait::TimedOut
    } else {
        ActivationWait::Sleep
    }
}

/// Which firmware runs once an activation ended, from the Firmware Slot
/// Information log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotInfo {
    /// The active slot's revision: the controller's firmware revision now.
    Active(AsciiField<8>),
    /// No active slot is reported, or another slot activates at the next
    /// Controller Level Reset: the revision stays as it was (C's "Firmware
    /// is activated after next Controller Level Reset").
    AfterNextReset,
}

impl SlotInfo {
    /// Parses the log's Active Firmware Info (byte 0: the active slot in
    /// bits 2:0, the slot activated at the next reset in bits 6:4) and the
    /// revisions of slots 1 to 7 (8 bytes each from byte 8). `None` where
    /// the log is shorter than that.
    pub fn parse(log: &[u8]) -> Option<SlotInfo> {
        let afi = *log.first()?;
        let current = (afi & 0x7) as usize;
        let next = (afi >> 4) & 0x7;
        if current == 0 || (next != 0 && next as usize != current) {
            return Some(SlotInfo::AfterNextReset);
        }
        let at = 8 + 8 * (current - 1);
        if log.len() < at + 8 {
            return None;
        }
        Some(SlotInfo::Active(AsciiField::from(log, at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_from_mtfa_or_admin_timeout() {
        assert_eq!(activation_timeout_ms(0, 60_000), 60_000);
        assert_eq!(activation_timeout_ms(1, 60_000), 100);
        assert_eq!(activation_timeout_ms(50, 60_000), 5_000);
        // MTFA may exceed the admin timeout; it is what the controller
        // promised, and C waits for it.
        assert_eq!(activation_timeout_ms(3000, 60_000), 300_000);
        assert_eq!(activation_timeout_ms(u16::MAX, 1_000), 6_553_500);
    }

    #[test]
    fn wait_decisions() {
        assert_eq!(activation_wait(false, 0, 100), ActivationWait::Done);
        assert_eq!(activation_wait(false, 1_000, 100), ActivationWait::Done);
        assert_eq!(activation_wait(true, 0, 100), ActivationWait::Sleep);
        // As C's `time_after`: at the deadline it still waits.
        assert_eq!(activation_wait(true, 100, 100), ActivationWait::Sleep);
        assert_eq!(activation_wait(true, 101, 100), ActivationWait::TimedOut);
    }

    /// A log with `afi` and slot `n`'s revision "FW-n".
    fn log(afi: u8) -> [u8; FW_SLOT_LOG_SIZE as usize] {
        let mut log = [0u8; FW_SLOT_LOG_SIZE as usize];
        log[0] = afi;
        for slot in 1..=7u8 {
            let at = 8 * slot as usize;
            log[at..at + 8].copy_from_slice(&[
                b'F',
                b'W',
                b'-',
                b'0' + slot,
                b' ',
                b' ',
                b' ',
                b' ',
            ]);
        }
        log
    }

    #[test]
    fn slot_info() {
        let active = |afi| match SlotInfo::parse(&log(afi)) {
            Some(SlotInfo::Active(rev)) => Some(*rev.as_bytes()),
            _ => None,
        };
        assert_eq!(active(0x01), Some(*b"FW-1    "));
        assert_eq!(active(0x07), Some(*b"FW-7    "));
        // The next slot is the active one: nothing pending.
        assert_eq!(active(0x33), Some(*b"FW-3    "));
        // Another slot is activated at the next reset.
        assert_eq!(SlotInfo::parse(&log(0x21)), Some(SlotInfo::AfterNextReset));
        // No active slot.
        assert_eq!(SlotInfo::parse(&log(0x00)), Some(SlotInfo::AfterNextReset));
        assert_eq!(SlotInfo::parse(&log(0x10)), Some(SlotInfo::AfterNextReset));
        // Bit 3 and 7 are reserved.
        assert_eq!(active(0x8a), Some(*b"FW-2    "));
        assert_eq!(SlotInfo::parse(&[]), None);
        assert_eq!(SlotInfo::parse(&[0x07; 40]), None);
        assert_eq!(SlotInfo::parse(&[0x10; 1]), Some(SlotInfo::AfterNextReset));
    }

    #[test]
    fn mtfa_is_parsed() {
        use super::super::command::IDENTIFY_DATA_SIZE;
        use super::super::identify::IdentifyController;
        let mut id = [0u8; IDENTIFY_DATA_SIZE];
        id[270..272].copy_from_slice(&1234u16.to_le_bytes());
        assert_eq!(IdentifyController::parse(&id).unwrap().mtfa, 1234);
    }
}
