// SPDX-License-Identifier: GPL-2.0

//! Sysfs attributes of a disk (`/sys/block/<disk>/<name>`), shown
//! from data the disk's owner hands [`super::disk::Disk::add`], as C
//! drivers pass attribute groups to `device_add_disk`.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use crate::kernel_ext::bindings;
use crate::kernel_ext::sysfs::SysfsBuf;
use core::fmt;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;

/// A read-only (0444) or read-write (0644) attribute of disks whose
/// attribute data is `A`.
#[repr(C)]
pub struct DiskAttribute<A: 'static> {
    raw: bindings::device_attribute,
    show: Show<A>,
    store: Option<fn(&A, &[u8]) -> Result>,
    visible: fn(&A) -> bool,
}

/// How an attribute is shown.
enum Show<A: 'static> {
    /// By formatting alone: a failure is `EINVAL`.
    Format(fn(&A, &mut SysfsBuf<'_>) -> fmt::Result),
    /// By something that may fail with its own error (a command sent to
    /// the device, say), which the `read` gets.
    Fallible(fn(&A, &mut SysfsBuf<'_>) -> Result),
}

// SAFETY: never written after construction; `A` is only read through `&A`.
unsafe impl<A> Sync for DiskAttribute<A> {}

impl<A: Send + Sync + 'static> DiskAttribute<A> {
    /// Attribute `name`, whose contents `show` writes; always present.
    pub const fn new(name: &'static CStr, show: fn(&A, &mut SysfsBuf<'_>) -> fmt::Result) -> Self {
        // SAFETY: zero is none for every pointer and the lockdep key, which
        // sysfs takes from the attribute's (static) address.
        let mut raw: bindings::device_attribute = unsafe { core::mem::zeroed() };
        raw.attr.name = name.as_char_ptr();
        raw.attr.mode = 0o444;
        raw.show = Some(show_attribute::<A>);
        DiskAttribute {
            raw,
            show: Show::Format(show),
            store: None,
            visible: |_| true,
        }
    }

    /// Read-only attribute `name`, whose contents `show` writes or whose
    /// `read` fails with `show`'s error; always present.
    pub const fn fallible(name: &'static CStr, show: fn(&A, &mut SysfsBuf<'_>) -> Result) -> Self {
        let mut attr = Self::new(name, |_, _| Err(fmt::Error));
        attr.show = Show::Fallible(show);
        attr
    }

    /// Read-write (0644) attribute `name`: `show` writes its contents,
    /// `store` gets what was written (at most a page), its error the
    /// `write`'s; always present.
    pub const fn read_write(
        name: &'static CStr,
        show: fn(&A, &mut SysfsBuf<'_>) -> fmt::Result,
        store: fn(&A, &[u8]) -> Result,
    ) -> Self {
        let mut attr = Self::new(name, show);
        attr.raw.attr.mode = 0o644;
        attr.raw.store = Some(store_attribute::<A>);
        attr.store = Some(store);
        attr
    }

    /// The attribute, present only on disks whose data `visible` accepts
    /// when the disk is added (C's `is_visible`).
    pub const fn visible_if(mut self, visible: fn(&A) -> bool) -> Self {
        self.visible = visible;
        self
    }
}

/// Attributes `list` of a disk, shown from `data`.
pub struct DiskAttributes<A: Send + Sync + 'static> {
    /// The attributes.
    pub list: &'static [DiskAttribute<A>],
    /// What they show.
    pub data: Arc<A>,
}

/// A disk's attribute group as sysfs takes it, with the data it is shown
/// from, kept by the disk until it is freed.
///
/// # Invariants
///
/// `data` is an `Arc<A>` from `into_foreign` that `drop_data` (made for
/// that `A`) reclaims; each pointer in `attrs` but the last, null one, is
/// the `attr` of a static `DiskAttribute<A>`; `group.is_visible` is
/// `is_visible::<A>`. Once the table is at its final address,
/// [`Table::groups`] points `groups` at `group` and `group.attrs` at
/// `attrs`.
pub(super) struct Table {
    data: *const kernel::ffi::c_void,
    drop_data: unsafe fn(*const kernel::ffi::c_void),
    attrs: KVec<*const bindings::attribute>,
    group: bindings::attribute_group,
    groups: [*const bindings::attribute_group; 2],
}

/// # Safety
///
/// `data` came from `Arc::<A>::into_foreign` and is not used afterwards.
unsafe fn drop_arc<A: Send + Sync + 'static>(data: *const kernel::ffi::c_void) {
    // SAFETY: as the caller promises.
    drop(unsafe { Arc::<A>::from_foreign(data) });
}

