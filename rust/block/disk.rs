// SPDX-License-Identifier: GPL-2.0

//! Disks (`struct gendisk`) on a tag set.
//!
//! C header: [`include/linux/blkdev.h`](srctree/include/linux/blkdev.h)

use super::disk_attr::{DiskAttributes, Table};
use super::tag_set::{Operations, TagSet};
use crate::kernel_ext::{bindings, device};
use core::ptr::NonNull;
use kernel::sync::{Arc, Mutex};
use kernel::{error::to_result, new_mutex, prelude::*, str::CString, types::ForeignOwnable};

/// Ioctls on a disk's block device (`/dev/nvme0n1`).
pub trait DiskIoctl: Send + Sync {
    /// Ioctl `cmd` with argument `arg`, from a caller whose block device
    /// is open for writing (`writable`), on a partition (`partition`) or
    /// the whole disk.
    fn ioctl(&self, writable: bool, partition: bool, cmd: u32, arg: usize) -> Result<i32>;
}

/// What a disk's `private_data` points at, from `Disk::add` until the
/// gendisk is freed (`free_disk`), which is after the last open of its
/// block device is closed.
#[pin_data]
struct DiskHook {
    /// Set while the disk's owner has it; taken when the disk is deleted,
    /// so a late ioctl on a still-open block device gets `ENXIO`.
    #[pin]
    ioctl: Mutex<Option<Arc<dyn DiskIoctl>>>,
    /// The zone reports of a zoned disk, likewise.
    #[pin]
    zones: Mutex<Option<Arc<dyn super::zoned::DiskZones>>>,
    /// The disk's sysfs attributes and what they show, if it has any.
    attributes: Option<Table>,
}

/// The data `disk`'s attributes are shown from (null if it has none).
///
/// # Safety
///
/// `disk` was made by `Disk::add` and is not yet freed.
pub(super) unsafe fn attribute_data(disk: *mut bindings::gendisk) -> *const kernel::ffi::c_void {
    // SAFETY: the disk is valid and its `private_data` is the hook, which
    // lives until `free_disk`, as the caller promises.
    let hook = unsafe { &*(*disk).private_data.cast::<DiskHook>() };
    hook.attributes
        .as_ref()
        .map_or(core::ptr::null(), |table| table.data())
}

/// # Safety
///
/// Called by the block layer for an open block device of a disk made by
/// `Disk::add`.
unsafe extern "C" fn disk_ioctl(
    bdev: *mut bindings::block_device,
    mode: bindings::blk_mode_t,
    cmd: kernel::ffi::c_uint,
    arg: kernel::ffi::c_ulong,
) -> kernel::ffi::c_int {
    // SAFETY: the block device is open, so its disk and the disk's hook
    // (its `private_data`, freed only in `free_disk`) are alive.
    let (hook, partition) = unsafe {
        (
            &*(*(*bdev).bd_disk).private_data.cast::<DiskHook>(),
            bindings::nvme_rs_bdev_is_partition(bdev),
        )
    };
    // Not held during the ioctl: a long command must not hold up deletion.
    let handler = hook.ioctl.lock().clone();
    let writable = mode & bindings::NVME_RS_BLK_OPEN_WRITE != 0;
    match handler {
        Some(h) => match h.ioctl(writable, partition, cmd, arg) {
            Ok(value) => value,
            Err(err) => err.to_errno(),
        },
        None => ENXIO.to_errno(),
    }
}

