// SPDX-License-Identifier: GPL-2.0

//! Namespaces as block devices: their geometry and limits, and the NVMe
//! command for each block request (C `nvme_setup_cmd`, `nvme_update_ns_info`).
//! What block I/O a namespace may carry at all is
//! [`crate::spec::format`]'s decision.

use super::error_log::ErrorLog;
use crate::kernel_ext::block::disk::{AtomicWriteLimits, Limits, Medium};
use crate::kernel_ext::block::integrity::{Checksum, Profile};
use crate::kernel_ext::block::request::{Op, Request};
use crate::kernel_ext::block::status::Status as BlkStatus;
use crate::kernel_ext::block::tag_set::Operations;
use crate::kernel_ext::block::zoned::ZoneLimits;
use crate::spec::command::Command;
use crate::spec::format::{ref_tag, ref_tag48, BlockAccess, Blocked};
use crate::spec::identify::{IdentifyController, IdentifyNamespace, WriteFields};
use crate::spec::integrity;
use crate::spec::io::{sectors_to_blocks, IoError, MAX_DSM_RANGES};
use crate::spec::ns_limits::{deallocate_zeroes, write_protected, write_units};
use crate::spec::status::BlockStatus;
use crate::spec::zns::{max_zone_append_sectors, zone_mgmt_send, ZoneAction, APPEND_PIREMAP};
use core::ops::Deref;
use kernel::sync::Arc;

/// ONCS bit: Dataset Management (deallocate) is supported.
const ONCS_DSM: u16 = 1 << 2;
/// ONCS bit: Write Zeroes is supported.
pub const ONCS_WRITE_ZEROES: u16 = 1 << 3;

/// What the driver knows of an active namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// Namespace ID.
    pub nsid: u32,
    /// Log2 of the logical block size.
    pub lba_shift: u8,
    /// Size in logical blocks.
    pub blocks: u64,
    /// What block I/O the disk carries.
    pub access: BlockAccess,
    /// What Identify Namespace says about write sizes and atomicity.
    pub write: WriteFields,
    /// Write Zeroes may deallocate (DEAC) where the request allows it.
    pub deallocate_zeroes: bool,
    /// The namespace is write protected.
    pub read_only: bool,
    /// The zones of a zoned namespace's zoned disk.
    pub zones: Option<super::identify::Zones>,
    /// The PI has the 64-bit guard, so a 48-bit reference tag, its upper
    /// bits in CDW3 (C `NVME_NVM_NS_64B_GUARD`).
    pub wide_ref_tag: bool,
}

/// What a namespace's disk queue carries: the namespace as the disk now
/// presents it, which a format change replaces, and its error log, which
/// stays for the life of the disk.
pub struct NsQueue {
    /// The format and size.
    pub geometry: Namespace,
    /// Fault injection in the disk's completions and its failed requests'
    /// log (C `ns->fault_inject`, `ns->head->passthru_err_log_enabled`).
    pub errors: Arc<ErrorLog>,
}

impl Deref for NsQueue {
    type Target = Namespace;

    fn deref(&self) -> &Namespace {
        &self.geometry
    }
}

/// What a request's command needs besides itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// No data (flush, write zeroes).
    None,
    /// The request's data pages, mapped for DMA.
    Data,
    /// A Dataset Management range list built from the request's ranges.
    DsmRanges,
}

/// Controller properties that shape every namespace's disk.
#[derive(Clone, Copy, Debug)]
pub struct DiskProfile {
    /// Largest transfer in bytes.
    pub max_transfer: u32,
    /// Most data segments per request.
    pub max_segments: u16,
    /// Host memory page size (PRP entries describe pages of this size).
    pub page_size: u32,
    /// Polled queues exist.
    pub poll: bool,
    /// Largest Write Zeroes in 512-byte sectors; 0 where the controller
    /// has none or `Quirks::DISABLE_WRITE_ZEROES` turns it off.
    pub max_zeroes_sectors: u32,
    /// Most ranges in one Dataset Management command (DMRL), 0 for no
    /// limit.
    pub discard_ranges: u8,
    /// Most logical blocks in one range (DMRSL), 0 for no limit.
    pub discard_range_blocks: u32,
}

/// `blocks` logical blocks of `1 << lba_shift` bytes in 512-byte sectors,
/// if `blocks` is a limit (not 0) and that fits 32 bits.
fn range_sectors(blocks: u32, lba_shift: u8) -> Option<u32> {
    if blocks == 0 {
        return None;
    }
    u32::try_from(u64::from(blocks) << (lba_shift - 9)).ok()
}

impl Namespace {
    /// The disk's view of an identified namespace.
    pub fn of(ns: &super::identify::Namespace) -> Self {
        let mut geometry = Self::new(
            ns.nsid,
            &ns.id,
            ns.block_access(kernel::page::PAGE_SHIFT as u32),
        );
        // Only a disk that carries block I/O is zoned. C makes it read-only
        // where the controller has no Zone Append for it.
        if geometry.access.has_capacity() {
            geometry.zones = ns.zones;
            geometry.read_only |= ns.zones.is_some_and(|zones| !zones.append_supported);
        }
        geometry.wide_ref_tag = ns.format().wide_guard;
        geometry
    }

