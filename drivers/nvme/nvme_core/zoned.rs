// SPDX-License-Identifier: GPL-2.0

//! The zone report of a zoned namespace's disk: Zone Management Receive
//! on the namespace's queue, each zone handed to the block layer (C
//! `nvme_ns_report_zones`, `nvme_zone_parse_entry`).

use super::transport::IoOps;
use crate::dev_err;
use crate::kernel_ext::block::passthrough::QueueRef;
use crate::kernel_ext::block::zoned::{Zone, ZoneSink};
use crate::kernel_ext::device::Device;
use crate::spec::zns::{
    report_buffer_bytes, reported_zones, zone_at, zone_report, ZONE_DESCRIPTOR_SIZE,
    ZONE_REPORT_HEADER,
};
use kernel::alloc::KVVec;
use kernel::prelude::*;

/// Reports up to `nr_zones` zones of namespace `nsid` (blocks of
/// `1 << lba_shift` bytes) from the one holding `sector` on, reading them
/// through `queue`; returns how many were reported. `EINVAL` where none
/// was, as C.
pub fn report_zones<O: IoOps>(
    queue: &QueueRef<O>,
    dev: &Device,
    nsid: u32,
    lba_shift: u8,
    sector: u64,
    nr_zones: u32,
    sink: &mut ZoneSink,
) -> Result<u32> {
    let zone_sectors = sink.zone_sectors();
    if !zone_sectors.is_power_of_two() || lba_shift < 9 {
        return Err(EINVAL);
    }
    let capacity = sink.capacity();
    let disk_zones = capacity >> zone_sectors.trailing_zeros();
    let mut bytes =
        report_buffer_bytes(nr_zones, disk_zones, sink.max_report_bytes(), usize::MAX, 1)
            .ok_or(ENOMEM)?;
    // As C: a smaller report where the memory for a larger one is short.
    let mut report = loop {
        match KVVec::from_elem(0u8, bytes, GFP_KERNEL) {
            Ok(buf) => break buf,
            Err(_) if bytes / 2 >= ZONE_REPORT_HEADER + ZONE_DESCRIPTOR_SIZE => bytes /= 2,
            Err(err) => return Err(err.into()),
        }
    };
    let max_in_buf = ((bytes - ZONE_REPORT_HEADER) / ZONE_DESCRIPTOR_SIZE) as u64;
    let shift = u32::from(lba_shift) - 9;
    let mut sector = sector & !(zone_sectors - 1);
    let mut index = 0u32;
    while index < nr_zones && sector < capacity {
        report.fill(0);
        let mut rq = queue.alloc(false, false, false, false)?;
        O::set_user_command(
            rq.private_mut(),
            zone_report(nsid, sector >> shift, bytes as u32),
        );
        let (status, _) = rq.execute_into(&mut report)?;
        if status != 0 {
            // A positive NVMe status is an I/O error to the block layer.
            return Err(if status > 0 {
                EIO
            } else {
                Error::from_errno(status)
            });
        }
        let zones = reported_zones(&report)
            .min(u64::from(nr_zones - index))
            .min(max_in_buf);
        if zones == 0 {
            break;
        }
        for i in 0..zones as usize {
            let zone = match zone_at(&report, i, u32::from(lba_shift), zone_sectors) {
                Some(Ok(zone)) => zone,
                Some(Err(bad)) => {
                    dev_err!(dev, "invalid zone type {:#x}\n", bad.0);
                    return Err(EINVAL);
                }
                None => return Err(EIO),
            };
            sink.report(
                &Zone {
                    start: zone.start,
                    len: zone.len,
                    capacity: zone.capacity,
                    wp: zone.wp,
                    cond: zone.cond,
                },
                index,
            )?;
            index += 1;
        }
        sector += zone_sectors * zones;
    }
    if index == 0 {
        return Err(EINVAL);
    }
    Ok(index)
}