/// # Safety
///
/// Called by the block layer for a disk made by `Disk::add` (added or
/// not), to report its zones to `cb` with `data`.
#[cfg(CONFIG_BLK_DEV_ZONED)]
unsafe extern "C" fn disk_report_zones(
    disk: *mut bindings::gendisk,
    sector: u64,
    nr_zones: kernel::ffi::c_uint,
    cb: bindings::report_zones_cb,
    data: *mut kernel::ffi::c_void,
) -> kernel::ffi::c_int {
    // SAFETY: the disk is alive during the call, and so are its hook and
    // queue.
    let (hook, capacity, lim) = unsafe {
        (
            &*(*disk).private_data.cast::<DiskHook>(),
            bindings::nvme_rs_disk_capacity(disk),
            &(*(*disk).queue).limits,
        )
    };
    let handler = hook.zones.lock().clone();
    let Some(handler) = handler else {
        return ENXIO.to_errno();
    };
    let max_report_bytes = ((lim.max_hw_sectors as usize) << 9)
        .min(usize::from(lim.max_segments) << kernel::page::PAGE_SHIFT);
    // SAFETY: `cb` and `data` are the block layer's, valid for this call,
    // which the sink does not outlive.
    let mut sink = unsafe {
        super::zoned::ZoneSink::new(
            cb,
            data,
            capacity,
            u64::from(lim.chunk_sectors),
            max_report_bytes,
        )
    };
    match handler.report_zones(sector, nr_zones, &mut sink) {
        Ok(zones) => zones as kernel::ffi::c_int,
        Err(err) => err.to_errno(),
    }
}

/// # Safety
///
/// Called by the block layer once, when the last reference to a disk made
/// by `Disk::add` is gone.
unsafe extern "C" fn free_disk(disk: *mut bindings::gendisk) {
    // SAFETY: the disk is valid during the call; its `private_data` is the
    // hook leaked from a pinned box in `Disk::add`, and nothing uses it
    // after the disk is freed.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw((*disk).private_data.cast::<DiskHook>())) });
}

extern "C" {
    /// This module (`THIS_MODULE`), defined by modpost's generated code.
    static __this_module: kernel::types::Opaque<u8>;
}

/// The disks' block device operations. All the work is in the request
/// queue; the table's job is `owner`: while a disk is open (mounted, say),
/// the block layer holds a reference on this module, so it cannot be
/// unloaded under the user.
static BLOCK_OPS: BlockOps = BlockOps(bindings::block_device_operations {
    // SAFETY: `__this_module` exists for as long as the module is loaded,
    // which is as long as this table is reachable.
    owner: unsafe { __this_module.get() }.cast(),
    ioctl: Some(disk_ioctl),
    // A 32-bit caller's argument pointer widened, then `ioctl` as for any
    // other caller: the NVMe ioctl structures have one layout for both
    // (`nvme_user_io`'s shorter 32-bit size is a number of its own).
    #[cfg(CONFIG_COMPAT)]
    compat_ioctl: Some(bindings::blkdev_compat_ptr_ioctl),
    free_disk: Some(free_disk),
    #[cfg(CONFIG_BLK_DEV_ZONED)]
    report_zones: Some(disk_report_zones),
    ..unsafe_zeroed_block_ops()
});

const fn unsafe_zeroed_block_ops() -> bindings::block_device_operations {
    // SAFETY: all fields are optional function pointers or pointers, for
    // which zero means "none".
    unsafe { core::mem::zeroed() }
}

#[repr(transparent)]
struct BlockOps(bindings::block_device_operations);

// SAFETY: the table is never written after initialisation.
unsafe impl Sync for BlockOps {}

/// What a disk looks like to the block layer.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Smallest unit the device addresses, in bytes.
    pub logical_block_size: u32,
    /// Smallest unit the device writes without read-modify-write, and
    /// atomically across a power failure.
    pub physical_block_size: u32,
    /// Smallest write the device prefers (`io_min`), in bytes.
    pub io_min: u32,
    /// Optimal write size (`io_opt`) in bytes, 0 if none.
    pub io_opt: u32,
    /// Atomic write limits, if the device gives them.
    pub atomic_writes: Option<AtomicWriteLimits>,
    /// Largest request, in 512-byte sectors.
    pub max_hw_sectors: u32,
    /// Most data segments in one request.
    pub max_segments: u16,
    /// Segments must not cross or leave gaps at this boundary
    /// (`boundary - 1` as a mask); 0 for none.
    pub virt_boundary_mask: u64,
    /// Required alignment of data buffers, as a mask.
    pub dma_alignment: u32,
    /// Largest discard, in sectors; 0 if discard is unsupported.
    pub max_discard_sectors: u32,
    /// Most ranges in one discard.
    pub max_discard_segments: u16,
    /// Discard granularity in bytes.
    pub discard_granularity: u32,
    /// Largest write zeroes, in sectors; 0 if unsupported.
    pub max_write_zeroes_sectors: u32,
    /// The device has a volatile write cache (flushes are needed).
    pub write_cache: bool,
    /// The device supports Force Unit Access writes.
    pub fua: bool,
    /// The tag set has polled queues.
    pub poll: bool,
    /// The integrity profile, where the device has metadata the block
    /// layer carries (only where [`super::integrity::SUPPORTED`]).
    pub integrity: Option<super::integrity::Profile>,
    /// The zones of a host-managed zoned disk (only where
    /// [`super::zoned::SUPPORTED`]).
    pub zoned: Option<super::zoned::ZoneLimits>,
}