    /// The namespace from its Identify Namespace data, with the block I/O
    /// its format and command set allow.
    pub fn new(nsid: u32, id: &IdentifyNamespace, access: BlockAccess) -> Self {
        Namespace {
            nsid,
            lba_shift: id.format.data_shift,
            blocks: id.size_blocks,
            access,
            write: id.write,
            deallocate_zeroes: deallocate_zeroes(id.dlfeat),
            read_only: write_protected(id.attributes),
            zones: None,
            wide_ref_tag: false,
        }
    }

    /// What the disk presents: its size, and whether it may be written
    /// (C `set_capacity_and_notify`, `set_disk_ro`).
    pub fn medium(&self) -> Medium {
        Medium {
            capacity_sectors: self.capacity_sectors(),
            read_only: self.read_only,
        }
    }

    /// Capacity in 512-byte sectors: 0 where the disk carries no block I/O,
    /// so the block layer sends none.
    pub fn capacity_sectors(&self) -> u64 {
        if !self.access.has_capacity() {
            return 0;
        }
        self.blocks << (self.lba_shift - 9)
    }

    /// The block-layer limits of the namespace's disk.
    pub fn limits(&self, ctrl: &IdentifyController, profile: &DiskProfile) -> Limits {
        // A block size the block layer cannot take is not given to it; the
        // disk has no capacity anyway (C does the same).
        let block = match self.access {
            BlockAccess::Blocked(Blocked::BlockSize) => 512,
            _ => 1u32 << self.lba_shift,
        };
        let max_sectors = profile.max_transfer >> 9;
        let units = write_units(block, &self.write, ctrl.awupf);
        Limits {
            logical_block_size: block,
            physical_block_size: units.physical_block_size,
            io_min: units.io_min,
            io_opt: units.io_opt,
            atomic_writes: units.atomic.map(|a| AtomicWriteLimits {
                max: a.max,
                boundary: a.boundary,
                unit_min: a.unit_min,
                unit_max: a.unit_max,
            }),
            max_hw_sectors: max_sectors,
            max_segments: profile.max_segments,
            // PRPs describe whole pages: segments must not leave gaps inside
            // a page, so the block layer splits there (C sets the same).
            virt_boundary_mask: u64::from(profile.page_size - 1),
            // PRP1 and SGL addresses must be dword aligned.
            dma_alignment: 3,
            // C `nvme_config_discard`: the range size limit, where it
            // fits the block layer's sector count.
            max_discard_sectors: match range_sectors(profile.discard_range_blocks, self.lba_shift) {
                Some(sectors) => sectors,
                None if ctrl.oncs & ONCS_DSM != 0 => u32::MAX >> 9,
                None => 0,
            },
            max_discard_segments: match profile.discard_ranges {
                0 => MAX_DSM_RANGES as u16,
                ranges => u16::from(ranges),
            },
            discard_granularity: block,
            max_write_zeroes_sectors: profile.max_zeroes_sectors,
            write_cache: ctrl.volatile_write_cache,
            fua: ctrl.volatile_write_cache,
            poll: profile.poll,
            integrity: self.access.profile().and_then(integrity_profile),
            zoned: self.zones.and_then(|z| {
                Some(ZoneLimits {
                    zone_sectors: u32::try_from(z.info.zone_blocks << (self.lba_shift - 9)).ok()?,
                    max_open: z.info.max_open,
                    max_active: z.info.max_active,
                    max_append_sectors: max_zone_append_sectors(z.zasl, max_sectors),
                })
            }),
        }
    }

    /// Writes the command for `rq` on this namespace into `cmd`, without
    /// command identifier or data pointer, and says what data it needs.
    /// Each kind is written where `cmd` lies, not built elsewhere and
    /// copied: this runs for every block request.
    pub fn command<T: Operations>(
        &self,
        rq: &Request<T>,
        cmd: &mut Command,
    ) -> Result<Payload, BlkStatus> {
        let mut encode = |built: Result<Command, IoError>, payload| {
            *cmd = built.map_err(|_| BlkStatus::IO_ERROR)?;
            Ok(payload)
        };
        let op = rq.op();
        // A disk of capacity 0 gets no block I/O, but a command that moved
        // metadata to address 0 must not be possible even by mistake (C
        // warns and returns the same).
        if !self.access.has_capacity() && op != Op::Flush {
            return Err(BlkStatus::NOT_SUPPORTED);
        }
        let slba = sectors_to_blocks(rq.sector(), self.lba_shift);
        let blocks = rq.bytes() >> self.lba_shift;
        let payload = match op {
            Op::Read => encode(Command::read(self.nsid, slba, blocks), Payload::Data)?,
            Op::Write => encode(
                Command::write(self.nsid, slba, blocks, rq.is_fua()),
                Payload::Data,
            )?,
            Op::Flush => return encode(Ok(Command::flush(self.nsid)), Payload::None),
            Op::WriteZeroes => encode(
                Command::write_zeroes(
                    self.nsid,
                    slba,
                    blocks,
                    self.deallocate_zeroes && !rq.is_nounmap(),
                ),
                Payload::None,
            )?,
            Op::Discard => {
                return encode(
                    Command::deallocate(self.nsid, u32::from(rq.phys_segments())),
                    Payload::DsmRanges,
                )
            }
            Op::ZoneAppend if self.zones.is_some() => encode(
                Command::zone_append(self.nsid, slba, blocks, rq.is_fua()),
                Payload::Data,
            )?,
            Op::ZoneOpen | Op::ZoneClose | Op::ZoneFinish | Op::ZoneReset | Op::ZoneResetAll
                if self.zones.is_some() =>
            {
                return encode(Ok(self.zone_management(op, slba)), Payload::None)
            }
            _ => return Err(BlkStatus::NOT_SUPPORTED),
        };
        // Set in place, after the command is written: a namespace without
        // metadata (nearly all) pays one test for it.
        if !matches!(self.access, BlockAccess::Data) {
            self.protect(rq, cmd, slba, op)?;
        }
        Ok(payload)
    }

