// SPDX-License-Identifier: GPL-2.0

//! A request's data as the controller addresses it (C `nvme_map_data`,
//! `nvme_setup_prps`, `nvme_pci_setup_sgls`, `nvme_setup_discard`): the
//! request's pages mapped for DMA and described with PRPs or SGLs, and a
//! discard's ranges written to a list block.

use super::queue_set::{IoQueues, LIST_BLOCK_SIZE};
use super::registers::PAGE_SIZE;
use super::request::{DataMapping, NvmeOps, MAX_LIST_PAGES};
use crate::kernel_ext::block::request::OwnedRequest;
use crate::kernel_ext::block::sg::DmaSegment;
use crate::kernel_ext::block::status::Status as BlkStatus;
use crate::kernel_ext::dma_pool::PoolBlock;
use crate::spec::command::Command;
use crate::spec::io::{sectors_to_blocks, DsmRange, DSM_RANGE_SIZE, MAX_DSM_RANGES};
use crate::spec::prp::{
    offset_in_page, prp_list_entries, two_page_prps, walk_prps, PrpChain, Segment,
};
use crate::spec::sgl::{
    last_segment, prefer_sgl, single_segment_prefers_sgl, SglDescriptor, SglType,
};
use kernel::prelude::*;

/// A mapped piece of data as the PRP and SGL builders take it.
fn segment(s: DmaSegment) -> Segment {
    Segment {
        addr: s.addr,
        len: s.len,
    }
}

/// PRP list entries one list page holds.
const LIST_ENTRIES: usize = LIST_BLOCK_SIZE / 8;

fn resource_or_error(err: Error) -> BlkStatus {
    if err == ENOMEM {
        BlkStatus::RESOURCE
    } else {
        BlkStatus::IO_ERROR
    }
}

impl IoQueues {
    /// Maps the request's data and points the command at it, with PRPs or,
    /// where the controller supports them and the segments are large, SGLs.
    pub(super) fn map_data(
        &self,
        rq: OwnedRequest<'_, NvmeOps>,
        data: &mut DataMapping,
        cmd: &mut Command,
        user_command: bool,
    ) -> Result<(), BlkStatus> {
        data.sg.map(rq).map_err(resource_or_error)?;
        if let Some(seg) = data.sg.only_segment() {
            // Most requests: one segment within two pages takes PRP1 and
            // PRP2 and nothing else, whatever the request (C's
            // `nvme_setup_prp_simple`).
            if let Some((prp1, prp2)) = two_page_prps(segment(seg), PAGE_SIZE) {
                cmd.set_prps(prp1, prp2);
                return Ok(());
            }
        }
        self.map_segments(data, cmd, u64::from(rq.bytes()), user_command)
    }

    /// [`Self::map_data`] for the `total` bytes its fast path does not
    /// take: an SGL, or PRPs with a list. Kept out of line so the common
    /// path's frame stays small.
    #[inline(never)]
    fn map_segments(
        &self,
        data: &mut DataMapping,
        cmd: &mut Command,
        total: u64,
        user_command: bool,
    ) -> Result<(), BlkStatus> {
        let single = data.sg.only_segment().map(segment);
        let segments = data.sg.mapped_segments();
        let sgl = single
            .and_then(|s| {
                single_segment_prefers_sgl(
                    self.sgls,
                    false,
                    offset_in_page(s.addr, PAGE_SIZE),
                    s.len,
                    PAGE_SIZE,
                    self.sgl_threshold,
                )
            })
            .unwrap_or_else(|| {
                prefer_sgl(
                    self.sgls,
                    false,
                    user_command,
                    total,
                    segments,
                    self.sgl_threshold,
                )
            });
        if sgl {
            self.map_sgl(data, cmd, segments)
        } else {
            self.map_prps(data, cmd, total)
        }
    }

    fn map_prps(
        &self,
        data: &mut DataMapping,
        cmd: &mut Command,
        total: u64,
    ) -> Result<(), BlkStatus> {
        let first = data.sg.segments().next().ok_or(BlkStatus::IO_ERROR)?;
        // A list is needed only for more than two pages; most requests fit
        // in PRP1 and PRP2 and need no allocation.
        let entries = prp_list_entries(offset_in_page(first.addr, PAGE_SIZE), total, PAGE_SIZE);
        if entries > LIST_ENTRIES {
            return self.map_chained_prps(data, cmd, entries);
        }
        let mut list = if entries > 1 {
            Some(self.pool.alloc_atomic().map_err(resource_or_error)?)
        } else {
            None
        };
        let segments = data.sg.segments().map(segment);
        // Two walks, with a list and without, so the one writing entries
        // does not ask for every page whether there is a list.
        let walk = match list.as_mut() {
            // A write past the list fails, and leaves more entries than the
            // list holds, which `prps` refuses below.
            Some(list) => walk_prps(segments, PAGE_SIZE, |i, addr| {
                let _ = list.write_u64_at(i, addr);
            }),
            None => walk_prps(segments, PAGE_SIZE, |_, _| {}),
        }
        .map_err(|_| BlkStatus::IO_ERROR)?;
        let capacity = list.as_ref().map_or(0, |l| l.size() / 8);
        let prps = walk.prps(capacity).map_err(|_| BlkStatus::IO_ERROR)?;
        let prp2 = prps.prp2_value(list.as_ref().map_or(0, |l| l.dma_handle()));
        data.list = list;
        cmd.set_prps(prps.prp1, prp2);
        Ok(())
    }

