// SPDX-License-Identifier: GPL-2.0

//! Asynchronous events (NVMe Base Specification 2.0, sections 5.2 and
//! 5.27.1.7): what the controller reports in the completion of an
//! Asynchronous Event Request, which events the host enables, and the log
//! pages that clear them. C: `nvme_complete_async_event`, `nvme_enable_aen`.

use super::command::{AdminOpcode, Command, FeatureId};

/// Set Features value of Asynchronous Event Configuration bit 8: Namespace
/// Attribute Notices; also the bit of Identify Controller OAES saying the
/// controller sends them.
pub const NS_ATTRIBUTE_NOTICES: u32 = 1 << 8;

/// Set Features value of Asynchronous Event Configuration bit 9: Firmware
/// Activation Notices; also the OAES bit saying the controller sends them.
pub const FW_ACTIVATION_NOTICES: u32 = 1 << 9;

/// Asynchronous Event Configuration bits 7:0: one per SMART/health critical
/// warning bit, each enabling events for that warning.
pub const SMART_WARNINGS: u32 = 0xff;

/// Log page of SMART / Health Information.
pub const SMART_LOG: u8 = 0x02;
/// Bytes of the SMART / Health Information log.
pub const SMART_LOG_SIZE: u32 = 512;
/// Log page of the Changed Namespace List.
pub const CHANGED_NS_LOG: u8 = 0x04;
/// Bytes of the Changed Namespace List log: 1024 NSIDs.
pub const CHANGED_NS_LOG_SIZE: u32 = 4096;

/// Asynchronous Event Type (completion dword 0, bits 2:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Error status (0).
    Error,
    /// SMART / health status (1).
    Smart,
    /// Notice (2).
    Notice,
    /// Immediate (3).
    Immediate,
    /// One-shot (4).
    OneShot,
    /// I/O command specific status (6).
    IoCommandSet,
    /// Vendor specific (7).
    Vendor,
    /// Reserved (5).
    Reserved,
}

/// An event, from dword 0 of an Asynchronous Event Request's completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsyncEvent {
    /// Event type.
    pub kind: Kind,
    /// Asynchronous Event Information (bits 15:8): which event of its type.
    pub info: u8,
    /// Log page to read (bits 23:16); reading it without Retain
    /// Asynchronous Event lets the controller report its type again.
    pub log_page: u8,
}

/// Notice information (type 2): Namespace Attribute Changed.
pub const NOTICE_NS_ATTRIBUTE_CHANGED: u8 = 0x00;
/// Notice information: Firmware Activation Starting.
pub const NOTICE_FW_ACTIVATION_STARTING: u8 = 0x01;
/// Notice information: Discovery Log Page Change.
pub const NOTICE_DISCOVERY_CHANGED: u8 = 0xf0;
/// Error information (type 0): Persistent Internal Error.
pub const ERROR_PERSISTENT_INTERNAL: u8 = 0x03;

impl AsyncEvent {
    /// Decodes completion dword 0.
    pub const fn from_result(result: u32) -> Self {
        let kind = match result & 7 {
            0 => Kind::Error,
            1 => Kind::Smart,
            2 => Kind::Notice,
            3 => Kind::Immediate,
            4 => Kind::OneShot,
            6 => Kind::IoCommandSet,
            7 => Kind::Vendor,
            _ => Kind::Reserved,
        };
        AsyncEvent {
            kind,
            info: (result >> 8) as u8,
            log_page: (result >> 16) as u8,
        }
    }

    /// Whether the namespace list may have changed, so the host rescans.
    pub const fn namespaces_changed(&self) -> bool {
        matches!(self.kind, Kind::Notice) && self.info == NOTICE_NS_ATTRIBUTE_CHANGED
    }