/// What the device writes atomically, in bytes (the block layer's
/// `atomic_write_hw_*` limits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AtomicWriteLimits {
    /// Largest atomic write.
    pub max: u32,
    /// Atomic writes must not cross a multiple of this; 0 for none.
    pub boundary: u32,
    /// Smallest atomic write unit.
    pub unit_min: u32,
    /// Largest atomic write unit, a power of two.
    pub unit_max: u32,
}

/// What a disk presents: its size, and whether it may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Medium {
    /// Capacity in 512-byte sectors.
    pub capacity_sectors: u64,
    /// Writes are refused (`set_disk_ro`).
    pub read_only: bool,
}

impl Limits {
    /// Limits to allocate a disk with: these, on the block layer's defaults.
    fn to_raw(&self) -> bindings::queue_limits {
        let mut lim = bindings::queue_limits {
            features: bindings::NVME_RS_BLK_FEAT_NOWAIT,
            ..Default::default()
        };
        self.apply(&mut lim);
        lim
    }

    /// Writes these limits into `lim`, leaving the fields and feature bits
    /// they do not cover (set by the block layer or by the administrator
    /// through sysfs) as they are.
    fn apply(&self, lim: &mut bindings::queue_limits) {
        for (feature, on) in [
            (bindings::NVME_RS_BLK_FEAT_WRITE_CACHE, self.write_cache),
            (bindings::NVME_RS_BLK_FEAT_FUA, self.fua),
            (bindings::NVME_RS_BLK_FEAT_POLL, self.poll),
        ] {
            if on {
                lim.features |= feature;
            } else {
                lim.features &= !feature;
            }
        }
        lim.logical_block_size = self.logical_block_size;
        lim.physical_block_size = self.physical_block_size;
        lim.io_min = self.io_min;
        lim.io_opt = self.io_opt;
        let atomic = self.atomic_writes.unwrap_or_default();
        lim.atomic_write_hw_max = atomic.max;
        lim.atomic_write_hw_boundary = atomic.boundary;
        lim.atomic_write_hw_unit_min = atomic.unit_min;
        lim.atomic_write_hw_unit_max = atomic.unit_max;
        lim.max_hw_sectors = self.max_hw_sectors;
        lim.max_segments = self.max_segments;
        lim.max_segment_size = u32::MAX;
        lim.virt_boundary_mask = self.virt_boundary_mask as _;
        lim.dma_alignment = self.dma_alignment;
        lim.max_hw_discard_sectors = self.max_discard_sectors;
        lim.max_discard_segments = self.max_discard_segments;
        lim.discard_granularity = self.discard_granularity;
        lim.max_write_zeroes_sectors = self.max_write_zeroes_sectors;
        super::integrity::Profile::apply(self.integrity.as_ref(), lim);
        super::zoned::ZoneLimits::apply(self.zoned.as_ref(), lim);
    }
}

/// A disk, added to the system (it shows in `/dev` and sysfs) until dropped.
///
/// # Invariants
///
/// `disk` was allocated on `set` and added with `device_add_disk`; its
/// request queue's `queuedata` is `T::QueueData::into_foreign`, replaced
/// only while the queue is frozen (so no request exists to borrow it).
/// `Drop` deletes the disk, then reclaims the queue data.
pub struct Disk<T: Operations> {
    disk: NonNull<bindings::gendisk>,
    // Keeps the tag set alive while the disk uses it.
    _set: Arc<TagSet<T>>,
}

