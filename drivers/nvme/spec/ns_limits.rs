// SPDX-License-Identifier: GPL-2.0

//! What a namespace's Identify data says about how its disk should be
//! written, as C's `nvme_update_disk_info` and
//! `nvme_configure_atomic_write` decide it: the physical block size, the
//! minimum and optimal I/O sizes, the atomic write limits, whether Write
//! Zeroes may deallocate, and whether the namespace is write protected.

use super::identify::WriteFields;

/// NSFEAT bit 1: NAWUN, NAWUPF and NACWU are the namespace's own.
const NSFEAT_ATOMICS: u8 = 1 << 1;
/// NSFEAT bit 4: NPWG, NPWA, NPDG, NPDA and NOWS are valid.
const NSFEAT_IO_OPT: u8 = 1 << 4;
/// NSATTR bit 0: the namespace is write protected.
const NSATTR_WRITE_PROTECTED: u8 = 1 << 0;

/// Write sizes for the block layer, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteUnits {
    /// The physical block size: the preferred write granularity, but no
    /// larger than what is written atomically across a power failure
    /// (file systems take a physical block write to be atomic).
    pub physical_block_size: u32,
    /// Smallest write without a read-modify-write (`io_min`).
    pub io_min: u32,
    /// Optimal write size (`io_opt`), 0 if the namespace gives none.
    pub io_opt: u32,
    /// Atomic writes, where the namespace's boundaries allow them.
    pub atomic: Option<AtomicWrites>,
}

/// Atomic write limits, in bytes (the block layer's
/// `atomic_write_hw_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtomicWrites {
    /// Largest atomic write.
    pub max: u32,
    /// Atomic writes must not cross a multiple of this; 0 for none.
    pub boundary: u32,
    /// Smallest atomic write unit: one block.
    pub unit_min: u32,
    /// Largest atomic write unit: `max` rounded down to a power of two.
    pub unit_max: u32,
}

