// SPDX-License-Identifier: GPL-2.0

//! Quirks of a drive in a particular machine, as C 6.12's `pci.c` adds
//! them at probe: drive and board combinations known by the firmware's
//! SMBIOS (DMI) strings (`check_vendor_combination_bug`), and the simple
//! suspend that platform firmware asks for with the ACPI `StorageD3Enable`
//! property, unless the `noacpi` parameter or a quirk says otherwise.

use super::quirks::Quirks;

/// The SMBIOS (DMI) strings the combinations are known by, each absent
/// where the firmware gives none (C `dmi_get_system_info`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Platform<'a> {
    /// System manufacturer (`DMI_SYS_VENDOR`).
    pub sys_vendor: Option<&'a [u8]>,
    /// System product name (`DMI_PRODUCT_NAME`).
    pub product_name: Option<&'a [u8]>,
    /// Baseboard manufacturer (`DMI_BOARD_VENDOR`).
    pub board_vendor: Option<&'a [u8]>,
    /// Baseboard product name (`DMI_BOARD_NAME`).
    pub board_name: Option<&'a [u8]>,
}

/// C's `dmi_match`: the string is there and is exactly `want`.
fn is(field: Option<&[u8]>, want: &str) -> bool {
    field == Some(want.as_bytes())
}

fn is_any(field: Option<&[u8]>, wants: &[&str]) -> bool {
    wants.iter().any(|want| is(field, want))
}

/// Boards on which some Kingston drives must not take the simple suspend.
const KINGSTON_FULL_SUSPEND_BOARDS: &[&str] =
    &["NS5X_NS7XAU", "NS5x_7xAU", "NS5x_7xPU", "PH4PRX1_PH6PRX1"];

/// Boards on which the Samsung 990 Evo must not take the simple suspend.
const SAMSUNG_990_EVO_FULL_SUSPEND_BOARDS: &[&str] = &[
    "DN50Z-140HC-YD",
    "GMxPXxx",
    "GXxMRXx",
    "NS5X_NS7XAU",
    "PH4PG31",
    "PH4PRX1_PH6PRX1",
    "PH6PG01_PH6PG71",
];

/// The quirk a drive of PCI ID `vendor:device` needs in the machine
/// `platform` describes, as C's `check_vendor_combination_bug`, entry for
/// entry and in its order (the first that applies is the only one).
pub fn vendor_combination_quirks(vendor: u16, device: u16, platform: &Platform<'_>) -> Quirks {
    let p = platform;
    match (vendor, device) {
        // Samsung SM951, PM951, 950 PRO drop off the bus with APST's
        // deepest state in two Dell laptops.
        (0x144d, 0xa802) => {
            if is(p.sys_vendor, "Dell Inc.")
                && is_any(p.product_name, &["XPS 15 9550", "Precision 5510"])
            {
                return Quirks::NO_DEEPEST_PS;
            }
        }
        // Samsung 960 EVO on two ASUS boards.
        (0x144d, 0xa804) => {
            if is(p.board_vendor, "ASUSTeK COMPUTER INC.")
                && is_any(p.board_name, &["PRIME B350M-A", "PRIME Z370-A"])
            {
                return Quirks::NO_APST;
            }
        }
        // Samsung and Toshiba drives on a Lenovo C640 board: host managed
        // power settings.
        (0x144d, 0xa801 | 0xa808 | 0xa809) | (0x1e0f, 0x0001) => {
            if is(p.board_vendor, "LENOVO") && is(p.board_name, "LNVNB161216") {
                return Quirks::SIMPLE_SUSPEND;
            }
        }
        // Kingston NV1 and A2000 on some TUXEDO boards: a full suspend
        // saves a lot of energy in s2idle.
        (0x2646, 0x2263 | 0x500f) => {
            if is_any(p.board_name, KINGSTON_FULL_SUSPEND_BOARDS) {
                return Quirks::FORCE_NO_SIMPLE_SUSPEND;
            }
        }
        // Samsung 990 Evo (and Evo Plus): over 2 W in s2idle with the
        // simple suspend on some Intel boards.
        (0x144d, 0xa80d) => {
            if is_any(p.board_name, SAMSUNG_990_EVO_FULL_SUSPEND_BOARDS) {
                return Quirks::FORCE_NO_SIMPLE_SUSPEND;
            }
        }
        _ => {}
    }
    // Any drive drops off the bus after ten hours idle on a Lenovo N60z.
    if is(p.board_name, "LXKT-ZXEG-N6") {
        return Quirks::NO_APST;
    }
    Quirks::NONE
}

