// SPDX-License-Identifier: GPL-2.0

//! Block integrity (metadata and protection information): the profile a
//! disk registers, and the DMA mapping of each request's metadata buffer.
//!
//! With a profile, the block layer gives every read and write a metadata
//! buffer of the profile's tuple size per block (generating the PI of
//! writes and verifying that of reads where the profile has a checksum),
//! unless the administrator turns that off in sysfs.
//!
//! C headers: [`include/linux/blk-integrity.h`](srctree/include/linux/blk-integrity.h),
//! [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

use super::request::OwnedRequest;
use super::sg::DmaSegment;
use super::tag_set::Operations;
use crate::kernel_ext::{bindings, device};
use kernel::{prelude::*, types::ARef};

/// The kernel has integrity profiles (`CONFIG_BLK_DEV_INTEGRITY`). Without
/// them, a disk cannot carry metadata and the block layer refuses a
/// profile.
pub const SUPPORTED: bool = cfg!(CONFIG_BLK_DEV_INTEGRITY);

/// The checksum of a profile's protection information (C `enum
/// blk_integrity_checksum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// None: the metadata is opaque to the block layer, which only
    /// allocates it (zeroed for writes).
    None,
    /// The T10 CRC16 guard of an 8-byte tuple.
    Crc16,
    /// NVMe's CRC64 guard of a 16-byte tuple.
    Crc64,
}

/// An integrity profile (C `struct blk_integrity` in the queue limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// What the block layer computes and checks.
    pub checksum: Checksum,
    /// Metadata bytes per block.
    pub tuple_size: u8,
    /// Where the protection information starts in them.
    pub pi_offset: u8,
    /// Bytes of the tuple the block layer may use as tags.
    pub tag_size: u8,
    /// The device checks the PI itself (`BLK_INTEGRITY_DEVICE_CAPABLE`).
    pub device_capable: bool,
    /// The PI has a reference tag (`BLK_INTEGRITY_REF_TAG`).
    pub ref_tag: bool,
}

impl Profile {
    /// Writes the profile into the limits' `integrity`, or clears it for
    /// none (as C's `nvme_init_integrity` starts by doing). Requests then
    /// carry at most one metadata segment, which [`MetadataMap`] needs.
    pub(super) fn apply(profile: Option<&Self>, lim: &mut bindings::queue_limits) {
        let bi = &mut lim.integrity;
        *bi = Default::default();
        lim.max_integrity_segments = 0;
        let Some(p) = profile else {
            return;
        };
        bi.csum_type = match p.checksum {
            Checksum::None => bindings::blk_integrity_checksum_BLK_INTEGRITY_CSUM_NONE,
            Checksum::Crc16 => bindings::blk_integrity_checksum_BLK_INTEGRITY_CSUM_CRC,
            Checksum::Crc64 => bindings::blk_integrity_checksum_BLK_INTEGRITY_CSUM_CRC64,
        };
        bi.tuple_size = p.tuple_size;
        bi.pi_offset = p.pi_offset;
        bi.tag_size = p.tag_size;
        if p.device_capable {
            bi.flags |= bindings::NVME_RS_BLK_INTEGRITY_DEVICE_CAPABLE;
        }
        if p.ref_tag {
            bi.flags |= bindings::NVME_RS_BLK_INTEGRITY_REF_TAG;
        }
        lim.max_integrity_segments = 1;
    }
}

/// A request's metadata buffer, mapped for DMA while the request is in
/// flight (C `iod->meta_dma`).
///
/// # Invariants
///
/// When `mapped` is `Some((segment, dir))`, `segment` is a mapping of
/// `segment.len` bytes for `dev` in direction `dir`, to be unmapped before
/// reuse or drop.
pub struct MetadataMap {
    dev: ARef<device::Device>,
    mapped: Option<(DmaSegment, kernel::ffi::c_int)>,
}

// SAFETY: the mapping is a bus address and length, usable from any thread.
unsafe impl Send for MetadataMap {}

impl MetadataMap {
    /// Nothing mapped yet, for requests to `dev`.
    pub fn new(dev: &device::Device) -> Self {
        // INVARIANT: nothing mapped.
        MetadataMap {
            dev: dev.into(),
            mapped: None,
        }
    }

    /// Maps the owned request's metadata buffer for DMA in the direction of
    /// its data (unmapping any previous mapping first) and returns its bus
    /// address and length (C `nvme_map_metadata`). Fails with `EINVAL` if
    /// the request carries none and `ENOMEM` if the mapping fails.
    pub fn map<T: Operations>(&mut self, request: OwnedRequest<'_, T>) -> Result<DmaSegment> {
        self.unmap();
        let mut page = core::ptr::null_mut();
        let (mut offset, mut len) = (0u32, 0u32);
        // SAFETY: the request is valid and owned, so its bios and their
        // integrity payloads are stable; the out-pointers are locals.
        let found = unsafe {
            bindings::nvme_rs_rq_integrity_segment(
                request.as_raw(),
                &mut page,
                &mut offset,
                &mut len,
            )
        };
        if !found || len == 0 {
            return Err(EINVAL);
        }
        let dir = super::sg::dma_direction(request);
        let dev = self.dev.as_raw();
        // SAFETY: the page range is the request's metadata buffer, stable
        // while it is owned (and until it ends); the device is valid.
        let addr = unsafe {
            bindings::dma_map_page_attrs(
                dev,
                page,
                offset as usize,
                len as usize,
                dir as _,
                bindings::NVME_RS_DMA_ATTR_NO_WARN as _,
            )
        };
        if super::sg::mapping_failed(dev, addr) {
            return Err(ENOMEM);
        }
        let segment = DmaSegment { addr, len };
        // INVARIANT: mapped just now.
        self.mapped = Some((segment, dir));
        Ok(segment)
    }

    /// Unmaps the metadata buffer, if mapped.
    #[inline]
    pub fn unmap(&mut self) {
        // Nothing is ever mapped without the kernel's integrity support:
        // the check every completion makes is compiled out, as C's.
        if !SUPPORTED {
            return;
        }
        if let Some((segment, dir)) = self.mapped.take() {
            // SAFETY: mapped with these arguments (invariant), and unmapped
            // once: the mapping was taken.
            unsafe { super::sg::unmap_page(self.dev.as_raw(), segment, dir) };
        }
    }
}

impl Drop for MetadataMap {
    fn drop(&mut self) {
        self.unmap();
    }
}
