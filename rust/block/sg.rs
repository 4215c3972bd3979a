// SPDX-License-Identifier: GPL-2.0

//! DMA mapping of a request's data: through a scatterlist, or straight
//! from its only bio_vec.
//!
//! C headers: [`include/linux/scatterlist.h`](srctree/include/linux/scatterlist.h),
//! [`include/linux/dma-mapping.h`](srctree/include/linux/dma-mapping.h)

use super::request::OwnedRequest;
use super::tag_set::Operations;
use crate::kernel_ext::{bindings, device};
use kernel::{alloc::KVec, prelude::*, types::ARef};

/// One DMA-mapped piece of a request's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaSegment {
    /// Bus address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
}

enum Mapping {
    /// A request of one bio_vec, mapped straight from it: most requests,
    /// and the scatterlist would only add work.
    Single {
        segment: DmaSegment,
        dir: kernel::ffi::c_int,
    },
    /// Any other request, mapped through the table.
    Table {
        /// Entries `blk_rq_map_sg` filled (what unmapping takes).
        nents: u32,
        /// Entries after DMA mapping, which may merge some.
        mapped: u32,
        dir: kernel::ffi::c_int,
    },
}

/// A scatterlist sized for one request, kept in the request's private
/// data, and the request's data mapped, through it or (for a request of
/// one bio_vec) without it, while in flight.
///
/// # Invariants
///
/// `table` has `table.len()` entries initialised by `sg_init_table`. When
/// `mapping` is `Some(Table)`, the table's first `nents` entries are mapped
/// for `dev` in direction `dir`; when it is `Some(Single)`, `segment` is a
/// mapping of `segment.len` bytes for `dev` in direction `dir`. Either must
/// be unmapped before reuse or drop.
pub struct RequestSg {
    dev: ARef<device::Device>,
    table: KVec<bindings::scatterlist>,
    mapping: Option<Mapping>,
}

// SAFETY: the scatterlist is plain memory owned by this value.
unsafe impl Send for RequestSg {}

impl RequestSg {
    /// A scatterlist of `entries` entries for requests to `dev`; a request
    /// must have at most this many segments (the disk's `max_segments`).
    pub fn new(dev: &device::Device, entries: u16) -> Result<Self> {
        let mut table = KVec::from_elem(
            bindings::scatterlist::default(),
            entries as usize,
            GFP_KERNEL,
        )?;
        // SAFETY: `table` holds `entries` scatterlist entries.
        unsafe { bindings::nvme_rs_sg_init_table(table.as_mut_ptr(), u32::from(entries)) };
        // INVARIANT: initialised just now, nothing mapped.
        Ok(RequestSg {
            dev: dev.into(),
            table,
            mapping: None,
        })
    }

    /// Maps the data of the owned request `rq` for DMA (unmapping any
    /// previous mapping first): a request of one bio_vec straight from it,
    /// as C's `nvme_map_data` does, any other through the table. Fails with
    /// `EINVAL` if it has more segments than the table holds and `ENOMEM`
    /// if the DMA mapping fails.
    pub fn map<T: Operations>(&mut self, request: OwnedRequest<'_, T>) -> Result {
        self.unmap();
        let dir = dma_direction(request);
        let dev = self.dev.as_raw();
        if let Some(bvec) = single_bvec(request) {
            // SAFETY: the page and the range within it are the request's
            // data, stable while it is owned; the device is valid.
            let addr = unsafe {
                bindings::dma_map_page_attrs(
                    dev,
                    bvec.page,
                    bvec.offset as usize,
                    bvec.len as usize,
                    dir as _,
                    bindings::NVME_RS_DMA_ATTR_NO_WARN as _,
                )
            };
            if mapping_failed(dev, addr) {
                return Err(ENOMEM);
            }
            // INVARIANT: mapped just now.
            self.mapping = Some(Mapping::Single {
                segment: DmaSegment {
                    addr,
                    len: bvec.len,
                },
                dir,
            });
            return Ok(());
        }
        if usize::from(request.phys_segments()) > self.table.len() {
            return Err(EINVAL);
        }
        // SAFETY: the request is owned (its bios are stable), and the table
        // has at least `phys_segments` entries, the most `blk_rq_map_sg` fills.
        let nents =
            unsafe { bindings::nvme_rs_rq_map_sg(request.as_raw(), self.table.as_mut_ptr()) };
        let nents = u32::try_from(nents).map_err(|_| EINVAL)?;
        if nents == 0 {
            return Err(EINVAL);
        }
        // SAFETY: the first `nents` entries describe the request's pages; the
        // device is valid.
        let mapped = unsafe {
            bindings::dma_map_sg_attrs(
                dev,
                self.table.as_mut_ptr(),
                nents as _,
                dir as _,
                bindings::NVME_RS_DMA_ATTR_NO_WARN as _,
            )
        };
        if mapped == 0 {
            return Err(ENOMEM);
        }
        // INVARIANT: mapped just now.
        self.mapping = Some(Mapping::Table { nents, mapped, dir });
        Ok(())
    }