// SAFETY: the disk is only deleted (from any thread) through `Drop`.
unsafe impl<T: Operations> Send for Disk<T> {}
// SAFETY: no method uses the disk through `&self`.
unsafe impl<T: Operations> Sync for Disk<T> {}

impl<T: Operations> Disk<T> {
    /// Allocates a disk named `name` on `set` with `limits`, presenting
    /// `medium`, with `data` as its queue data, and adds it under `parent`
    /// with the sysfs `attributes`: [`NewDisk::alloc`], then
    /// [`NewDisk::add`].
    #[allow(clippy::too_many_arguments)]
    pub fn add<A: Send + Sync + 'static>(
        set: Arc<TagSet<T>>,
        data: T::QueueData,
        name: &CString,
        limits: &Limits,
        medium: Medium,
        visible: bool,
        parent: &device::Device,
        attributes: Option<DiskAttributes<A>>,
    ) -> Result<Self> {
        NewDisk::alloc(set, data, name, limits, medium, visible, attributes)?.add(parent)
    }
}

/// A disk allocated but not yet added: its request queue works (for the
/// zone reports a zoned disk is added with), but it is not in `/dev` or
/// sysfs. Dropping it frees it.
///
/// # Invariants
///
/// `disk` was allocated on `set` with `foreign` (`T::QueueData`) as its
/// queue data and `hook` (leaked from a pinned box) as its
/// `private_data`, and was not added; this owns the three.
pub struct NewDisk<T: Operations> {
    disk: NonNull<bindings::gendisk>,
    foreign: *mut kernel::ffi::c_void,
    hook: *mut DiskHook,
    set: Arc<TagSet<T>>,
}