    /// The Zone Management Send of zone operation `op` on the zone at
    /// `slba` (C `nvme_setup_zone_mgmt_send`).
    fn zone_management(&self, op: Op, slba: u64) -> Command {
        let (action, all) = match op {
            Op::ZoneOpen => (ZoneAction::Open, false),
            Op::ZoneClose => (ZoneAction::Close, false),
            Op::ZoneFinish => (ZoneAction::Finish, false),
            Op::ZoneResetAll => (ZoneAction::Reset, true),
            _ => (ZoneAction::Reset, false),
        };
        zone_mgmt_send(self.nsid, if all { 0 } else { slba }, action, all)
    }

    /// Sets the protection fields of the Read, Write or Write Zeroes `cmd`
    /// for `rq` starting at `slba` (C `nvme_setup_rw` and
    /// `nvme_setup_write_zeroes` for a namespace with metadata).
    #[inline(never)]
    fn protect<T: Operations>(
        &self,
        rq: &Request<T>,
        cmd: &mut Command,
        slba: u64,
        op: Op,
    ) -> Result<(), BlkStatus> {
        let (control, with_ref_tag) = if op == Op::WriteZeroes {
            self.access.write_zeroes_protection()
        } else {
            self.access
                .rw_protection(rq.has_metadata_buffer())
                .ok_or(BlkStatus::NOT_SUPPORTED)?
        };
        cmd.set_cdw::<12>(cmd.dword(12) | control);
        if with_ref_tag && op == Op::ZoneAppend {
            // The controller writes the reference tags of where the
            // blocks land (C `NVME_RW_APPEND_PIREMAP`).
            cmd.set_cdw::<12>(cmd.dword(12) | APPEND_PIREMAP);
        }
        if with_ref_tag {
            // C `nvme_set_ref_tag`.
            if self.wide_ref_tag {
                let (low, high) = ref_tag48(slba);
                cmd.set_cdw::<14>(low);
                cmd.set_cdw3(high);
            } else {
                cmd.set_cdw::<14>(ref_tag(slba));
            }
        }
        Ok(())
    }
}

/// The block layer's form of an integrity profile; `None` where it cannot
/// hold it (`spec::integrity::block_metadata` refuses such formats first).
fn integrity_profile(p: integrity::Profile) -> Option<Profile> {
    Some(Profile {
        checksum: match p.checksum {
            integrity::Checksum::None => Checksum::None,
            integrity::Checksum::Crc16 => Checksum::Crc16,
            integrity::Checksum::Crc64 => Checksum::Crc64,
        },
        tuple_size: u8::try_from(p.tuple_size).ok()?,
        pi_offset: u8::try_from(p.pi_offset).ok()?,
        tag_size: p.tag_size,
        device_capable: p.device_capable,
        ref_tag: p.ref_tag,
    })
}

/// The block layer's status for an NVMe completion status class.
pub fn blk_status(status: BlockStatus) -> BlkStatus {
    match status {
        BlockStatus::Ok => BlkStatus::OK,
        BlockStatus::NotSupported => BlkStatus::NOT_SUPPORTED,
        BlockStatus::Target => BlkStatus::TARGET,
        BlockStatus::NoSpace => BlkStatus::NO_SPACE,
        BlockStatus::Medium => BlkStatus::MEDIUM,
        BlockStatus::Protection => BlkStatus::PROTECTION,
        BlockStatus::ReservationConflict => BlkStatus::RESERVATION_CONFLICT,
        BlockStatus::Transport => BlkStatus::TRANSPORT,
        BlockStatus::ZoneActiveResource => BlkStatus::ZONE_ACTIVE_RESOURCE,
        BlockStatus::ZoneOpenResource => BlkStatus::ZONE_OPEN_RESOURCE,
        BlockStatus::IoError => BlkStatus::IO_ERROR,
    }
}
