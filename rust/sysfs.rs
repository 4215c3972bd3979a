// SPDX-License-Identifier: GPL-2.0

//! sysfs: attributes of devices (read by a `show` function into a
//! [`SysfsBuf`], or written to a `store` one) and symbolic links between
//! device directories.
//!
//! C headers: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h),
//! [`include/linux/device.h`](srctree/include/linux/device.h)

use super::{bindings, device};
use core::{fmt, ptr::NonNull};
use kernel::{error::to_result, prelude::*, str::CStr};

/// The buffer a sysfs attribute is shown into: one page.
pub struct SysfsBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SysfsBuf<'a> {
    /// An empty buffer over the page sysfs hands a `show` callback.
    ///
    /// # Safety
    ///
    /// `page` points to a writable page (4096 bytes) that nothing else uses
    /// for `'a`.
    pub(crate) unsafe fn from_page(page: *mut kernel::ffi::c_char) -> Self {
        // SAFETY: the caller hands a writable page for `'a`.
        let buf = unsafe { core::slice::from_raw_parts_mut(page.cast::<u8>(), 4096) };
        SysfsBuf { buf, len: 0 }
    }

    /// Bytes written so far: what `show` returns.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl fmt::Write for SysfsBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A sysfs attribute of devices whose drvdata is a `D`: read-only and
/// shown by a function, write-only and acted on by one, or both.
/// Character device nodes take them
/// ([`crate::kernel_ext::chrdev::Node::add`]), their data as drvdata; an
/// attribute with a visibility test is left out of a node whose data
/// fails it (C's `is_visible`, asked once, when the node is added).
#[repr(C)]
pub struct Attribute<D: 'static> {
    raw: bindings::device_attribute,
    show: Option<fn(&D, &mut SysfsBuf<'_>) -> fmt::Result>,
    store: Option<fn(&D, &[u8]) -> Result>,
    visible: Option<fn(&D) -> bool>,
}

// SAFETY: never written after construction; `D` is only read through `&D`.
unsafe impl<D> Sync for Attribute<D> {}

/// A `device_attribute` named `name` with file mode `mode` and no methods.
const fn raw_attribute(name: &'static CStr, mode: u16) -> bindings::device_attribute {
    // SAFETY: zero is none for every pointer and the lockdep key, which the
    // sysfs code takes from the attribute's (static) address.
    let mut raw: bindings::device_attribute = unsafe { core::mem::zeroed() };
    raw.attr.name = name.as_char_ptr();
    raw.attr.mode = mode;
    raw
}

impl<D: 'static> Attribute<D> {
    /// A read-only (0444) attribute `name` whose contents `show` writes.
    pub const fn new(name: &'static CStr, show: fn(&D, &mut SysfsBuf<'_>) -> fmt::Result) -> Self {
        let mut raw = raw_attribute(name, 0o444);
        raw.show = Some(show_attribute::<D>);
        Attribute {
            raw,
            show: Some(show),
            store: None,
            visible: None,
        }
    }

    /// A read-write (0644) attribute `name`: `show` writes its contents,
    /// `store` gets what was written (at most a page), its error the
    /// `write`'s.
    pub const fn read_write(
        name: &'static CStr,
        show: fn(&D, &mut SysfsBuf<'_>) -> fmt::Result,
        store: fn(&D, &[u8]) -> Result,
    ) -> Self {
        let mut raw = raw_attribute(name, 0o644);
        raw.show = Some(show_attribute::<D>);
        raw.store = Some(store_attribute::<D>);
        Attribute {
            raw,
            show: Some(show),
            store: Some(store),
            visible: None,
        }
    }

    /// The attribute, present only on nodes whose data `visible` accepts.
    pub const fn visible_if(mut self, visible: fn(&D) -> bool) -> Self {
        self.visible = Some(visible);
        self
    }

    /// Whether a node with `data` has this attribute.
    pub(crate) fn is_visible(&self, data: &D) -> bool {
        self.visible.map_or(true, |visible| visible(data))
    }

    /// A write-only (0200) attribute `name`: `store` gets what was written
    /// (at most a page); its error, if any, is the `write`'s.
    pub const fn write_only(name: &'static CStr, store: fn(&D, &[u8]) -> Result) -> Self {
        let mut raw = raw_attribute(name, 0o200);
        raw.store = Some(store_attribute::<D>);
        Attribute {
            raw,
            show: None,
            store: Some(store),
            visible: None,
        }
    }

    /// The attribute as sysfs takes it, in an attribute group.
    pub(crate) fn as_raw(&self) -> *const bindings::attribute {
        &self.raw.attr
    }
}