impl Table {
    /// The table of `attributes`.
    pub(super) fn new<A: Send + Sync + 'static>(attributes: DiskAttributes<A>) -> Result<Self> {
        let mut attrs = KVec::with_capacity(attributes.list.len() + 1, GFP_KERNEL)?;
        for attr in attributes.list {
            attrs.push(&attr.raw.attr as *const bindings::attribute, GFP_KERNEL)?;
        }
        attrs.push(core::ptr::null(), GFP_KERNEL)?;
        // SAFETY: zero is none for every field.
        let mut group: bindings::attribute_group = unsafe { core::mem::zeroed() };
        group.is_visible = Some(is_visible::<A>);
        // INVARIANT: the data is an `Arc<A>` reclaimed by `drop_arc::<A>`;
        // the pointers are the list's attributes, then null.
        Ok(Table {
            data: attributes.data.into_foreign(),
            drop_data: drop_arc::<A>,
            attrs,
            group,
            groups: [core::ptr::null(); 2],
        })
    }

    /// The null-terminated group list for `device_add_disk`, valid while
    /// the table stays where it is.
    pub(super) fn groups(&mut self) -> *const *const bindings::attribute_group {
        self.group.attrs = self.attrs.as_mut_ptr().cast();
        self.groups[0] = &self.group;
        self.groups.as_ptr()
    }

    /// The data the attributes are shown from.
    pub(super) fn data(&self) -> *const kernel::ffi::c_void {
        self.data
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: `data` and `drop_data` match (type invariant), and the
        // table, the only user, goes now.
        unsafe { (self.drop_data)(self.data) };
    }
}

/// The data of the disk whose device is `dev`.
///
/// # Safety
///
/// `dev` is the device of a disk made by `Disk::add` with attributes of
/// data `A`, and the disk is not freed during `'a`.
unsafe fn disk_data<'a, A: Send + Sync + 'static>(dev: *mut bindings::device) -> ArcBorrow<'a, A> {
    // SAFETY: as the caller promises, `dev` is a disk's device, that of its
    // whole-disk block device (`part0->bd_device`, C `dev_to_disk`), and the
    // disk and its hook are alive, its table holding an `Arc<A>` for as long.
    unsafe {
        let bdev = kernel::container_of!(dev, bindings::block_device, bd_device);
        let data = super::disk::attribute_data((*bdev).bd_disk);
        <Arc<A> as ForeignOwnable>::borrow(data)
    }
}

/// # Safety
///
/// Called by sysfs for an attribute made by [`DiskAttribute::new`] on a
/// disk made by `Disk::add` with attributes of data `A`, with a page.
unsafe extern "C" fn show_attribute<A: Send + Sync + 'static>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut kernel::ffi::c_char,
) -> isize {
    // SAFETY: `attr` is the first field of a `#[repr(C)] DiskAttribute<A>`.
    let attr = unsafe { &*attr.cast::<DiskAttribute<A>>() };
    // SAFETY: `del_gendisk` removes the attributes, waiting for running
    // `show` calls, before the disk (and its data) can be freed.
    let data = unsafe { disk_data::<A>(dev) };
    // SAFETY: sysfs hands a page for this call alone.
    let mut out = unsafe { SysfsBuf::from_page(buf) };
    let shown = match attr.show {
        Show::Format(show) => show(&data, &mut out).map_err(|_| EINVAL),
        Show::Fallible(show) => show(&data, &mut out),
    };
    match shown {
        Ok(()) => out.len() as isize,
        Err(err) => err.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by sysfs for an attribute made by [`DiskAttribute::read_write`]
/// on a disk made by `Disk::add` with attributes of data `A`, with `count`
/// bytes at `buf`.
unsafe extern "C" fn store_attribute<A: Send + Sync + 'static>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const kernel::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: `attr` is the first field of a `#[repr(C)] DiskAttribute<A>`.
    let attr = unsafe { &*attr.cast::<DiskAttribute<A>>() };
    // SAFETY: `del_gendisk` removes the attributes, waiting for running
    // `store` calls, before the disk (and its data) can be freed.
    let data = unsafe { disk_data::<A>(dev) };
    // SAFETY: sysfs hands `count` (at most a page) readable bytes.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
    match attr.store.map(|store| store(&data, input)) {
        Some(Ok(())) => count as isize,
        Some(Err(err)) => err.to_errno() as isize,
        None => EINVAL.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by sysfs, while `device_add_disk` adds a disk made by `Disk::add`
/// with attributes of data `A`, for each of them.
unsafe extern "C" fn is_visible<A: Send + Sync + 'static>(
    kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    _n: kernel::ffi::c_int,
) -> bindings::umode_t {
    // SAFETY: `attr` is the first field of a `device_attribute`, itself the
    // first field of a `#[repr(C)] DiskAttribute<A>`.
    let attr = unsafe { &*attr.cast::<DiskAttribute<A>>() };
    // SAFETY: the disk is being added, so it is alive; its device embeds
    // `kobj` (C `kobj_to_dev`).
    let data = unsafe {
        let dev = kernel::container_of!(kobj, bindings::device, kobj);
        disk_data::<A>(dev.cast_mut())
    };
    if (attr.visible)(&data) {
        attr.raw.attr.mode
    } else {
        0
    }
}
