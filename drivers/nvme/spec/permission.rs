// SPDX-License-Identifier: GPL-2.0

//! Who may send which passthrough command: the decision of
//! `nvme_cmd_allowed` in Linux 6.12.117 (`drivers/nvme/host/ioctl.c`), as
//! pure logic.
//!
//! Without `CAP_SYS_ADMIN`, a caller may send only what cannot escape the
//! device node's access control: on the controller node, the Identify data
//! needed to build I/O commands; on a namespace node, I/O commands that the
//! controller's Commands Supported and Effects log marks as supported and
//! harmless, and those that write only through a descriptor open for
//! writing. Everything else needs `CAP_SYS_ADMIN`, except Set Features for
//! state the driver manages itself, which nobody may send.

use super::command::IdentifyCns;

/// First vendor-specific I/O opcode (`nvme_cmd_vendor_start`).
pub const VENDOR_START: u8 = 0x80;
/// The Fabrics command opcode, never allowed unprivileged.
pub const FABRICS: u8 = 0x7f;

/// Identify CNS values an unprivileged caller may read: the data needed to
/// form I/O commands, nothing sensitive.
const OPEN_IDENTIFY_CNS: [u8; 5] = [
    IdentifyCns::Namespace as u8,
    IdentifyCns::Controller as u8,
    0x05, // I/O command set specific Identify Namespace
    0x06, // I/O command set specific Identify Controller
    0x08, // I/O command set independent Identify Namespace
];

/// Set Features identifiers the driver manages itself: changing them
/// behind its back leaves it unable to react, so they are refused even to
/// `CAP_SYS_ADMIN`. Keep Alive (0x0f) is among them except on fabrics.
const DRIVER_MANAGED_FEATURES: [u8; 4] = [
    0x07, // Number of Queues
    0x0c, // Autonomous Power State Transition
    0x0d, // Host Memory Buffer
    0x16, // Host Behavior Support
];
const KEEP_ALIVE_TIMER: u8 = 0x0f;

/// Commands Supported and Effects log bits (`NVME_CMD_EFFECTS_*`).
pub mod effects {
    /// Command supported.
    pub const CSUPP: u32 = 1 << 0;
    /// Logical block content change.
    pub const LBCC: u32 = 1 << 1;
    /// Namespace capability change.
    pub const NCC: u32 = 1 << 2;
    /// Namespace inventory change.
    pub const NIC: u32 = 1 << 3;
    /// Controller capability change.
    pub const CCC: u32 = 1 << 4;
    /// Command submission and execution relaxations, bits 15:14.
    pub const CSER_MASK: u32 = 0b11 << 14;
    /// Command submission and execution restrictions, bits 18:16.
    pub const CSE_MASK: u32 = 0b111 << 16;
    /// UUID selection supported.
    pub const UUID_SEL: u32 = 1 << 19;
    /// Command scope, bits 31:20.
    pub const SCOPE_MASK: u32 = 0xfff << 20;
    /// What an unprivileged caller's command may have: anything else is
    /// intrusive or unknown.
    pub const HARMLESS: u32 = CSUPP | LBCC | UUID_SEL | SCOPE_MASK;
}

/// The outcome of the permission check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Anyone who could open the node may send it.
    Allowed,
    /// Only a caller with `CAP_SYS_ADMIN` may send it.
    NeedsCapSysAdmin,
    /// Nobody may send it (`EACCES` even for root).
    Refused,
}

/// Where a passthrough command comes from and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passthrough {
    /// Sent through a namespace node (`/dev/ngXnY`, `/dev/nvmeXnY`) rather
    /// than the controller node (`/dev/nvmeX`): an I/O command.
    pub on_namespace: bool,
    /// Sent through a partition's block device.
    pub on_partition: bool,
    /// The command's opcode.
    pub opcode: u8,
    /// CDW10 bits 7:0: the CNS of an Identify, the FID of a Set Features.
    pub cdw10_low: u8,
    /// The namespace's Commands Supported and Effects entry for the opcode
    /// (0 if the controller has no such log).
    pub effects: u32,
    /// The caller's descriptor is open for writing.
    pub open_for_write: bool,
    /// The controller is reached over a fabric (never, for this driver).
    pub fabrics: bool,
}

/// Admin opcode of Identify.
const IDENTIFY: u8 = 0x06;
/// Admin opcode of Set Features.
const SET_FEATURES: u8 = 0x09;