/// # Safety
///
/// Called by sysfs for an attribute made by [`Attribute::new`] on a device
/// whose drvdata is a `D`, with a page-sized buffer.
unsafe extern "C" fn show_attribute<D: 'static>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut kernel::ffi::c_char,
) -> isize {
    // SAFETY: `attr` is the first field of a `#[repr(C)] Attribute<D>`.
    let attr = unsafe { &*attr.cast::<Attribute<D>>() };
    // SAFETY: the device is valid during the call, and its drvdata (the
    // field C `dev_get_drvdata` reads) is its `D`, alive while its
    // attributes exist: device_del removes them, waiting for running `show`
    // calls, before the data can go.
    let data = unsafe { &*(*dev).driver_data.cast::<D>() };
    // SAFETY: sysfs hands a page for this call alone.
    let mut out = unsafe { SysfsBuf::from_page(buf) };
    match attr.show.map(|show| show(data, &mut out)) {
        Some(Ok(())) => out.len() as isize,
        _ => EINVAL.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by sysfs for an attribute made by [`Attribute::write_only`] on a
/// device whose drvdata is a `D`, with `count` bytes at `buf`.
unsafe extern "C" fn store_attribute<D: 'static>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const kernel::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: `attr` is the first field of a `#[repr(C)] Attribute<D>`.
    let attr = unsafe { &*attr.cast::<Attribute<D>>() };
    // SAFETY: as in `show_attribute`: device_del waits for running `store`
    // calls before the data can go.
    let data = unsafe { &*(*dev).driver_data.cast::<D>() };
    // SAFETY: sysfs hands `count` (at most a page) readable bytes.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
    match attr.store.map(|store| store(data, input)) {
        Some(Ok(())) => count as isize,
        Some(Err(err)) => err.to_errno() as isize,
        None => EINVAL.to_errno() as isize,
    }
}

/// What a sysfs boolean written as `input` means, by C's `kstrtobool`
/// (`1`, `y`, `t`, `on` and `0`, `n`, `f`, `off`, any case); `EINVAL`
/// for anything else.
pub fn parse_bool(input: &[u8]) -> Result<bool> {
    // `kstrtobool` reads at most two characters, up to a NUL.
    let mut text = [0u8; 3];
    let len = input.len().min(2);
    text[..len].copy_from_slice(&input[..len]);
    let mut value = false;
    // SAFETY: `text` is NUL-terminated and outlives the call; `value` is
    // a valid out-pointer.
    to_result(unsafe { bindings::kstrtobool(text.as_ptr().cast(), &mut value) })?;
    Ok(value)
}

/// A sysfs symbolic link in a device's directory, removed when dropped.
///
/// # Invariants
///
/// `dev` holds a reference to a device with link `name` in its directory.
pub struct Link {
    dev: NonNull<bindings::device>,
    name: kernel::str::CString,
}

// SAFETY: removing the link and dropping the reference work from any thread.
unsafe impl Send for Link {}
// SAFETY: no method uses `&Link`.
unsafe impl Sync for Link {}

impl Link {
    /// Links `target` into `dev`'s sysfs directory as `target`'s name,
    /// until the returned value is dropped.
    pub fn new(dev: &device::Device, target: &device::Device) -> Result<Self> {
        let name = kernel::str::CString::try_from_fmt(kernel::fmt!("{}", target.name()))?;
        let dev = dev.as_raw();
        // SAFETY: both devices are initialised (invariant of `Device`),
        // which is all `sysfs_create_link` needs: it fails for a device
        // without a sysfs directory. The name is a C string.
        to_result(unsafe {
            bindings::nvme_rs_sysfs_create_link(dev, target.as_raw(), name.as_char_ptr())
        })?;
        // SAFETY: the device is initialised; the reference keeps it for `Link`.
        unsafe { bindings::get_device(dev) };
        // INVARIANT: link made, reference taken.
        Ok(Link {
            // SAFETY: a registered device is not null.
            dev: unsafe { NonNull::new_unchecked(dev) },
            name,
        })
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // SAFETY: the link exists and `dev` is referenced (type invariant).
        unsafe {
            bindings::nvme_rs_sysfs_remove_link(self.dev.as_ptr(), self.name.as_char_ptr());
            bindings::put_device(self.dev.as_ptr());
        }
    }
}
