// SPDX-License-Identifier: GPL-2.0

//! The Controller Memory Buffer (NVMe Base Specification 2.0, sections
//! 3.1.4.12 to 3.1.4.14, `CMBLOC`, `CMBSZ`, `CMBMSC`): where it is, whether
//! it may hold submission queues, and how deep the I/O queues can be with
//! all their submission queues in it (C `nvme_map_cmb`, `nvme_cmb_qdepth`).

/// `CMBMSC.CRE`: `CMBLOC` and `CMBSZ` read as what they are.
pub const CMBMSC_CAPABILITIES_READY: u64 = 1 << 0;
/// `CMBMSC.CMSE`: the controller decodes the CMB at `CMBMSC.CBA`.
pub const CMBMSC_MEMORY_SPACE_ENABLE: u64 = 1 << 1;

/// `CMBSZ.SQS`: submission queues may be in the CMB.
const SQS: u32 = 1 << 0;
/// `CMBSZ.RDS`: the controller reads data for writes from the CMB.
const RDS: u32 = 1 << 3;
/// `CMBSZ.WDS`: the controller writes data for reads into the CMB.
const WDS: u32 = 1 << 4;

/// Fewest entries a queue whose submission queue is in the CMB may have:
/// below, the queues are better deep in host memory (C's threshold).
pub const MIN_CMB_QUEUE_DEPTH: u16 = 64;

/// `CMBLOC` and `CMBSZ` as read at bring-up (C `dev->cmbloc`,
/// `dev->cmbsz`); both 0 where the controller has no CMB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CmbRegisters {
    /// `CMBLOC`.
    pub location: u32,
    /// `CMBSZ`.
    pub size: u32,
}

/// Where the CMB is in the controller's BARs, cut to the BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmbPlacement {
    /// The BAR holding it (`CMBLOC.BIR`).
    pub bar: u8,
    /// Its byte offset in the BAR (`CMBLOC.OFST`).
    pub offset: u64,
    /// Its size in bytes (`CMBSZ.SZ`), no more than the BAR holds past
    /// the offset.
    pub size: u64,
}

/// The BAR a CMB is found in, as the host sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarWindow {
    /// Its CPU physical start address.
    pub start: u64,
    /// Its length in bytes.
    pub len: u64,
}

impl CmbRegisters {
    /// Whether the controller has a CMB (C shows the sysfs `cmb` files
    /// only then).
    pub const fn present(self) -> bool {
        self.size != 0
    }

    /// Whether submission queues may be placed in it.
    pub const fn holds_submission_queues(self) -> bool {
        self.size & SQS != 0
    }

    /// Whether the controller both reads and writes data in it, so that
    /// peers may use it for their transfers (C publishes it then).
    pub const fn holds_data(self) -> bool {
        self.size & (RDS | WDS) == RDS | WDS
    }

    /// The BAR it is in (`CMBLOC.BIR`).
    pub const fn bar(self) -> u8 {
        (self.location & 0x7) as u8
    }

    /// The unit of its size and offset in bytes (`CMBSZ.SZU`: 4 KiB times
    /// 16 to the power of the field); `None` for the reserved values, whose
    /// unit no 64-bit size holds.
    fn unit(self) -> Option<u64> {
        let szu = (self.size >> 8) & 0xf;
        1u64.checked_shl(12 + 4 * szu).filter(|_| szu <= 6)
    }

    /// Where the CMB is, given the window of the BAR `CMBLOC` names and
    /// the alignment the kernel maps device memory at. `None`, as C, where
    /// it starts past the BAR or does not fit that alignment, and where
    /// there is none.
    pub fn placement(self, bar: BarWindow, align: u64) -> Option<CmbPlacement> {
        if !self.present() {
            return None;
        }
        let unit = self.unit()?;
        let size = unit.checked_mul(u64::from(self.size >> 12))?;
        let offset = unit.checked_mul(u64::from(self.location >> 12))?;
        if offset >= bar.len {
            return None;
        }
        // A controller may have a larger CMB than its BAR shows, behind a
        // bridge for example: what is outside the BAR cannot be reached.
        let size = size.min(bar.len - offset);
        if size == 0 || align == 0 || size % align != 0 || bar.start % align != 0 {
            return None;
        }
        Some(CmbPlacement {
            bar: self.bar(),
            offset,
            size,
        })
    }
}

/// `CMBMSC` enabling the CMB at bus address `base` (the BAR's bus address
/// plus the CMB's offset).
pub const fn memory_space_control(base: u64) -> u64 {
    CMBMSC_CAPABILITIES_READY | CMBMSC_MEMORY_SPACE_ENABLE | base
}