impl Passthrough {
    /// Whether the opcode transfers data to the controller: bit 0 of an
    /// opcode is its host-to-controller data direction.
    pub const fn is_write(&self) -> bool {
        self.opcode & 1 != 0
    }

    /// Who may send the command.
    pub fn decide(&self) -> Decision {
        // A partition must not give access beyond its own blocks.
        if self.on_partition {
            return Decision::NeedsCapSysAdmin;
        }
        // Vendor-specific and fabrics commands have unknown effects.
        if self.opcode >= VENDOR_START || self.opcode == FABRICS {
            return Decision::NeedsCapSysAdmin;
        }
        if self.on_namespace {
            self.decide_io()
        } else {
            self.decide_admin()
        }
    }

    fn decide_admin(&self) -> Decision {
        match self.opcode {
            IDENTIFY if OPEN_IDENTIFY_CNS.contains(&self.cdw10_low) => Decision::Allowed,
            SET_FEATURES
                if DRIVER_MANAGED_FEATURES.contains(&self.cdw10_low)
                    || (self.cdw10_low == KEEP_ALIVE_TIMER && !self.fabrics) =>
            {
                Decision::Refused
            }
            _ => Decision::NeedsCapSysAdmin,
        }
    }

    fn decide_io(&self) -> Decision {
        if self.effects & effects::CSUPP == 0 || self.effects & !effects::HARMLESS != 0 {
            return Decision::NeedsCapSysAdmin;
        }
        // Writing, or changing blocks, needs a descriptor open for writing.
        if (self.is_write() || self.effects & effects::LBCC != 0) && !self.open_for_write {
            return Decision::NeedsCapSysAdmin;
        }
        Decision::Allowed
    }