    /// [`Self::map_prps`] for a transfer whose PRP list does not fit in one
    /// list page (over 2 MiB with 4 KiB pages): the list is chained over
    /// as many pages as [`PrpChain`] says (C `nvme_pci_setup_prps`).
    #[cold]
    #[inline(never)]
    fn map_chained_prps(
        &self,
        data: &mut DataMapping,
        cmd: &mut Command,
        entries: usize,
    ) -> Result<(), BlkStatus> {
        let chain = PrpChain::new(entries, PAGE_SIZE).ok_or(BlkStatus::IO_ERROR)?;
        if chain.pages() > MAX_LIST_PAGES {
            return Err(BlkStatus::IO_ERROR);
        }
        let mut pages: [Option<PoolBlock>; MAX_LIST_PAGES] = Default::default();
        for page in pages.iter_mut().take(chain.pages()) {
            *page = Some(self.pool.alloc_atomic().map_err(resource_or_error)?);
        }
        let mut written = Ok(());
        let walk = walk_prps(data.sg.segments().map(segment), PAGE_SIZE, |i, addr| {
            let (page, slot) = chain.position(i);
            if let Some(list) = pages[page].as_mut() {
                written = written.and(list.write_u64_at(slot, addr));
            }
        })
        .map_err(|_| BlkStatus::IO_ERROR)?;
        // The walk found as many pages as the length said, into pages that
        // all took their entries.
        if walk.entries != entries || written.is_err() {
            return Err(BlkStatus::IO_ERROR);
        }
        for next in 1..chain.pages() {
            let addr = pages[next].as_ref().map_or(0, |p| p.dma_handle());
            if let Some(list) = pages[next - 1].as_mut() {
                list.write_u64_at(chain.link_slot(), addr)
                    .map_err(|_| BlkStatus::IO_ERROR)?;
            }
        }
        let [first, rest @ ..] = pages;
        let first = first.ok_or(BlkStatus::IO_ERROR)?;
        cmd.set_prps(walk.prp1, first.dma_handle());
        data.list = Some(first);
        data.chained = rest;
        Ok(())
    }

    fn map_sgl(
        &self,
        data: &mut DataMapping,
        cmd: &mut Command,
        segments: usize,
    ) -> Result<(), BlkStatus> {
        let descriptor = |addr, len| SglDescriptor {
            addr,
            len,
            kind: SglType::DataBlock,
        };
        if segments == 1 {
            let s = data.sg.segments().next().ok_or(BlkStatus::IO_ERROR)?;
            cmd.set_sgl(descriptor(s.addr, s.len));
            return Ok(());
        }
        let mut list = self.pool.alloc_atomic().map_err(resource_or_error)?;
        for (i, s) in data.sg.segments().enumerate() {
            let [low, high] = descriptor(s.addr, s.len).to_words();
            list.write_u64_at(2 * i, low)
                .and_then(|()| list.write_u64_at(2 * i + 1, high))
                .map_err(|_| BlkStatus::IO_ERROR)?;
        }
        let segment = last_segment(list.dma_handle(), segments);
        data.list = Some(list);
        cmd.set_sgl(segment);
        Ok(())
    }

    /// Maps the request's metadata buffer and points the command's MPTR at
    /// it (C `nvme_map_metadata`). Out of line: only namespaces with
    /// separate metadata take it.
    #[inline(never)]
    pub(super) fn map_metadata(
        &self,
        rq: OwnedRequest<'_, NvmeOps>,
        data: &mut DataMapping,
        cmd: &mut Command,
    ) -> Result<(), BlkStatus> {
        // C fails the request (BLK_STS_IOERR) where the mapping fails.
        let segment = data.metadata.map(rq).map_err(|_| BlkStatus::IO_ERROR)?;
        // The controller moves the metadata of every block through the
        // pointer: the buffer must hold it all. The block layer's does (one
        // segment, sized by the profile), and a user's was checked against
        // the command; this keeps the device inside it whatever happens
        // above. (Released by `unprepare` on failure.)
        let ns = rq.queue_data();
        if let (false, Some(profile)) = (rq.is_passthrough(), ns.access.profile()) {
            let need = u64::from(rq.bytes() >> ns.lba_shift) * u64::from(profile.tuple_size);
            if u64::from(segment.len) < need {
                return Err(BlkStatus::IO_ERROR);
            }
        }
        cmd.set_metadata_pointer(segment.addr);
        Ok(())
    }

    /// Writes the request's discard ranges as a Dataset Management range
    /// list and points the command at it.
    pub(super) fn map_dsm(
        &self,
        rq: OwnedRequest<'_, NvmeOps>,
        data: &mut DataMapping,
        cmd: &mut Command,
        lba_shift: u8,
    ) -> Result<(), BlkStatus> {
        let mut list = self.pool.alloc_atomic().map_err(resource_or_error)?;
        let mut ranges = 0usize;
        for (sector, bytes) in rq.discard_ranges() {
            if ranges == MAX_DSM_RANGES as usize {
                return Err(BlkStatus::IO_ERROR);
            }
            let range = DsmRange {
                slba: sectors_to_blocks(sector, lba_shift),
                blocks: bytes >> lba_shift,
            };
            list.write_bytes(ranges * DSM_RANGE_SIZE, &range.to_bytes())
                .map_err(|_| BlkStatus::IO_ERROR)?;
            ranges += 1;
        }
        // The command announced one range per segment.
        if ranges != usize::from(rq.phys_segments()) {
            return Err(BlkStatus::IO_ERROR);
        }
        let addr = list.dma_handle();
        data.list = Some(list);
        cmd.set_prps(addr, 0);
        Ok(())
    }
}