impl<T: Operations> NewDisk<T> {
    /// Allocates a disk named `name` on `set` with `limits`, presenting
    /// `medium`, with `data` as its queue data and the sysfs `attributes`
    /// it is to be added with. A disk that is not `visible` (C's
    /// `GENHD_FL_HIDDEN`) gets no block device node, partitions or uevents,
    /// only its sysfs directory and its request queue, for passthrough.
    pub fn alloc<A: Send + Sync + 'static>(
        set: Arc<TagSet<T>>,
        data: T::QueueData,
        name: &CString,
        limits: &Limits,
        medium: Medium,
        visible: bool,
        attributes: Option<DiskAttributes<A>>,
    ) -> Result<Self> {
        let mut lim = limits.to_raw();
        let attributes = attributes.map(Table::new).transpose()?;
        let hook = KBox::pin_init(
            pin_init!(DiskHook {
                ioctl <- new_mutex!(None),
                zones <- new_mutex!(None),
                attributes,
            }),
            GFP_KERNEL,
        )?;
        let foreign = data.into_foreign();
        // SAFETY: `set` is a live tag set and `lim` a valid limits struct
        // the call only reads; `foreign` stays valid until reclaimed below or
        // in `Drop`.
        let disk = unsafe { bindings::nvme_rs_alloc_disk(set.as_raw(), &mut lim, foreign as _) };
        let disk = match kernel::error::from_err_ptr(disk) {
            Ok(disk) => disk,
            Err(err) => {
                // SAFETY: allocation failed; nothing else holds `foreign`.
                drop(unsafe { T::QueueData::from_foreign(foreign) });
                return Err(err);
            }
        };
        // SAFETY: the hook stays pinned where it is until `free_disk`, or
        // until `NewDisk`'s drop for a disk never added.
        let hook = KBox::into_raw(unsafe { Pin::into_inner_unchecked(hook) });
        // SAFETY: `disk` is a freshly allocated gendisk, not yet added, so
        // its fields (flags among them) are ours to set; `name` is a C
        // string (copied, and truncated to the field's size by the helper).
        unsafe {
            (*disk).private_data = hook.cast();
            bindings::nvme_rs_disk_set_name(disk, name.as_char_ptr());
            (*disk).fops = &BLOCK_OPS.0;
            if !visible {
                (*disk).flags |= bindings::NVME_RS_GENHD_FL_HIDDEN;
            }
            bindings::set_capacity(disk, medium.capacity_sectors);
            bindings::set_disk_ro(disk, medium.read_only);
        }
        // INVARIANT: allocated on `set` with `foreign` and `hook`, not added.
        Ok(NewDisk {
            // SAFETY: `from_err_ptr` returned a valid, non-null pointer.
            disk: unsafe { NonNull::new_unchecked(disk) },
            foreign: foreign as _,
            hook,
            set,
        })
    }

    /// A counted reference to the disk's request queue, for passthrough
    /// and zone reports, usable before the disk is added.
    pub fn queue_ref(&self) -> super::passthrough::QueueRef<T> {
        // SAFETY: the disk is allocated (its whole-disk block device with
        // it) and on a tag set of operations `T` (type invariant).
        unsafe { super::passthrough::QueueRef::new(self.disk) }
    }

    /// Routes the zone reports of the (zoned) disk to `handler` until the
    /// disk is dropped.
    pub fn set_zones(&self, handler: Arc<dyn super::zoned::DiskZones>) {
        // SAFETY: the hook lives as long as the disk (type invariant).
        *unsafe { &*self.hook }.zones.lock() = Some(handler);
    }

    /// Adds the disk under `parent`: it shows in `/dev` and sysfs. A zoned
    /// disk's zones are read first (`blk_revalidate_disk_zones`, through
    /// the handler given to [`Self::set_zones`]), as C reads them before
    /// `device_add_disk`; that failing fails the add.
    pub fn add(self, parent: &device::Device) -> Result<Disk<T>> {
        let disk = self.disk.as_ptr();
        // SAFETY: the disk is allocated and not added (type invariant); its
        // queue's limits are read while nothing changes them.
        let zoned =
            unsafe { (*(*disk).queue).limits.features } & bindings::NVME_RS_BLK_FEAT_ZONED != 0;
        if zoned {
            // SAFETY: the disk is allocated, zoned and has its capacity;
            // its queue takes requests before the disk is added.
            to_result(unsafe { bindings::nvme_rs_revalidate_disk_zones(disk) })?;
        }
        // SAFETY: the hook is alive and stays where it is (type invariant);
        // the table is not moved out of it.
        let groups = unsafe { (*self.hook).attributes.as_mut() }
            .map_or(core::ptr::null(), |table| table.groups());
        // SAFETY: `parent` is a live device; the disk is set up; `groups`
        // is null or lives in the hook until `free_disk`, after the disk's
        // device (which keeps the pointer) is deleted.
        to_result(unsafe { bindings::device_add_disk(parent.as_raw(), disk, groups.cast_mut()) })?;
        // From here on the disk owns the hook (`free_disk` frees it) and
        // `Disk` the queue data.
        let this = core::mem::ManuallyDrop::new(self);
        // INVARIANT: allocated on `set`, added, queue data set.
        // SAFETY: `set` is read out of a value that is never dropped.
        Ok(Disk {
            disk: this.disk,
            _set: unsafe { core::ptr::read(&this.set) },
        })
    }
}

impl<T: Operations> Drop for NewDisk<T> {
    fn drop(&mut self) {
        // SAFETY: the disk was never added (type invariant); dropping the
        // last reference frees it, after which nothing uses `foreign`. A
        // disk never added gets no `free_disk` call, so its hook is freed
        // here.
        unsafe {
            bindings::put_disk(self.disk.as_ptr());
            drop(T::QueueData::from_foreign(self.foreign as _));
            drop(Pin::new_unchecked(KBox::from_raw(self.hook)));
        }
    }
}

impl<T: Operations> Disk<T> {
    /// Reads a zoned disk's zones again, after its capacity or zone limits
    /// changed ([`Frozen::update`]); C calls it after the update too.
    pub fn revalidate_zones(&self) -> Result {
        // SAFETY: the disk is live (type invariant) and not frozen here
        // (a `Frozen` borrows the disk, so none exists).
        to_result(unsafe { bindings::nvme_rs_revalidate_disk_zones(self.disk.as_ptr()) })
    }

