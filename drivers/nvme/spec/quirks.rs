// SPDX-License-Identifier: GPL-2.0

//! Controller quirks: what particular devices need done differently, as
//! C 6.12 knows them, by PCI ID (`pci.c`'s `nvme_id_table`) and by Identify
//! Controller's vendor, model and firmware (`core.c`'s `core_quirks`).
//! The tables are C's, entry for entry; the bits are C's `NVME_QUIRK_*`.

use core::ops::BitOr;

/// A set of quirks (C `enum nvme_quirks`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quirks(pub u32);

impl Quirks {
    /// None.
    pub const NONE: Quirks = Quirks(0);
    /// Prefers I/O aligned to a stripe size (Intel).
    pub const STRIPE_SIZE: Quirks = Quirks(1 << 0);
    /// Does not list active namespaces (Identify CNS 02h): scan them in turn.
    pub const IDENTIFY_CNS: Quirks = Quirks(1 << 1);
    /// Deallocated blocks read as zeroes whatever DLFEAT says.
    pub const DEALLOCATE_ZEROES: Quirks = Quirks(1 << 2);
    /// Needs a delay after CC.EN is cleared before CSTS.RDY is polled.
    pub const DELAY_BEFORE_CHK_RDY: Quirks = Quirks(1 << 3);
    /// Autonomous power state transitions break it.
    pub const NO_APST: Quirks = Quirks(1 << 4);
    /// Its deepest power state breaks it.
    pub const NO_DEEPEST_PS: Quirks = Quirks(1 << 5);
    /// One command at a time.
    pub const QDEPTH_ONE: Quirks = Quirks(1 << 6);
    /// Submission queues at medium priority.
    pub const MEDIUM_PRIO_SQ: Quirks = Quirks(1 << 7);
    /// Its SUBNQN is not unique: ignore it.
    pub const IGNORE_DEV_SUBNQN: Quirks = Quirks(1 << 8);
    /// Write Zeroes is broken: do not use it.
    pub const DISABLE_WRITE_ZEROES: Quirks = Quirks(1 << 9);
    /// System suspend must shut it down, never use a low power state.
    pub const SIMPLE_SUSPEND: Quirks = Quirks(1 << 10);
    /// One interrupt vector only.
    pub const SINGLE_VECTOR: Quirks = Quirks(1 << 11);
    /// Submission queue entries of 128 bytes (Apple).
    pub const SQE_128_BYTES: Quirks = Quirks(1 << 12);
    /// Admin and I/O queues share one tag space (Apple).
    pub const SHARED_TAGS: Quirks = Quirks(1 << 13);
    /// Temperature thresholds must not be changed.
    pub const NO_TEMP_THRESH_CHANGE: Quirks = Quirks(1 << 14);
    /// No Namespace Identification Descriptor list (Identify CNS 03h).
    pub const NO_NS_DESC_LIST: Quirks = Quirks(1 << 15);
    /// DMA addresses of at most 48 bits.
    pub const DMA_ADDRESS_BITS_48: Quirks = Quirks(1 << 16);
    /// Command IDs without the generation counter (Apple).
    pub const SKIP_CID_GEN: Quirks = Quirks(1 << 17);
    /// Namespace identifiers (EUI-64, NGUID, UUID) are not unique: ignore
    /// them.
    pub const BOGUS_NID: Quirks = Quirks(1 << 18);
    /// No secondary temperature threshold.
    pub const NO_SECONDARY_TEMP_THRESH: Quirks = Quirks(1 << 19);
    /// Never force the simple suspend path.
    pub const FORCE_NO_SIMPLE_SUSPEND: Quirks = Quirks(1 << 20);
    /// MSI is broken: use MSI-X or INTx.
    pub const BROKEN_MSI: Quirks = Quirks(1 << 21);
    /// DMA pool blocks aligned to 512 bytes.
    pub const DMAPOOL_ALIGN_512: Quirks = Quirks(1 << 22);

