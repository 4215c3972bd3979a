// SPDX-License-Identifier: GPL-2.0

//! How a namespace's identity reads in sysfs, as C 6.12's `sysfs.c` prints
//! it (`wwid`, `uuid`, `nguid`, `eui`): what udev builds the
//! `/dev/disk/by-id/nvme-*` links from and nvme-cli shows; and when `nuse`
//! asks the controller again.

use super::identify::{le64, NamespaceIds, NUSE_OFFSET};
use core::fmt;

/// Sixteen bytes as a UUID, lowercase, in the order they are stored (C
/// `%pU`): `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub struct Uuid<'a>(pub &'a [u8; 16]);

impl fmt::Display for Uuid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Bytes in lowercase hex, with no separator (C `%phN`).
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Bytes in lowercase hex, separated by spaces (C `%ph`).
pub struct SpacedHex<'a>(pub &'a [u8]);

impl fmt::Display for SpacedHex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A namespace's World Wide Identifier (C `wwid_show`): its UUID, else its
/// NGUID, else its EUI-64, else one made of the controller's PCI vendor
/// ID, serial and model numbers (padding trimmed) and the NSID.
pub struct Wwid<'a> {
    /// The namespace's identifiers.
    pub ids: &'a NamespaceIds,
    /// Identify Controller's VID.
    pub vendor_id: u16,
    /// The serial number without its padding.
    pub serial: &'a [u8],
    /// The model number without its padding.
    pub model: &'a [u8],
    /// The namespace ID.
    pub nsid: u32,
}

impl fmt::Display for Wwid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uuid) = &self.ids.uuid {
            write!(f, "uuid.{}", Uuid(uuid))
        } else if let Some(nguid) = &self.ids.nguid {
            write!(f, "eui.{}", Hex(nguid))
        } else if let Some(eui64) = &self.ids.eui64 {
            write!(f, "eui.{}", Hex(eui64))
        } else {
            write!(
                f,
                "nvme.{:04x}-{}-{}-{:08x}",
                self.vendor_id,
                Hex(self.serial),
                Hex(self.model),
                self.nsid
            )
        }
    }
}

/// What `uuid` shows: the UUID, or for older namespaces the NGUID (C
/// shows it for backward compatibility); `None` where the attribute is
/// hidden, with neither.
pub fn uuid_attribute(ids: &NamespaceIds) -> Option<Uuid<'_>> {
    ids.uuid.as_ref().or(ids.nguid.as_ref()).map(Uuid)
}

/// How long after one read of `nuse` asked the controller the next may
/// ask again, in milliseconds: C's `rs_nuse`, a rate limit of one in
/// `5 * HZ`.
pub const NUSE_REFRESH_MS: i64 = 5000;

/// Whether a read of `nuse` at `now_ms` sends Identify Namespace again,
/// the last that did having been at `last_ms` (`None`: none yet), as C's
/// `__ratelimit` with a burst of one decides: the first read does, then
/// the first after more than [`NUSE_REFRESH_MS`].
pub fn nuse_refresh_due(last_ms: Option<i64>, now_ms: i64) -> bool {
    last_ms.map_or(true, |last| now_ms.saturating_sub(last) > NUSE_REFRESH_MS)
}

/// Namespace Utilization (NUSE, bytes 23:16) of an Identify Namespace
/// data structure, read as C reads it, whatever else the structure says
/// (all zero for an inactive namespace: 0); `None` if `id` is too short.
pub fn nuse_of(id: &[u8]) -> Option<u64> {
    (id.len() >= NUSE_OFFSET + 8).then(|| le64(id, NUSE_OFFSET))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: [u8; 16] = [
        0x6b, 0x2f, 0x6a, 0x0e, 0x42, 0x1c, 0x4b, 0x8d, 0x9a, 0x5e, 0x1f, 0x00, 0x3c, 0x2d, 0x7e,
        0x11,
    ];
    const NGUID: [u8; 16] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];
    const EUI64: [u8; 8] = [0x52, 0x54, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];

    fn wwid(ids: NamespaceIds) -> String {
        format!(
            "{}",
            Wwid {
                ids: &ids,
                vendor_id: 0x1b36,
                serial: b"nvmers-ci-0001",
                model: b"QEMU NVMe Ctrl",
                nsid: 2,
            }
        )
    }

    #[test]
    fn formats_as_c_prints_them() {
        assert_eq!(
            format!("{}", Uuid(&UUID)),
            "6b2f6a0e-421c-4b8d-9a5e-1f003c2d7e11"
        );
        assert_eq!(format!("{}", Hex(&EUI64)), "5254000000000001");
        assert_eq!(format!("{}", SpacedHex(&EUI64)), "52 54 00 00 00 00 00 01");
    }

    #[test]
    fn wwid_prefers_uuid_then_nguid_then_eui64_then_the_controller() {
        let all = NamespaceIds {
            eui64: Some(EUI64),
            nguid: Some(NGUID),
            uuid: Some(UUID),
            csi: Some(0),
        };
        assert_eq!(wwid(all), "uuid.6b2f6a0e-421c-4b8d-9a5e-1f003c2d7e11");
        let no_uuid = NamespaceIds { uuid: None, ..all };
        assert_eq!(wwid(no_uuid), "eui.00112233445566778899aabbccddeeff");
        let eui_only = NamespaceIds {
            nguid: None,
            ..no_uuid
        };
        assert_eq!(wwid(eui_only), "eui.5254000000000001");
        // C: "nvme.%04x-%*phN-%*phN-%08x" of VID, serial, model, NSID.
        assert_eq!(
            wwid(NamespaceIds::default()),
            "nvme.1b36-6e766d6572732d63692d30303031-51454d55204e564d65204374726c-00000002"
        );
    }

    #[test]
    fn uuid_attribute_falls_back_to_the_nguid() {
        let ids = NamespaceIds {
            nguid: Some(NGUID),
            ..NamespaceIds::default()
        };
        assert_eq!(
            uuid_attribute(&ids).map(|u| format!("{u}")).as_deref(),
            Some("00112233-4455-6677-8899-aabbccddeeff")
        );
        assert!(uuid_attribute(&NamespaceIds::default()).is_none());
    }

    #[test]
    fn nuse_is_asked_again_at_most_every_five_seconds() {
        assert!(nuse_refresh_due(None, 0));
        assert!(nuse_refresh_due(None, -7));
        assert!(!nuse_refresh_due(Some(1000), 1000));
        assert!(!nuse_refresh_due(Some(1000), 6000));
        assert!(nuse_refresh_due(Some(1000), 6001));
        // A clock read before the last refresh (another reader's, racing)
        // is not due.
        assert!(!nuse_refresh_due(Some(1000), 900));
    }

    #[test]
    fn nuse_is_bytes_16_to_23() {
        let mut id = [0u8; 4096];
        id[16..24].copy_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
        id[0..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(nuse_of(&id), Some(0x0102_0304_0506_0708));
        assert_eq!(nuse_of(&[0u8; 4096]), Some(0));
        assert_eq!(nuse_of(&id[..23]), None);
    }
}