/// `(1 + count) * block`, as C's `u32` arithmetic would give it, but
/// saturating rather than wrapping for counts no real device reports.
fn blocks_plus_one(count: u16, block: u32) -> u32 {
    let bytes = (u64::from(count) + 1) * u64::from(block);
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// The largest power of two not above `n` (`n` > 0).
fn round_down_pow2(n: u32) -> u32 {
    1 << (31 - n.leading_zeros())
}

/// The write sizes of a namespace of `block`-byte blocks whose Identify
/// Namespace says `id`, on a controller whose AWUPF is `awupf`.
pub fn write_units(block: u32, id: &WriteFields, awupf: u16) -> WriteUnits {
    // C does not support an atomic boundary offset: atomicity is then
    // one block, and no atomic write limits are set.
    let atomic = if id.nabo != 0 {
        None
    } else if id.features & NSFEAT_ATOMICS != 0 && id.nawupf != 0 {
        let max = blocks_plus_one(id.nawupf, block);
        Some(AtomicWrites {
            max,
            boundary: if id.nabspf != 0 {
                blocks_plus_one(id.nabspf, block)
            } else {
                0
            },
            unit_min: block,
            unit_max: round_down_pow2(max),
        })
    } else {
        // The controller-wide unit, in blocks of whatever size this
        // namespace has (C's comment: "this sucks").
        let max = blocks_plus_one(awupf, block);
        Some(AtomicWrites {
            max,
            boundary: 0,
            unit_min: block,
            unit_max: round_down_pow2(max),
        })
    };
    let atomic_bytes = atomic.map_or(block, |a| a.max);
    let (preferred, io_opt) = if id.features & NSFEAT_IO_OPT != 0 {
        (
            blocks_plus_one(id.npwg, block),
            if id.nows != 0 {
                blocks_plus_one(id.nows, block)
            } else {
                0
            },
        )
    } else {
        (block, 0)
    };
    WriteUnits {
        physical_block_size: preferred.min(atomic_bytes),
        io_min: preferred,
        io_opt,
        atomic,
    }
}

/// Whether Write Zeroes may carry Deallocate (DEAC): only where a
/// deallocated block reads as zeroes (DLFEAT bits 2:0 = 001b) and the
/// namespace supports DEAC in Write Zeroes (bit 3). DEAC need not zero
/// anything by itself, so it is set only where it does (C's
/// `NVME_NS_DEAC`).
pub fn deallocate_zeroes(dlfeat: u8) -> bool {
    dlfeat & 0x7 == 0x1 && dlfeat & 1 << 3 != 0
}

/// Whether the namespace is write protected: its disk is read-only.
pub fn write_protected(attributes: u8) -> bool {
    attributes & NSATTR_WRITE_PROTECTED != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> WriteFields {
        WriteFields::default()
    }

    #[test]
    fn nothing_reported_means_one_block_and_the_controller_unit() {
        // QEMU's namespaces: no NSFEAT bits, AWUPF 0.
        let units = write_units(4096, &fields(), 0);
        assert_eq!(
            units,
            WriteUnits {
                physical_block_size: 4096,
                io_min: 4096,
                io_opt: 0,
                atomic: Some(AtomicWrites {
                    max: 4096,
                    boundary: 0,
                    unit_min: 4096,
                    unit_max: 4096
                }),
            }
        );
    }

    #[test]
    fn preferred_granularity_is_capped_by_power_fail_atomicity() {
        // A drive with 512-byte blocks that prefers 4 KiB writes (NPWG 7),
        // 128 KiB optimal writes (NOWS 255), atomic for 4 KiB (AWUPF 7).
        let id = WriteFields {
            features: NSFEAT_IO_OPT,
            npwg: 7,
            nows: 255,
            ..fields()
        };
        let units = write_units(512, &id, 7);
        assert_eq!(units.physical_block_size, 4096);
        assert_eq!(units.io_min, 4096);
        assert_eq!(units.io_opt, 128 * 1024);
        // Atomic only for one block: the physical block is one block too.
        let units = write_units(512, &id, 0);
        assert_eq!(units.physical_block_size, 512);
        assert_eq!(units.io_min, 4096);
    }

    #[test]
    fn io_opt_fields_ignored_without_their_feature_bit() {
        let id = WriteFields {
            npwg: 7,
            nows: 255,
            ..fields()
        };
        let units = write_units(512, &id, 7);
        assert_eq!((units.io_min, units.io_opt), (512, 0));
    }

    #[test]
    fn namespace_atomics_override_the_controller() {
        let id = WriteFields {
            features: NSFEAT_ATOMICS,
            nawupf: 5,
            nabspf: 15,
            ..fields()
        };
        let atomic = write_units(4096, &id, 0).atomic.unwrap();
        assert_eq!(atomic.max, 6 * 4096);
        assert_eq!(atomic.boundary, 16 * 4096);
        assert_eq!(atomic.unit_min, 4096);
        assert_eq!(atomic.unit_max, 4 * 4096);
        // NAWUPF 0 falls back to the controller's, without a boundary.
        let id = WriteFields {
            features: NSFEAT_ATOMICS,
            nabspf: 15,
            ..fields()
        };
        let atomic = write_units(4096, &id, 3).atomic.unwrap();
        assert_eq!((atomic.max, atomic.boundary), (4 * 4096, 0));
    }

    #[test]
    fn a_boundary_offset_turns_atomic_limits_off() {
        let id = WriteFields {
            features: NSFEAT_ATOMICS | NSFEAT_IO_OPT,
            nawupf: 7,
            nabo: 1,
            npwg: 7,
            ..fields()
        };
        let units = write_units(512, &id, 7);
        assert_eq!(units.atomic, None);
        assert_eq!(units.physical_block_size, 512);
        assert_eq!(units.io_min, 4096);
    }

    #[test]
    fn sizes_saturate_instead_of_wrapping() {
        let id = WriteFields {
            features: NSFEAT_IO_OPT,
            npwg: u16::MAX,
            nows: u16::MAX,
            ..fields()
        };
        let units = write_units(65536, &id, u16::MAX);
        assert_eq!(units.io_min, u32::MAX);
        assert_eq!(units.io_opt, u32::MAX);
        assert_eq!(units.atomic.unwrap().unit_max, 1 << 31);
    }

    #[test]
    fn deac_only_where_deallocated_blocks_read_zeroes() {
        // QEMU 7.2 reports 0x01: deallocated blocks read as zeroes, but
        // Write Zeroes does not deallocate.
        assert!(!deallocate_zeroes(0x01));
        assert!(deallocate_zeroes(0x09));
        assert!(!deallocate_zeroes(0x01));
        assert!(!deallocate_zeroes(0x08));
        assert!(!deallocate_zeroes(0x0a));
        assert!(deallocate_zeroes(0x19));
    }

    #[test]
    fn write_protection_is_nsattr_bit_0() {
        assert!(write_protected(1));
        assert!(!write_protected(0));
        assert!(!write_protected(2));
    }
}