    /// Whether every quirk of `other` is set.
    pub const fn has(self, other: Quirks) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Quirks {
    type Output = Quirks;

    fn bitor(self, other: Quirks) -> Quirks {
        Quirks(self.0 | other.0)
    }
}

// `|` in the tables below, which are constants.
const fn or(a: Quirks, b: Quirks) -> Quirks {
    Quirks(a.0 | b.0)
}

macro_rules! quirks {
    ($one:ident) => { Quirks::$one };
    ($first:ident $(| $rest:ident)+) => { or(Quirks::$first, quirks!($($rest)|+)) };
}

/// A PCI ID and its quirks.
#[derive(Clone, Copy, Debug)]
pub struct PciQuirk {
    /// PCI vendor ID.
    pub vendor: u16,
    /// PCI device ID.
    pub device: u16,
    /// Its quirks.
    pub quirks: Quirks,
}

/// C 6.12's `nvme_id_table`, in its order (the first match counts, as in
/// PCI driver matching), each entry's comment C's. C's last entry, any
/// device of the NVMe class, has no quirks and is left out.
pub static PCI_QUIRKS: &[PciQuirk] = &[
    PciQuirk {
        vendor: 0x8086,
        device: 0x0953,
        quirks: quirks!(STRIPE_SIZE | DEALLOCATE_ZEROES),
    }, // Intel 750/P3500/P3600/P3700
    PciQuirk {
        vendor: 0x8086,
        device: 0x0a53,
        quirks: quirks!(STRIPE_SIZE | DEALLOCATE_ZEROES),
    }, // Intel P3520
    PciQuirk {
        vendor: 0x8086,
        device: 0x0a54,
        quirks: quirks!(STRIPE_SIZE | DEALLOCATE_ZEROES | IGNORE_DEV_SUBNQN | BOGUS_NID),
    }, // Intel P4500/P4600
    PciQuirk {
        vendor: 0x8086,
        device: 0x0a55,
        quirks: quirks!(STRIPE_SIZE | DEALLOCATE_ZEROES),
    }, // Dell Express Flash P4600
    PciQuirk {
        vendor: 0x8086,
        device: 0xf1a5,
        quirks: quirks!(
            NO_DEEPEST_PS | MEDIUM_PRIO_SQ | NO_TEMP_THRESH_CHANGE | DISABLE_WRITE_ZEROES
        ),
    }, // Intel 600P/P3100
    PciQuirk {
        vendor: 0x8086,
        device: 0xf1a6,
        quirks: quirks!(IGNORE_DEV_SUBNQN),
    }, // Intel 760p/Pro 7600p
    PciQuirk {
        vendor: 0x8086,
        device: 0x5845,
        quirks: quirks!(IDENTIFY_CNS | DISABLE_WRITE_ZEROES | BOGUS_NID),
    }, // Qemu emulated controller
    PciQuirk {
        vendor: 0x1b36,
        device: 0x0010,
        quirks: quirks!(BOGUS_NID),
    }, // Qemu emulated controller
    PciQuirk {
        vendor: 0x1217,
        device: 0x8760,
        quirks: quirks!(DMAPOOL_ALIGN_512),
    }, // O2 Micro 64GB Steam Deck
    PciQuirk {
        vendor: 0x126f,
        device: 0x1001,
        quirks: quirks!(NO_DEEPEST_PS | IGNORE_DEV_SUBNQN),
    }, // Silicon Motion generic
    PciQuirk {
        vendor: 0x126f,
        device: 0x2262,
        quirks: quirks!(NO_DEEPEST_PS | BOGUS_NID),
    }, // Silicon Motion generic
    PciQuirk {
        vendor: 0x126f,
        device: 0x2263,
        quirks: quirks!(NO_NS_DESC_LIST | BOGUS_NID),
    }, // Silicon Motion unidentified
    PciQuirk {
        vendor: 0x1bb1,
        device: 0x0100,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY | NO_NS_DESC_LIST),
    }, // Seagate Nytro Flash Storage
    PciQuirk {
        vendor: 0x1c58,
        device: 0x0003,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY),
    }, // HGST adapter
    PciQuirk {
        vendor: 0x1c58,
        device: 0x0023,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY),
    }, // WDC SN200 adapter
    PciQuirk {
        vendor: 0x1c5f,
        device: 0x0540,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY),
    }, // Memblaze Pblaze4 adapter
    PciQuirk {
        vendor: 0x144d,
        device: 0xa821,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY),
    }, // Samsung PM1725
    PciQuirk {
        vendor: 0x144d,
        device: 0xa822,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY | DISABLE_WRITE_ZEROES | IGNORE_DEV_SUBNQN),
    }, // Samsung PM1725a
    PciQuirk {
        vendor: 0x15b7,
        device: 0x5008,
        quirks: quirks!(BROKEN_MSI),
    }, // Sandisk SN530
    PciQuirk {
        vendor: 0x15b7,
        device: 0x5009,
        quirks: quirks!(BROKEN_MSI | NO_DEEPEST_PS),
    }, // Sandisk SN550
    PciQuirk {
        vendor: 0x1987,
        device: 0x5012,
        quirks: quirks!(BOGUS_NID),
    }, // Phison E12
    PciQuirk {
        vendor: 0x1987,
        device: 0x5016,
        quirks: quirks!(IGNORE_DEV_SUBNQN | BOGUS_NID),
    }, // Phison E16
    PciQuirk {
        vendor: 0x1987,
        device: 0x5019,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // phison E19
    PciQuirk {
        vendor: 0x1987,
        device: 0x5021,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // Phison E21
    PciQuirk {
        vendor: 0x1b4b,
        device: 0x1092,
        quirks: quirks!(NO_NS_DESC_LIST | IGNORE_DEV_SUBNQN),
    }, // Lexar 256 GB SSD
    PciQuirk {
        vendor: 0x1cc1,
        device: 0x33f8,
        quirks: quirks!(BOGUS_NID),
    }, // ADATA IM2P33F8ABR1 1 TB
    PciQuirk {
        vendor: 0x10ec,
        device: 0x5762,
        quirks: quirks!(IGNORE_DEV_SUBNQN | BOGUS_NID),
    }, // ADATA SX6000LNP
    PciQuirk {
        vendor: 0x10ec,
        device: 0x5763,
        quirks: quirks!(BOGUS_NID),
    }, // ADATA SX6000PNP
    PciQuirk {
        vendor: 0x1cc1,
        device: 0x8201,
        quirks: quirks!(NO_DEEPEST_PS | IGNORE_DEV_SUBNQN),
    }, // ADATA SX8200PNP 512GB
    PciQuirk {
        vendor: 0x1344,
        device: 0x5407,
        quirks: quirks!(IGNORE_DEV_SUBNQN),
    }, // Micron Technology Inc NVMe SSD
    PciQuirk {
        vendor: 0x1344,
        device: 0x6001,
        quirks: quirks!(BOGUS_NID),
    }, // Micron Nitro NVMe
    PciQuirk {
        vendor: 0x1344,
        device: 0x6004,
        quirks: quirks!(DMAPOOL_ALIGN_512),
    }, // Micron 4100AT
    PciQuirk {
        vendor: 0x1e0f,
        device: 0x0032,
        quirks: quirks!(DMAPOOL_ALIGN_512),
    }, // KIOXIA XG10d
    PciQuirk {
        vendor: 0x1c5c,
        device: 0x1504,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // SK Hynix PC400
    PciQuirk {
        vendor: 0x1c5c,
        device: 0x174a,
        quirks: quirks!(BOGUS_NID),
    }, // SK Hynix P31 SSD
    PciQuirk {
        vendor: 0x1c5c,
        device: 0x1d59,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // SK Hynix BC901
    PciQuirk {
        vendor: 0x15b7,
        device: 0x2001,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // Sandisk Skyhawk
    PciQuirk {
        vendor: 0x1d97,
        device: 0x2263,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // SPCC
    PciQuirk {
        vendor: 0x144d,
        device: 0xa80b,
        quirks: quirks!(DISABLE_WRITE_ZEROES | BOGUS_NID),
    }, // Samsung PM9B1 256G and 512G
    PciQuirk {
        vendor: 0x144d,
        device: 0xa809,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // Samsung MZALQ256HBJD 256G
    PciQuirk {
        vendor: 0x144d,
        device: 0xa802,
        quirks: quirks!(BOGUS_NID),
    }, // Samsung SM953
    PciQuirk {
        vendor: 0x1cc4,
        device: 0x6303,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // UMIS RPJTJ512MGE1QDY 512G
    PciQuirk {
        vendor: 0x1cc4,
        device: 0x6302,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // UMIS RPJTJ256MGE1QDY 256G
    PciQuirk {
        vendor: 0x2646,
        device: 0x2262,
        quirks: quirks!(NO_DEEPEST_PS),
    }, // KINGSTON SKC2000 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x2263,
        quirks: quirks!(NO_DEEPEST_PS),
    }, // KINGSTON A2000 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x5013,
        quirks: quirks!(NO_SECONDARY_TEMP_THRESH),
    }, // Kingston KC3000, Kingston FURY Renegade
    PciQuirk {
        vendor: 0x2646,
        device: 0x5018,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // KINGSTON OM8SFP4xxxxP OS21012 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x5016,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // KINGSTON OM3PGP4xxxxP OS21011 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x501a,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // KINGSTON OM8PGP4xxxxP OS21005 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x501b,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // KINGSTON OM8PGP4xxxxQ OS21005 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x501e,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // KINGSTON OM3PGP4xxxxQ OS21011 NVMe SSD
    PciQuirk {
        vendor: 0x2646,
        device: 0x502f,
        quirks: quirks!(DISABLE_WRITE_ZEROES),
    }, // KINGSTON OM3SGP4xxxxK NVMe SSD
    PciQuirk {
        vendor: 0x1f40,
        device: 0x1202,
        quirks: quirks!(BOGUS_NID),
    }, // Netac Technologies Co. NV3000 NVMe SSD
    PciQuirk {
        vendor: 0x1f40,
        device: 0x5236,
        quirks: quirks!(BOGUS_NID),
    }, // Netac Technologies Co. NV7000 NVMe SSD
    PciQuirk {
        vendor: 0x1e4b,
        device: 0x1001,
        quirks: quirks!(BOGUS_NID),
    }, // MAXIO MAP1001
    PciQuirk {
        vendor: 0x1e4b,
        device: 0x1002,
        quirks: quirks!(BOGUS_NID),
    }, // MAXIO MAP1002
    PciQuirk {
        vendor: 0x1e4b,
        device: 0x1202,
        quirks: quirks!(BOGUS_NID),
    }, // MAXIO MAP1202
    PciQuirk {
        vendor: 0x1e4b,
        device: 0x1602,
        quirks: quirks!(BOGUS_NID),
    }, // MAXIO MAP1602
    PciQuirk {
        vendor: 0x1cc1,
        device: 0x5350,
        quirks: quirks!(BOGUS_NID),
    }, // ADATA XPG GAMMIX S50
    PciQuirk {
        vendor: 0x1dbe,
        device: 0x5216,
        quirks: quirks!(BOGUS_NID),
    }, // Acer/INNOGRIT FA100/5216 NVMe SSD
    PciQuirk {
        vendor: 0x1dbe,
        device: 0x5236,
        quirks: quirks!(BOGUS_NID),
    }, // ADATA XPG GAMMIX S70
    PciQuirk {
        vendor: 0x1e49,
        device: 0x0021,
        quirks: quirks!(NO_DEEPEST_PS),
    }, // ZHITAI TiPro5000 NVMe SSD
    PciQuirk {
        vendor: 0x1e49,
        device: 0x0041,
        quirks: quirks!(NO_DEEPEST_PS),
    }, // ZHITAI TiPro7000 NVMe SSD
    PciQuirk {
        vendor: 0x1fa0,
        device: 0x2283,
        quirks: quirks!(NO_SECONDARY_TEMP_THRESH),
    }, // Wodposit WPBSNM8-256GTP
    PciQuirk {
        vendor: 0x025e,
        device: 0xf1ac,
        quirks: quirks!(NO_DEEPEST_PS),
    }, // SOLIDIGM  P44 pro SSDPFKKW020X7
    PciQuirk {
        vendor: 0xc0a9,
        device: 0x540a,
        quirks: quirks!(BOGUS_NID),
    }, // Crucial P2
    PciQuirk {
        vendor: 0x1d97,
        device: 0x2263,
        quirks: quirks!(BOGUS_NID),
    }, // Lexar NM610
    PciQuirk {
        vendor: 0x1d97,
        device: 0x1d97,
        quirks: quirks!(BOGUS_NID),
    }, // Lexar NM620
    PciQuirk {
        vendor: 0x1d97,
        device: 0x2269,
        quirks: quirks!(BOGUS_NID | IGNORE_DEV_SUBNQN),
    }, // Lexar NM760
    PciQuirk {
        vendor: 0x10ec,
        device: 0x5763,
        quirks: quirks!(BOGUS_NID),
    }, // TEAMGROUP T-FORCE CARDEA ZERO Z330 SSD
    PciQuirk {
        vendor: 0x1e4b,
        device: 0x1602,
        quirks: quirks!(BOGUS_NID),
    }, // HS-SSD-FUTURE 2048G
    PciQuirk {
        vendor: 0x10ec,
        device: 0x5765,
        quirks: quirks!(BOGUS_NID),
    }, // TEAMGROUP MP33 2TB SSD
    PciQuirk {
        vendor: 0x1d0f,
        device: 0x0061,
        quirks: quirks!(DMA_ADDRESS_BITS_48),
    },
    PciQuirk {
        vendor: 0x1d0f,
        device: 0x0065,
        quirks: quirks!(DMA_ADDRESS_BITS_48),
    },
    PciQuirk {
        vendor: 0x1d0f,
        device: 0x8061,
        quirks: quirks!(DMA_ADDRESS_BITS_48),
    },
    PciQuirk {
        vendor: 0x1d0f,
        device: 0xcd00,
        quirks: quirks!(DMA_ADDRESS_BITS_48),
    },
    PciQuirk {
        vendor: 0x1d0f,
        device: 0xcd01,
        quirks: quirks!(DMA_ADDRESS_BITS_48),
    },
    PciQuirk {
        vendor: 0x1d0f,
        device: 0xcd02,
        quirks: quirks!(DMA_ADDRESS_BITS_48),
    },
    PciQuirk {
        vendor: 0x106b,
        device: 0x2001,
        quirks: quirks!(SINGLE_VECTOR | QDEPTH_ONE),
    },
    PciQuirk {
        vendor: 0x106b,
        device: 0x2003,
        quirks: quirks!(NONE),
    },
    PciQuirk {
        vendor: 0x106b,
        device: 0x2005,
        quirks: quirks!(SINGLE_VECTOR | SQE_128_BYTES | SHARED_TAGS | SKIP_CID_GEN | IDENTIFY_CNS),
    },
];

/// The quirks of PCI device `vendor`:`device`.
pub fn pci_quirks(vendor: u16, device: u16) -> Quirks {
    PCI_QUIRKS
        .iter()
        .find(|q| q.vendor == vendor && q.device == device)
        .map_or(Quirks::NONE, |q| q.quirks)
}

/// Whether a controller of `version` (VS) takes Identify with CNS `cns`
/// (C `nvme_id_cns_ok`): any from NVMe 1.2, where CNS is a byte; up to 3
/// from 1.1, whose CNS field has two bits, unless `IDENTIFY_CNS` says the
/// controller (QEMU's, once) keeps 1.0's single bit; up to 1 before.
pub const fn identify_cns_ok(version: u32, quirks: Quirks, cns: u8) -> bool {
    if version >= 0x0001_0200 {
        true
    } else if version >= 0x0001_0100 && !quirks.has(Quirks::IDENTIFY_CNS) {
        cns <= 3
    } else {
        cns <= 1
    }
}

/// A controller matched on Identify Controller (C `nvme_core_quirk_entry`).
struct CoreQuirk {
    vendor: u16,
    /// The model number, or any.
    model: Option<&'static [u8]>,
    /// The firmware revision, or any.
    firmware: Option<&'static [u8]>,
    quirks: Quirks,
}

/// C 6.12's `core_quirks`.
static CORE_QUIRKS: &[CoreQuirk] = &[
    // Toshiba: dies in any APST state.
    CoreQuirk {
        vendor: 0x1179,
        model: Some(b"THNSF5256GPUK TOSHIBA"),
        firmware: None,
        quirks: quirks!(NO_APST),
    },
    // LiteON CL1-3D*-Q11 firmware with a suspend-to-idle race.
    CoreQuirk {
        vendor: 0x14a4,
        model: None,
        firmware: Some(b"22301111"),
        quirks: quirks!(SIMPLE_SUSPEND),
    },
    // Kioxia CD6-V / HPE PE8030: times out under load with APST.
    CoreQuirk {
        vendor: 0x1e0f,
        model: Some(b"KCD6XVUL6T40"),
        firmware: None,
        quirks: quirks!(NO_APST),
    },
    // Samsung Portable SSD X5, which shares its PCI ID with the 970 Evo
    // Plus that does not want these.
    CoreQuirk {
        vendor: 0x144d,
        model: Some(b"Samsung Portable SSD X5"),
        firmware: None,
        quirks: quirks!(DELAY_BEFORE_CHK_RDY | NO_DEEPEST_PS | IGNORE_DEV_SUBNQN),
    },
];

/// Whether the space-padded identify field `field` is `want` (C
/// `string_matches`): `want`, then only spaces.
fn field_matches(field: &[u8], want: Option<&[u8]>) -> bool {
    let Some(want) = want else {
        return true;
    };
    field.len() >= want.len()
        && &field[..want.len()] == want
        && field[want.len()..].iter().all(|&c| c == b' ')
}

/// The quirks of a controller whose Identify Controller says `vendor`
/// (VID), `model` (MN, 40 bytes) and `firmware` (FR, 8 bytes): every
/// matching entry's, as C adds them up.
pub fn core_quirks(vendor: u16, model: &[u8], firmware: &[u8]) -> Quirks {
    CORE_QUIRKS
        .iter()
        .filter(|q| {
            q.vendor == vendor
                && field_matches(model, q.model)
                && field_matches(firmware, q.firmware)
        })
        .fold(Quirks::NONE, |all, q| all | q.quirks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded<const N: usize>(s: &[u8]) -> [u8; N] {
        let mut f = [b' '; N];
        f[..s.len()].copy_from_slice(s);
        f
    }

    #[test]
    fn qemu_controllers() {
        // QEMU's default ID, and the Intel one `use-intel-id=on` gives it.
        assert_eq!(pci_quirks(0x1b36, 0x0010), Quirks::BOGUS_NID);
        assert_eq!(
            pci_quirks(0x8086, 0x5845),
            Quirks::IDENTIFY_CNS | Quirks::DISABLE_WRITE_ZEROES | Quirks::BOGUS_NID
        );
    }

    #[test]
    fn pci_table_matches_c() {
        assert_eq!(PCI_QUIRKS.len(), 81);
        assert_eq!(
            pci_quirks(0x8086, 0x0953),
            Quirks::STRIPE_SIZE | Quirks::DEALLOCATE_ZEROES
        );
        assert_eq!(
            pci_quirks(0x106b, 0x2005),
            Quirks::SINGLE_VECTOR
                | Quirks::SQE_128_BYTES
                | Quirks::SHARED_TAGS
                | Quirks::SKIP_CID_GEN
                | Quirks::IDENTIFY_CNS
        );
        assert_eq!(pci_quirks(0x1d0f, 0xcd02), Quirks::DMA_ADDRESS_BITS_48);
        // Listed without quirks.
        assert_eq!(pci_quirks(0x106b, 0x2003), Quirks::NONE);
        // Listed twice in C; the first entry is the one PCI matching uses.
        assert_eq!(pci_quirks(0x1d97, 0x2263), Quirks::DISABLE_WRITE_ZEROES);
        // Not listed.
        assert_eq!(pci_quirks(0x144d, 0xa808), Quirks::NONE);
    }

    #[test]
    fn core_table_matches_on_padded_fields() {
        let x5 = padded::<40>(b"Samsung Portable SSD X5");
        let fw = padded::<8>(b"1B2QEXM7");
        assert_eq!(
            core_quirks(0x144d, &x5, &fw),
            Quirks::DELAY_BEFORE_CHK_RDY | Quirks::NO_DEEPEST_PS | Quirks::IGNORE_DEV_SUBNQN
        );
        // Same vendor, another model: the 970 Evo Plus gets nothing.
        let evo = padded::<40>(b"Samsung SSD 970 EVO Plus 1TB");
        assert_eq!(core_quirks(0x144d, &evo, &fw), Quirks::NONE);
        // A model that only starts with the entry's does not match.
        let longer = padded::<40>(b"Samsung Portable SSD X5 2TB");
        assert_eq!(core_quirks(0x144d, &longer, &fw), Quirks::NONE);
        // Any model, one firmware.
        let liteon = padded::<40>(b"CL1-3D256-Q11 NVMe LITEON 256GB");
        assert_eq!(
            core_quirks(0x14a4, &liteon, &padded::<8>(b"22301111")),
            Quirks::SIMPLE_SUSPEND
        );
        assert_eq!(
            core_quirks(0x14a4, &liteon, &padded::<8>(b"22301112")),
            Quirks::NONE
        );
        // The vendor must match too.
        assert_eq!(core_quirks(0x1b36, &x5, &fw), Quirks::NONE);
    }

    #[test]
    fn identify_cns_ok_follows_c() {
        let quirked = Quirks::IDENTIFY_CNS;
        // 1.2 and later: every CNS, quirk or not.
        assert!(identify_cns_ok(0x0001_0400, quirked, 6));
        assert!(identify_cns_ok(0x0001_0200, Quirks::NONE, 2));
        // 1.1: two bits, or one with the quirk.
        assert!(identify_cns_ok(0x0001_0100, Quirks::NONE, 3));
        assert!(!identify_cns_ok(0x0001_0100, Quirks::NONE, 4));
        assert!(!identify_cns_ok(0x0001_0100, quirked, 2));
        assert!(identify_cns_ok(0x0001_0100, quirked, 1));
        // 1.0: one bit.
        assert!(!identify_cns_ok(0x0001_0000, Quirks::NONE, 2));
        assert!(identify_cns_ok(0x0001_0000, Quirks::NONE, 1));
    }

    #[test]
    fn has_wants_every_bit() {
        let q = Quirks::BOGUS_NID | Quirks::NO_APST;
        assert!(q.has(Quirks::BOGUS_NID));
        assert!(q.has(Quirks::BOGUS_NID | Quirks::NO_APST));
        assert!(!q.has(Quirks::BOGUS_NID | Quirks::SIMPLE_SUSPEND));
        assert!(Quirks::NONE.has(Quirks::NONE));
    }
}