    /// Whether the controller is starting to activate new firmware: it
    /// pauses processing (`CSTS.PP`) until done (C
    /// `NVME_AER_NOTICE_FW_ACT_STARTING`).
    pub const fn firmware_activation_starting(&self) -> bool {
        matches!(self.kind, Kind::Notice) && self.info == NOTICE_FW_ACTIVATION_STARTING
    }

    /// Whether the controller reports a persistent internal error: C
    /// resets it, and the reset submits the next request.
    pub const fn persistent_internal_error(&self) -> bool {
        matches!(self.kind, Kind::Error) && self.info == ERROR_PERSISTENT_INTERNAL
    }

    /// Whether user space hears of the event through an `NVME_AEN` uevent
    /// on the controller (C `nvme_complete_async_event` setting
    /// `aen_result`): errors other than a persistent internal one, SMART /
    /// health, I/O command set and vendor events, and discovery notices.
    pub const fn tells_user_space(&self) -> bool {
        match self.kind {
            Kind::Error => !self.persistent_internal_error(),
            Kind::Smart | Kind::IoCommandSet | Kind::Vendor => true,
            Kind::Notice => self.info == NOTICE_DISCOVERY_CHANGED,
            _ => false,
        }
    }
}

/// The Asynchronous Event Configuration to set: every SMART critical
/// warning, and namespace and firmware activation notices if the
/// controller's OAES offers them (as C's `NVME_AEN_SUPPORTED` masked with
/// OAES; C's ANA and discovery notices are for multipath and fabrics).
pub const fn configuration(oaes: u32) -> u32 {
    SMART_WARNINGS | (oaes & (NS_ATTRIBUTE_NOTICES | FW_ACTIVATION_NOTICES))
}

impl Command {
    /// Asynchronous Event Request: completes when the controller has an
    /// event to report, which may be never.
    pub const fn async_event_request() -> Command {
        Command::admin(AdminOpcode::AsyncEvent)
    }

    /// Set Features, Asynchronous Event Configuration, to `value`.
    pub const fn async_event_configuration(value: u32) -> Command {
        Command::set_features(FeatureId::AsyncEventConfig, value)
    }
}

/// Names of the SMART/health Critical Warning bits (log byte 0), bit 0
/// first; a set bit beyond these is reported by number.
pub const CRITICAL_WARNINGS: [&str; 6] = [
    "spare below threshold",
    "temperature",
    "reliability degraded",
    "read-only",
    "volatile backup failed",
    "persistent memory read-only",
];

/// The names of the warnings set in `warning`, in bit order.
pub fn critical_warning_names(warning: u8) -> impl Iterator<Item = &'static str> {
    CRITICAL_WARNINGS
        .iter()
        .enumerate()
        .filter(move |(bit, _)| warning & (1 << bit) != 0)
        .map(|(_, name)| *name)
}

/// Shows the warnings set in a Critical Warning byte: their names joined
/// by ", ", then any reserved bit as "bit N"; "none" if no bit is set.
pub struct WarningList(pub u8);