    /// The mapped segments, in order; empty when nothing is mapped.
    pub fn segments(&self) -> Segments<'_> {
        match &self.mapping {
            Some(Mapping::Single { segment, .. }) => Segments::One(Some(*segment)),
            // `mapped` is within the table (invariant); `get` keeps a panic
            // path out of the I/O path all the same.
            Some(Mapping::Table { mapped, .. }) => {
                Segments::Table(self.table.get(..*mapped as usize).unwrap_or(&[]).iter())
            }
            None => Segments::One(None),
        }
    }

    /// The mapped segment, if there is exactly one.
    pub fn only_segment(&self) -> Option<DmaSegment> {
        match &self.mapping {
            Some(Mapping::Single { segment, .. }) => Some(*segment),
            Some(Mapping::Table { mapped: 1, .. }) => self.segments().next(),
            _ => None,
        }
    }

    /// How many segments are mapped.
    pub fn mapped_segments(&self) -> usize {
        match &self.mapping {
            Some(Mapping::Single { .. }) => 1,
            Some(Mapping::Table { mapped, .. }) => *mapped as usize,
            None => 0,
        }
    }

    /// Unmaps the request's data, if mapped.
    pub fn unmap(&mut self) {
        match self.mapping.take() {
            None => {}
            Some(Mapping::Single { segment, dir }) => {
                // SAFETY: the segment was mapped with these arguments
                // (invariant), and is unmapped once: the mapping was taken.
                unsafe { unmap_page(self.dev.as_raw(), segment, dir) };
            }
            Some(Mapping::Table { nents, dir, .. }) => {
                // SAFETY: the entries were mapped with these arguments
                // (invariant).
                unsafe {
                    bindings::dma_unmap_sg_attrs(
                        self.dev.as_raw(),
                        self.table.as_mut_ptr(),
                        nents as _,
                        dir as _,
                        0,
                    )
                };
            }
        }
    }
}

/// The DMA direction of an owned request's data (and metadata), C's
/// `rq_dma_dir`: to the device for a writing operation, one with the low
/// bit set (`op_is_write`).
pub(super) fn dma_direction<T: Operations>(request: OwnedRequest<'_, T>) -> kernel::ffi::c_int {
    // SAFETY: the request is valid; its flags do not change while owned.
    let write = unsafe { (*request.as_raw()).cmd_flags } & 1 != 0;
    (if write {
        bindings::dma_data_direction_DMA_TO_DEVICE
    } else {
        bindings::dma_data_direction_DMA_FROM_DEVICE
    }) as kernel::ffi::c_int
}

/// The data of a request that is one multi-page bio_vec.
struct SingleBvec {
    page: *mut bindings::page,
    offset: u32,
    len: u32,
}