    /// Whether a caller with (or without) `CAP_SYS_ADMIN` may send it.
    pub fn allowed(&self, cap_sys_admin: bool) -> bool {
        match self.decide() {
            Decision::Allowed => true,
            Decision::NeedsCapSysAdmin => cap_sys_admin,
            Decision::Refused => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(opcode: u8, effects: u32, open_for_write: bool) -> Passthrough {
        Passthrough {
            on_namespace: true,
            on_partition: false,
            opcode,
            cdw10_low: 0,
            effects,
            open_for_write,
            fabrics: false,
        }
    }

    fn admin(opcode: u8, cdw10_low: u8) -> Passthrough {
        Passthrough {
            on_namespace: false,
            on_partition: false,
            opcode,
            cdw10_low,
            effects: 0,
            open_for_write: true,
            fabrics: false,
        }
    }

    const READ: u8 = 0x02;
    const WRITE: u8 = 0x01;
    const FLUSH: u8 = 0x00;
    const SUPPORTED: u32 = effects::CSUPP;

    #[test]
    fn cap_sys_admin_allows_all_but_driver_managed_features() {
        for opcode in 0..=u8::MAX {
            for on_namespace in [false, true] {
                for low in [0u8, 1, 0x07, 0x0f, 0x16, 0xff] {
                    let p = Passthrough {
                        on_namespace,
                        on_partition: false,
                        opcode,
                        cdw10_low: low,
                        effects: u32::MAX,
                        open_for_write: false,
                        fabrics: false,
                    };
                    let refused = !on_namespace
                        && opcode == SET_FEATURES
                        && [0x07, 0x0c, 0x0d, 0x0f, 0x16].contains(&low);
                    assert_eq!(p.allowed(true), !refused, "{p:?}");
                }
            }
        }
    }

    #[test]
    fn identify_subset_on_controller_node() {
        for cns in 0..=u8::MAX {
            let allowed = admin(IDENTIFY, cns).allowed(false);
            assert_eq!(
                allowed,
                [0x00, 0x01, 0x05, 0x06, 0x08].contains(&cns),
                "cns {cns:#x}"
            );
        }
    }

    #[test]
    fn driver_managed_features_are_refused_to_everyone() {
        for fid in 0..=u8::MAX {
            let p = admin(SET_FEATURES, fid);
            let refused = [0x07, 0x0c, 0x0d, 0x0f, 0x16].contains(&fid);
            assert_eq!(p.decide() == Decision::Refused, refused, "fid {fid:#x}");
            assert_eq!(p.allowed(true), !refused);
            assert!(!p.allowed(false));
        }
        // Keep Alive belongs to the fabrics transports, where it may be set.
        let mut kato = admin(SET_FEATURES, KEEP_ALIVE_TIMER);
        kato.fabrics = true;
        assert_eq!(kato.decide(), Decision::NeedsCapSysAdmin);
        // Get Features of the same identifiers is only privileged.
        assert_eq!(admin(0x0a, 0x07).decide(), Decision::NeedsCapSysAdmin);
    }

    #[test]
    fn other_admin_commands_need_cap_sys_admin() {
        for opcode in (0..=u8::MAX).filter(|&o| o != IDENTIFY && o != SET_FEATURES) {
            for low in [0u8, 1] {
                assert!(!admin(opcode, low).allowed(false), "opcode {opcode:#x}");
                assert!(admin(opcode, low).allowed(true));
            }
        }
    }

    #[test]
    fn io_needs_supported_effects() {
        assert!(!io(READ, 0, true).allowed(false), "no effects log entry");
        assert!(io(READ, SUPPORTED, false).allowed(false));
        assert!(io(READ, SUPPORTED, true).allowed(false));
        assert!(io(FLUSH, SUPPORTED, false).allowed(false));
        // UUID selection and command scope are not effects on the data.
        let scoped = SUPPORTED | effects::UUID_SEL | effects::SCOPE_MASK;
        assert!(io(READ, scoped, false).allowed(false));
    }

    #[test]
    fn writes_need_descriptor_open_for_writing() {
        assert!(!io(WRITE, SUPPORTED, false).allowed(false));
        assert!(io(WRITE, SUPPORTED, true).allowed(false));
        // Write Zeroes (0x08) moves no data but changes blocks (LBCC).
        let lbcc = SUPPORTED | effects::LBCC;
        assert!(!io(0x08, lbcc, false).allowed(false));
        assert!(io(0x08, lbcc, true).allowed(false));
    }

    #[test]
    fn intrusive_effects_need_cap_sys_admin() {
        let intrusive = [
            effects::NCC,
            effects::NIC,
            effects::CCC,
            1 << 14,
            1 << 16,
            1 << 18,
        ];
        for bit in intrusive {
            assert!(
                !io(READ, SUPPORTED | bit, true).allowed(false),
                "effect {bit:#x}"
            );
            assert!(io(READ, SUPPORTED | bit, true).allowed(true));
        }
    }

    #[test]
    fn vendor_and_fabrics_need_cap_sys_admin() {
        for opcode in (VENDOR_START..=u8::MAX).chain([FABRICS]) {
            assert!(
                !io(opcode, SUPPORTED, true).allowed(false),
                "opcode {opcode:#x}"
            );
            assert!(io(opcode, SUPPORTED, true).allowed(true));
            assert!(!admin(opcode, 1).allowed(false));
        }
    }

    #[test]
    fn partitions_need_cap_sys_admin() {
        let mut p = io(READ, SUPPORTED, true);
        p.on_partition = true;
        assert!(!p.allowed(false));
        assert!(p.allowed(true));
    }

    /// Every opcode and flag combination, against the C functions' control
    /// flow restated as one expression.
    #[test]
    fn exhaustive_against_restated_rule() {
        let effect_values = [
            0,
            SUPPORTED,
            SUPPORTED | effects::LBCC,
            SUPPORTED | effects::NCC,
            SUPPORTED | effects::UUID_SEL,
            effects::LBCC,
        ];
        for opcode in 0..=u8::MAX {
            for &effects in &effect_values {
                for low in [0u8, 1, 0x07] {
                    for bits in 0..8u8 {
                        let p = Passthrough {
                            on_namespace: bits & 1 != 0,
                            on_partition: bits & 2 != 0,
                            opcode,
                            cdw10_low: low,
                            effects,
                            open_for_write: bits & 4 != 0,
                            fabrics: false,
                        };
                        let privileged_only = p.on_partition
                            || opcode >= 0x80
                            || opcode == 0x7f
                            || (!p.on_namespace && (opcode != 0x06 || low > 1))
                            || (p.on_namespace
                                && (effects & 1 == 0
                                    || effects & !(3 | 1 << 19 | 0xfff << 20) != 0
                                    || ((opcode & 1 != 0 || effects & 2 != 0)
                                        && !p.open_for_write)));
                        assert_eq!(p.allowed(false), !privileged_only, "{p:?}");
                    }
                }
            }
        }
    }
}
