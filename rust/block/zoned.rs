// SPDX-License-Identifier: GPL-2.0

//! Host-managed zoned disks: the zone limits a disk registers, and the
//! report of its zones the block layer asks for (`report_zones`, for
//! `blk_revalidate_disk_zones` and the `BLKREPORTZONE` ioctl).
//!
//! C header: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

use crate::kernel_ext::bindings;
use kernel::prelude::*;

/// The kernel has zoned block devices (`CONFIG_BLK_DEV_ZONED`); without
/// them a zoned disk cannot be made.
pub const SUPPORTED: bool = cfg!(CONFIG_BLK_DEV_ZONED);

/// What a zoned disk registers (C's zoned `queue_limits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneLimits {
    /// Sectors in a zone, a power of two (`chunk_sectors`).
    pub zone_sectors: u32,
    /// Zones that may be open at once; 0: no limit.
    pub max_open: u32,
    /// Zones that may be active at once; 0: no limit.
    pub max_active: u32,
    /// Largest zone append, in sectors.
    pub max_append_sectors: u32,
}

impl ZoneLimits {
    /// Writes the limits into `lim`, or clears them for a disk that is not
    /// zoned.
    pub(super) fn apply(zoned: Option<&Self>, lim: &mut bindings::queue_limits) {
        match zoned {
            Some(z) => {
                lim.features |= bindings::NVME_RS_BLK_FEAT_ZONED;
                lim.chunk_sectors = z.zone_sectors;
                lim.max_open_zones = z.max_open;
                lim.max_active_zones = z.max_active;
                lim.max_zone_append_sectors = z.max_append_sectors;
            }
            None => {
                lim.features &= !bindings::NVME_RS_BLK_FEAT_ZONED;
                lim.chunk_sectors = 0;
                lim.max_open_zones = 0;
                lim.max_active_zones = 0;
                lim.max_zone_append_sectors = 0;
            }
        }
    }
}

/// A zone, in 512-byte sectors, as `struct blk_zone` describes one of
/// type sequential write required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone {
    /// First sector.
    pub start: u64,
    /// Sectors in the zone.
    pub len: u64,
    /// Sectors that may be written.
    pub capacity: u64,
    /// The write pointer.
    pub wp: u64,
    /// The condition (`BLK_ZONE_COND_*`).
    pub cond: u8,
}

/// Where a zone report goes: the block layer's callback and its data.
///
/// # Invariants
///
/// `cb` with `data` may be called for the duration of one
/// `report_zones` call, which this does not outlive.
pub struct ZoneSink {
    cb: bindings::report_zones_cb,
    data: *mut kernel::ffi::c_void,
    capacity: u64,
    zone_sectors: u64,
    max_report_bytes: usize,
}

impl ZoneSink {
    /// # Safety
    ///
    /// `cb` and `data` are what the block layer passed to `report_zones`,
    /// and the sink is used only during that call.
    /// The sink for a disk of `capacity` sectors and zones of
    /// `zone_sectors`, whose requests carry at most `max_report_bytes`.
    #[cfg_attr(not(CONFIG_BLK_DEV_ZONED), allow(dead_code))]
    pub(super) unsafe fn new(
        cb: bindings::report_zones_cb,
        data: *mut kernel::ffi::c_void,
        capacity: u64,
        zone_sectors: u64,
        max_report_bytes: usize,
    ) -> Self {
        // INVARIANT: as the caller promises.
        ZoneSink {
            cb,
            data,
            capacity,
            zone_sectors,
            max_report_bytes,
        }
    }

    /// The disk's capacity in sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Sectors in a zone (the disk's `chunk_sectors`).
    pub fn zone_sectors(&self) -> u64 {
        self.zone_sectors
    }

    /// The most one request of the disk carries: its largest transfer,
    /// and no more pages than it has segments (what C's
    /// `nvme_zns_alloc_report_buffer` caps a report at).
    pub fn max_report_bytes(&self) -> usize {
        self.max_report_bytes
    }

    /// Reports `zone` as the `index`th of the report; an error from the
    /// block layer ends the report.
    pub fn report(&mut self, zone: &Zone, index: u32) -> Result {
        let mut raw = bindings::blk_zone {
            start: zone.start,
            len: zone.len,
            wp: zone.wp,
            type_: bindings::NVME_RS_BLK_ZONE_TYPE_SEQWRITE_REQ,
            cond: zone.cond,
            capacity: zone.capacity,
            ..Default::default()
        };
        let Some(cb) = self.cb else {
            return Err(EINVAL);
        };
        // SAFETY: the callback and its data are valid during this report
        // (type invariant); `raw` is a complete zone it only reads.
        kernel::error::to_result(unsafe { cb(&mut raw, index, self.data) })
    }
}

/// Reports a zoned disk's zones.
pub trait DiskZones: Send + Sync {
    /// Reports up to `nr_zones` zones from the one holding `sector` on to
    /// `sink`; returns how many were reported.
    fn report_zones(&self, sector: u64, nr_zones: u32, sink: &mut ZoneSink) -> Result<u32>;
}