/// Entries per I/O queue when `queues` submission queues of `depth`
/// entries of `entry_size` bytes, each rounded up to `page` bytes, are to
/// share `cmb_size` bytes (C `nvme_cmb_qdepth`): `depth` if they fit, or
/// as many as an equal share holds; `None` if that is under
/// [`MIN_CMB_QUEUE_DEPTH`], and the queues then stay in host memory.
pub fn cmb_queue_depth(
    cmb_size: u64,
    queues: u32,
    depth: u16,
    entry_size: u32,
    page: u32,
) -> Option<u16> {
    if queues == 0 || entry_size == 0 || page == 0 {
        return None;
    }
    let (page, entry_size) = (u64::from(page), u64::from(entry_size));
    let per_queue = (u64::from(depth) * entry_size).div_ceil(page) * page;
    if per_queue * u64::from(queues) <= cmb_size {
        return Some(depth);
    }
    let share = cmb_size / u64::from(queues) / page * page;
    let fitting = u16::try_from(share / entry_size).unwrap_or(u16::MAX);
    (fitting >= MIN_CMB_QUEUE_DEPTH).then_some(fitting.min(depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    /// QEMU's `cmb_size_mb=N`: BAR 2, offset 0, 1 MiB units; SQS, LISTS,
    /// RDS and WDS.
    fn qemu(mb: u32) -> CmbRegisters {
        CmbRegisters {
            location: 2,
            size: (mb << 12) | (2 << 8) | 0x1d,
        }
    }

    const BAR: BarWindow = BarWindow {
        start: 0xfe00_0000,
        len: 64 * MIB,
    };

    #[test]
    fn qemu_cmb_placement() {
        let cmb = qemu(64);
        assert!(cmb.present() && cmb.holds_submission_queues() && cmb.holds_data());
        assert_eq!(
            cmb.placement(BAR, 4096),
            Some(CmbPlacement {
                bar: 2,
                offset: 0,
                size: 64 * MIB
            })
        );
    }

    #[test]
    fn none_without_cmb() {
        assert!(!CmbRegisters::default().present());
        assert_eq!(CmbRegisters::default().placement(BAR, 4096), None);
    }

    #[test]
    fn cut_to_the_bar() {
        // 128 MiB claimed, 16 MiB in, in a 64 MiB BAR: 48 MiB usable.
        let cmb = CmbRegisters {
            location: 2 | (16 << 12),
            size: (128 << 12) | (2 << 8) | 1,
        };
        let placed = cmb.placement(BAR, 4096).unwrap();
        assert_eq!((placed.offset, placed.size), (16 * MIB, 48 * MIB));
        // Starting at or past the BAR's end: nothing.
        let past = CmbRegisters {
            location: 2 | (64 << 12),
            ..cmb
        };
        assert_eq!(past.placement(BAR, 4096), None);
    }

    #[test]
    fn refused_when_not_aligned() {
        let cmb = qemu(64);
        let odd = BarWindow {
            start: BAR.start + 4096,
            ..BAR
        };
        assert_eq!(cmb.placement(odd, 2 * MIB), None);
        // 4 KiB units, 3 of them: not a multiple of 2 MiB.
        let small = CmbRegisters {
            location: 2,
            size: 3 << 12 | 1,
        };
        assert_eq!(small.placement(BAR, 2 * MIB), None);
        assert!(small.placement(BAR, 4096).is_some());
    }

    #[test]
    fn reserved_size_unit_is_no_cmb() {
        let cmb = CmbRegisters {
            location: 2,
            size: (1 << 12) | (7 << 8) | 1,
        };
        assert_eq!(cmb.placement(BAR, 4096), None);
    }

    #[test]
    fn memory_space_control_sets_both_bits() {
        assert_eq!(memory_space_control(0x8_0000_0000), 0x8_0000_0003);
    }

    #[test]
    fn queue_depth_fits_or_shrinks() {
        // 3 queues of 1024 64-byte entries need 192 KiB.
        assert_eq!(cmb_queue_depth(MIB, 3, 1024, 64, 4096), Some(1024));
        assert_eq!(cmb_queue_depth(192 * 1024, 3, 1024, 64, 4096), Some(1024));
        // 128 KiB among 3 queues: 40 KiB each (page-rounded), 640 entries.
        assert_eq!(cmb_queue_depth(128 * 1024, 3, 1024, 64, 4096), Some(640));
        // Under 64 entries each: host memory instead.
        assert_eq!(cmb_queue_depth(8 * 1024, 3, 1024, 64, 4096), None);
        assert_eq!(cmb_queue_depth(MIB, 0, 1024, 64, 4096), None);
    }

    #[test]
    fn shrinking_never_deepens() {
        // A share that holds more than asked for, yet the queues do not fit
        // only because of page rounding, keeps the depth asked for.
        assert_eq!(cmb_queue_depth(3 * 4096 - 1, 3, 65, 64, 4096), None);
        assert_eq!(cmb_queue_depth(4 * 8192, 4, 100, 64, 4096), Some(100));
    }
}