impl core::fmt::Display for WarningList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0 == 0 {
            return f.write_str("none");
        }
        let mut sep = "";
        for name in critical_warning_names(self.0) {
            write!(f, "{sep}{name}")?;
            sep = ", ";
        }
        for bit in CRITICAL_WARNINGS.len()..8 {
            if self.0 & (1 << bit) != 0 {
                write!(f, "{sep}bit {bit}")?;
                sep = ", ";
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_events_user_space_hears_of() {
        // QEMU's temperature warning: SMART, information 1, log page 2.
        assert!(AsyncEvent::from_result(0x0002_0101).tells_user_space());
        assert!(AsyncEvent::from_result(0x0000_0000).tells_user_space());
        assert!(!AsyncEvent::from_result(0x0000_0300).tells_user_space());
        assert!(AsyncEvent::from_result(0x0000_0300).persistent_internal_error());
        assert!(!AsyncEvent::from_result(0x0004_0002).tells_user_space());
        assert!(AsyncEvent::from_result(0x0070_f002).tells_user_space());
        assert!(AsyncEvent::from_result(0x0000_0006).tells_user_space());
        assert!(AsyncEvent::from_result(0x0000_0007).tells_user_space());
        assert!(!AsyncEvent::from_result(0x0000_0003).tells_user_space());
        assert!(!AsyncEvent::from_result(0x0000_0005).tells_user_space());
    }

    #[test]
    fn decodes_every_type() {
        let kinds = [
            Kind::Error,
            Kind::Smart,
            Kind::Notice,
            Kind::Immediate,
            Kind::OneShot,
            Kind::Reserved,
            Kind::IoCommandSet,
            Kind::Vendor,
        ];
        for (t, kind) in kinds.iter().enumerate() {
            let ev = AsyncEvent::from_result(0xab_cd_00 | t as u32 | 0xf8);
            assert_eq!(ev.kind, *kind);
            assert_eq!((ev.info, ev.log_page), (0xcd, 0xab));
        }
    }

    #[test]
    fn namespace_attribute_notice() {
        // What QEMU sends on Namespace Attachment: notice, info 0, log 4.
        let ev = AsyncEvent::from_result(0x0004_0002);
        assert!(ev.namespaces_changed());
        assert_eq!(ev.log_page, CHANGED_NS_LOG);
        // Firmware activation starting (notice, info 1) is not one.
        assert!(!AsyncEvent::from_result(0x0003_0102).namespaces_changed());
        // Nor a SMART event with info 0.
        assert!(!AsyncEvent::from_result(0x0002_0001).namespaces_changed());
    }

    #[test]
    fn configuration_follows_oaes() {
        assert_eq!(configuration(0), 0xff);
        assert_eq!(configuration(NS_ATTRIBUTE_NOTICES), 0x1ff);
        assert_eq!(configuration(FW_ACTIVATION_NOTICES), 0x2ff);
        // Other notices the driver does not handle stay off.
        assert_eq!(configuration(0xffff_ffff), 0x3ff);
    }

    #[test]
    fn firmware_activation_notice() {
        // Notice, information 1, Firmware Slot Information log (03h).
        let ev = AsyncEvent::from_result(0x0003_0102);
        assert!(ev.firmware_activation_starting());
        assert!(!ev.tells_user_space());
        assert!(!AsyncEvent::from_result(0x0004_0002).firmware_activation_starting());
        // A SMART event with information 1 is not one.
        assert!(!AsyncEvent::from_result(0x0002_0101).firmware_activation_starting());
    }

    #[test]
    fn commands() {
        let aer = Command::async_event_request().to_bytes();
        assert_eq!(aer[0], 0x0c);
        assert!(aer[1..].iter().all(|&b| b == 0));
        let aec = Command::async_event_configuration(0x1ff);
        assert_eq!(aec.opcode(), 0x09);
        assert_eq!((aec.dword(10), aec.dword(11)), (0x0b, 0x1ff));
    }

    #[test]
    fn warning_names() {
        for warning in 0..=u8::MAX {
            let names: Vec<_> = critical_warning_names(warning).collect();
            assert_eq!(names.len(), (warning & 0x3f).count_ones() as usize);
        }
        let names: Vec<_> = critical_warning_names(0x0a).collect();
        assert_eq!(names, ["temperature", "read-only"]);
    }

    #[test]
    fn warning_list() {
        assert_eq!(format!("{}", WarningList(0)), "none");
        assert_eq!(format!("{}", WarningList(0x02)), "temperature");
        assert_eq!(
            format!("{}", WarningList(0x03)),
            "spare below threshold, temperature"
        );
        assert_eq!(
            format!("{}", WarningList(0x84)),
            "reliability degraded, bit 7"
        );
        for warning in 1..=u8::MAX {
            let shown = format!("{}", WarningList(warning));
            assert_eq!(shown.split(", ").count(), warning.count_ones() as usize);
        }
    }
}
