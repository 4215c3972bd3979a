// SPDX-License-Identifier: GPL-2.0

//! Host Behavior Support (Set Features, Feature Identifier 16h; NVMe Base
//! Specification 2.0, section 5.27.1.18): what the host tells the
//! controller it handles, as C's `nvme_configure_host_options` sends it at
//! every bring-up.
//!
//! - **Advanced Command Retry Enable (ACRE)**, where the controller gives a
//!   first Command Retry Delay Time: its completions may then ask for a
//!   delay before a retry (CRD), which the driver honours
//!   (`spec::status::retry_delay_ms`).
//! - **LBA Format Extension Enable (LBAFEE)**, where the controller has
//!   Extended LBA Formats (CTRATT.ELBAS): formats whose protection
//!   information has the 64-bit guard, which the driver reads from the NVM
//!   command set's Identify Namespace.

use super::identify::IdentifyController;

/// Bytes of the Host Behavior Support data structure.
pub const HOST_BEHAVIOR_SIZE: usize = 512;

/// Byte 0: ACRE.
const ACRE: usize = 0;
/// Byte 2: LBAFEE.
const LBAFEE: usize = 2;

/// What the host enables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostBehavior {
    /// Advanced Command Retry Enable.
    pub acre: bool,
    /// LBA Format Extension Enable.
    pub lbafee: bool,
}

impl HostBehavior {
    /// What to enable on the controller `id` describes; `None` where
    /// nothing applies, and C sends no command.
    pub fn for_controller(id: &IdentifyController) -> Option<Self> {
        let wanted = HostBehavior {
            // A controller with no first delay time has nothing to ask for.
            acre: id.crdt[0] != 0,
            lbafee: id.extended_lba_formats(),
        };
        (wanted.acre || wanted.lbafee).then_some(wanted)
    }

    /// The data structure Set Features sends; reserved bytes and Extended
    /// Telemetry Data Area 4 (ETDAS) are 0, as in C.
    pub fn to_bytes(self) -> [u8; HOST_BEHAVIOR_SIZE] {
        let mut b = [0u8; HOST_BEHAVIOR_SIZE];
        b[ACRE] = u8::from(self.acre);
        b[LBAFEE] = u8::from(self.lbafee);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::super::command::IDENTIFY_DATA_SIZE;
    use super::super::identify::{IdentifyController, CTRATT_ELBAS};
    use super::*;

    fn controller(crdt1: u16, ctratt: u32) -> IdentifyController {
        let mut b = [0u8; IDENTIFY_DATA_SIZE];
        b[128..130].copy_from_slice(&crdt1.to_le_bytes());
        b[96..100].copy_from_slice(&ctratt.to_le_bytes());
        IdentifyController::parse(&b).unwrap()
    }

    #[test]
    fn nothing_to_send_without_either() {
        assert_eq!(HostBehavior::for_controller(&controller(0, 0)), None);
    }

    #[test]
    fn lbafee_with_extended_lba_formats() {
        // QEMU 7.2: ELBAS, no retry delay times.
        let hb = HostBehavior::for_controller(&controller(0, CTRATT_ELBAS)).unwrap();
        assert_eq!(
            hb,
            HostBehavior {
                acre: false,
                lbafee: true
            }
        );
        let b = hb.to_bytes();
        assert_eq!(&b[..4], &[0, 0, 1, 0]);
        assert!(b[4..].iter().all(|&x| x == 0));
    }

    #[test]
    fn acre_with_a_first_delay_time() {
        let hb = HostBehavior::for_controller(&controller(3, 0)).unwrap();
        assert!(hb.acre && !hb.lbafee);
        assert_eq!(&hb.to_bytes()[..3], &[1, 0, 0]);
    }
}