    fn hook(&self) -> &DiskHook {
        // SAFETY: the disk's `private_data`, set in `add`; freed only with
        // the gendisk, which `self` holds a reference to.
        unsafe { &*(*self.disk.as_ptr()).private_data.cast::<DiskHook>() }
    }

    /// Routes ioctls on the disk's block device to `handler` until the disk
    /// is dropped.
    pub fn set_ioctl(&self, handler: Arc<dyn DiskIoctl>) {
        *self.hook().ioctl.lock() = Some(handler);
    }

    /// Freezes the disk's request queue: waits until none of its requests
    /// exists, and holds new ones back until the guard is dropped. The
    /// caller must not hold anything a request in flight may need to
    /// finish, such as what timeout recovery takes.
    pub fn freeze(&self) -> Frozen<'_, T> {
        // SAFETY: the disk is live (type invariant).
        unsafe { bindings::nvme_rs_disk_freeze(self.disk.as_ptr()) };
        // INVARIANT: frozen just now.
        Frozen { disk: self }
    }

    /// A counted reference to the disk's request queue, for passthrough.
    pub fn queue_ref(&self) -> super::passthrough::QueueRef<T> {
        // SAFETY: the disk is live and on a tag set of operations `T`
        // (type invariant).
        unsafe { super::passthrough::QueueRef::new(self.disk) }
    }
}

/// A disk whose request queue is frozen: no request of it exists until
/// this is dropped.
///
/// # Invariants
///
/// `disk`'s queue was frozen by `Disk::freeze`, and is unfrozen by `Drop`.
pub struct Frozen<'a, T: Operations> {
    disk: &'a Disk<T>,
}

impl<T: Operations> Frozen<'_, T> {
    /// Gives the disk new limits, medium (size and write protection) and
    /// queue data, as a namespace that was reformatted, resized or write
    /// protected needs (C `nvme_update_ns_info_block`). Requests made
    /// afterwards see only the new ones. Fails, changing nothing, if the
    /// block layer rejects the limits.
    pub fn update(&self, data: T::QueueData, limits: &Limits, medium: Medium) -> Result {
        let disk = self.disk.disk.as_ptr();
        // SAFETY: the disk is live; starting an update takes the queue's
        // limits lock, which committing releases whether it fails or not.
        let committed = unsafe {
            let mut lim = bindings::nvme_rs_disk_limits_start_update(disk);
            limits.apply(&mut lim);
            to_result(bindings::nvme_rs_disk_limits_commit_update(disk, &mut lim))
        };
        committed?;
        // SAFETY: the queue is frozen (type invariant), so no request
        // borrows the old queue data; the disk owns the new data from here
        // (the `Disk` invariant).
        unsafe {
            let queue = (*disk).queue;
            let old = (*queue).queuedata;
            (*queue).queuedata = data.into_foreign() as _;
            drop(T::QueueData::from_foreign(old));
            bindings::set_capacity_and_notify(disk, medium.capacity_sectors);
            bindings::set_disk_ro(disk, medium.read_only);
        }
        Ok(())
    }
}

impl<T: Operations> Drop for Frozen<'_, T> {
    fn drop(&mut self) {
        // SAFETY: frozen by `Disk::freeze` (type invariant), once.
        unsafe { bindings::nvme_rs_disk_unfreeze(self.disk.disk.as_ptr()) };
    }
}

impl<T: Operations> Drop for Disk<T> {
    fn drop(&mut self) {
        let disk = self.disk.as_ptr();
        // SAFETY: the disk was added (type invariant). `del_gendisk` removes
        // it and waits for all its requests; the queue data is unused after.
        unsafe {
            let foreign = (*(*disk).queue).queuedata;
            bindings::del_gendisk(disk);
            // Open block devices outlive the disk: their ioctls now fail.
            // Both handlers hold a reference to the disk: dropped here.
            drop(self.hook().ioctl.lock().take());
            drop(self.hook().zones.lock().take());
            bindings::put_disk(disk);
            drop(T::QueueData::from_foreign(foreign));
        }
    }
}