/// Whether the platform's request for D3 on storage (ACPI
/// `StorageD3Enable`, `storage_d3`) makes the drive take the simple
/// suspend, as in C's `nvme_pci_alloc_dev`: not with `noacpi`, nor where a
/// quirk forbids it.
pub fn platform_wants_simple_suspend(quirks: Quirks, noacpi: bool, storage_d3: bool) -> bool {
    !noacpi && !quirks.has(Quirks::FORCE_NO_SIMPLE_SUSPEND) && storage_d3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(vendor: &'static str, name: &'static str) -> Platform<'static> {
        Platform {
            board_vendor: Some(vendor.as_bytes()),
            board_name: Some(name.as_bytes()),
            ..Platform::default()
        }
    }

    #[test]
    fn combinations_as_c() {
        let dell = |product: &'static str| Platform {
            sys_vendor: Some(b"Dell Inc."),
            product_name: Some(product.as_bytes()),
            ..Platform::default()
        };
        let q = vendor_combination_quirks;
        assert_eq!(
            q(0x144d, 0xa802, &dell("XPS 15 9550")),
            Quirks::NO_DEEPEST_PS
        );
        assert_eq!(
            q(0x144d, 0xa802, &dell("Precision 5510")),
            Quirks::NO_DEEPEST_PS
        );
        assert_eq!(q(0x144d, 0xa802, &dell("XPS 13 9350")), Quirks::NONE);
        assert_eq!(q(0x144d, 0xa804, &dell("XPS 15 9550")), Quirks::NONE);

        let asus = board("ASUSTeK COMPUTER INC.", "PRIME Z370-A");
        assert_eq!(q(0x144d, 0xa804, &asus), Quirks::NO_APST);
        assert_eq!(q(0x144d, 0xa802, &asus), Quirks::NONE);
        // dmi_match is exact: no prefix, no case folding.
        assert_eq!(
            q(
                0x144d,
                0xa804,
                &board("ASUSTeK COMPUTER INC.", "PRIME Z370")
            ),
            Quirks::NONE
        );
        assert_eq!(
            q(
                0x144d,
                0xa804,
                &board("ASUSTEK COMPUTER INC.", "PRIME Z370-A")
            ),
            Quirks::NONE
        );

        let lenovo = board("LENOVO", "LNVNB161216");
        for (v, d) in [
            (0x144d, 0xa801),
            (0x144d, 0xa808),
            (0x144d, 0xa809),
            (0x1e0f, 0x0001),
        ] {
            assert_eq!(q(v, d, &lenovo), Quirks::SIMPLE_SUSPEND);
        }
        assert_eq!(q(0x144d, 0xa80a, &lenovo), Quirks::NONE);

        for name in KINGSTON_FULL_SUSPEND_BOARDS {
            let tuxedo = board("TUXEDO", name);
            assert_eq!(q(0x2646, 0x2263, &tuxedo), Quirks::FORCE_NO_SIMPLE_SUSPEND);
            assert_eq!(q(0x2646, 0x500f, &tuxedo), Quirks::FORCE_NO_SIMPLE_SUSPEND);
        }
        for name in SAMSUNG_990_EVO_FULL_SUSPEND_BOARDS {
            assert_eq!(
                q(0x144d, 0xa80d, &board("any", name)),
                Quirks::FORCE_NO_SIMPLE_SUSPEND
            );
        }
        // PH4PG31 is a 990 Evo board, not a Kingston one.
        assert_eq!(q(0x2646, 0x2263, &board("any", "PH4PG31")), Quirks::NONE);

        // The Lenovo N60z board, whatever the drive; but a drive entry
        // that matched first wins, as C returns at once.
        let n60z = board("LENOVO", "LXKT-ZXEG-N6");
        assert_eq!(q(0x1b36, 0x0010, &n60z), Quirks::NO_APST);
        assert_eq!(q(0x144d, 0xa80d, &n60z), Quirks::NO_APST);

        // No DMI strings at all (QEMU without SMBIOS board data, or no DMI).
        assert_eq!(q(0x144d, 0xa802, &Platform::default()), Quirks::NONE);
        assert_eq!(q(0x1b36, 0x0010, &Platform::default()), Quirks::NONE);
    }

    #[test]
    fn storage_d3_as_c() {
        let w = platform_wants_simple_suspend;
        assert!(w(Quirks::NONE, false, true));
        assert!(!w(Quirks::NONE, false, false));
        assert!(!w(Quirks::NONE, true, true));
        assert!(!w(Quirks::FORCE_NO_SIMPLE_SUSPEND, false, true));
        assert!(w(Quirks::NO_APST, false, true));
    }
}