/// The request's data as one bio_vec, if that is what it is: one bio whose
/// first segment covers the whole request (C `req_bvec` under the checks of
/// `nvme_map_data`). Most requests are; their data is then mapped straight
/// from the bio_vec, without a scatterlist. Read in place rather than
/// through a C helper: this runs for every read and write. Kept in step by
/// hand with C's `mp_bvec_iter_*` of the kernel built against.
fn single_bvec<T: Operations>(request: OwnedRequest<'_, T>) -> Option<SingleBvec> {
    // SAFETY: the request is valid and owned, so its fields, its bios and
    // their vectors are stable; a bio's iterator indexes its vector.
    unsafe {
        let rq = &*request.as_raw();
        // A special payload (a discard's range list) is not the bio's data
        // (C `blk_rq_nr_phys_segments`).
        if rq.rq_flags & bindings::NVME_RS_RQF_SPECIAL_PAYLOAD != 0
            || rq.nr_phys_segments != 1
            || rq.bio.is_null()
        {
            return None;
        }
        let bio = &*rq.bio;
        let iter = &bio.bi_iter;
        let bv = &*bio.bi_io_vec.add(iter.bi_idx as usize);
        // C `mp_bvec_iter_len` and `mp_bvec_iter_offset`; the iterator is
        // within its vector (`bi_bvec_done <= bv_len`), and wrapping
        // arithmetic keeps a panic path out of the I/O path all the same.
        let len = iter.bi_size.min(bv.bv_len.wrapping_sub(iter.bi_bvec_done));
        if len != rq.__data_len {
            return None;
        }
        Some(SingleBvec {
            page: bv.bv_page,
            offset: bv.bv_offset.wrapping_add(iter.bi_bvec_done),
            len,
        })
    }
}

/// Whether `addr`, from a DMA mapping call for `dev`, says it failed (C
/// `dma_mapping_error`).
/// Unmaps one segment mapped by `dma_map_page_attrs` (C
/// `dma_unmap_page`).
///
/// # Safety
///
/// `segment` was mapped for `dev` in direction `dir` by
/// `dma_map_page_attrs` and is not unmapped yet; it is not used for DMA
/// after this.
#[inline]
pub(super) unsafe fn unmap_page(
    dev: *mut bindings::device,
    segment: DmaSegment,
    dir: kernel::ffi::c_int,
) {
    // SAFETY: the caller's requirements are the call's.
    unsafe { bindings::dma_unmap_page_attrs(dev, segment.addr, segment.len as _, dir as _, 0) };
}

pub(super) fn mapping_failed(dev: *mut bindings::device, addr: bindings::dma_addr_t) -> bool {
    #[cfg(CONFIG_DMA_API_DEBUG)]
    // SAFETY: `dev` is valid; the call only records that the driver
    // checked `addr`.
    unsafe {
        bindings::debug_dma_mapping_error(dev, addr)
    };
    #[cfg(not(CONFIG_DMA_API_DEBUG))]
    let _ = dev;
    // C `DMA_MAPPING_ERROR`: every bit set.
    addr == bindings::dma_addr_t::MAX
}

/// The mapped segments of a request, in order ([`RequestSg::segments`]).
///
/// One `match` per segment: a PRP list of a request pinned page by page
/// takes a segment per page, so this is as hot as the list itself.
pub enum Segments<'a> {
    /// A request of one bio_vec: its segment, until taken.
    One(Option<DmaSegment>),
    /// The table's mapped entries.
    Table(core::slice::Iter<'a, bindings::scatterlist>),
}

impl Iterator for Segments<'_> {
    type Item = DmaSegment;

    #[inline]
    fn next(&mut self) -> Option<DmaSegment> {
        match self {
            Segments::One(segment) => segment.take(),
            Segments::Table(entries) => entries.next().map(dma_segment),
        }
    }
}

/// The bus address and length `dma_map_sg` gave a mapped entry (C
/// `sg_dma_address`, `sg_dma_len`): plain fields of memory this type owns,
/// read without a call per entry.
fn dma_segment(sg: &bindings::scatterlist) -> DmaSegment {
    DmaSegment {
        addr: sg.dma_address,
        #[cfg(CONFIG_NEED_SG_DMA_LENGTH)]
        len: sg.dma_length,
        #[cfg(not(CONFIG_NEED_SG_DMA_LENGTH))]
        len: sg.length,
    }
}

impl Drop for RequestSg {
    fn drop(&mut self) {
        self.unmap();
    }
}
