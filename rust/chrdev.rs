// SPDX-License-Identifier: GPL-2.0

//! Character devices: a device class with its range of device numbers, and
//! nodes in it (`/dev/nvme0`, `/dev/ng0n1`) whose file operations and sysfs
//! attributes reach the driver's data for the node.
//!
//! C headers: [`include/linux/cdev.h`](srctree/include/linux/cdev.h),
//! [`include/linux/device/class.h`](srctree/include/linux/device/class.h)

pub use super::sysfs::SysfsBuf;
use super::uring::{IssueFlags, Queued, UringCmd};
use super::{bindings, device};
use core::sync::atomic::{AtomicU32, Ordering};
use core::{cell::UnsafeCell, fmt, marker::PhantomData, mem::offset_of, ptr::NonNull};
use kernel::{error::to_result, prelude::*, str::CStr, types::Opaque};

extern "C" {
    /// This module (`THIS_MODULE`), defined by modpost's generated code.
    static __this_module: Opaque<u8>;
}

/// A device class, the character device numbers of its nodes and their
/// file operations `T`, meant to be a `static` registered while the module
/// is loaded.
///
/// The file operations live here, not in a constant, because their
/// `owner` (this module) is only known at run time: every open file holds
/// a reference on the module through it until the VFS is done with the
/// table (`fops_put` comes last in `__fput`, after the character device's
/// own module reference is gone).
///
/// # Invariants
///
/// `base` is the first device number of a region of `minors` numbers
/// while the class is registered ([`ClassRegistration`] exists), 0 when not.
/// `fops.owner` is this module from `register` on.
pub struct CharClass<T: FileOps> {
    class: UnsafeCell<bindings::class>,
    fops: UnsafeCell<bindings::file_operations>,
    name: &'static CStr,
    minors: u32,
    base: AtomicU32,
    _ops: PhantomData<T>,
}

// SAFETY: the class and the file operations are only written by
// `register`, before either is visible to anyone, and by the C class code,
// which locks itself.
unsafe impl<T: FileOps> Sync for CharClass<T> {}

impl<T: FileOps> CharClass<T> {
    /// A class named `name` (`/sys/class/<name>`) with room for `minors`
    /// nodes.
    pub const fn new(name: &'static CStr, minors: u32) -> Self {
        // SAFETY: all fields of `struct class` are pointers, optional
        // function pointers or integers, for which zero means none.
        let mut class: bindings::class = unsafe { core::mem::zeroed() };
        class.name = name.as_char_ptr();
        CharClass {
            class: UnsafeCell::new(class),
            fops: UnsafeCell::new(FopsTable::<T>::FOPS),
            name,
            minors,
            base: AtomicU32::new(0),
            _ops: PhantomData,
        }
    }

    /// Allocates the device numbers and registers the class until the
    /// returned value is dropped. A class of 0 minors has nodes in sysfs
    /// only, without device numbers.
    pub fn register(&'static self) -> Result<ClassRegistration> {
        // SAFETY: no node exists yet, so nothing reads the table; the
        // module outlives every file of its nodes (see the type's docs).
        unsafe { (*self.fops.get()).owner = __this_module.get().cast() };
        let registration = ClassRegistration {
            class: self.class.get(),
            base: &self.base,
            minors: self.minors,
        };
        if self.minors == 0 {
            // SAFETY: the class is static and initialised, and not registered.
            to_result(unsafe { bindings::class_register(self.class.get()) })?;
            return Ok(registration);
        }
        let mut base = 0u32;
        // SAFETY: `base` is valid for writes; the name outlives the region.
        to_result(unsafe {
            bindings::alloc_chrdev_region(&mut base, 0, self.minors, self.name.as_char_ptr())
        })?;
        // SAFETY: the class is static and initialised, and not registered.
        if let Err(err) = to_result(unsafe { bindings::class_register(self.class.get()) }) {
            // SAFETY: the region was allocated just above.
            unsafe { bindings::unregister_chrdev_region(base, self.minors) };
            return Err(err);
        }
        // INVARIANT: region allocated, class registered.
        self.base.store(base, Ordering::Release);
        Ok(registration)
    }

    fn devt(&self, minor: u32) -> Result<u32> {
        if self.minors == 0 {
            return Ok(0);
        }
        let base = self.base.load(Ordering::Acquire);
        if base == 0 || minor >= self.minors {
            return Err(EINVAL);
        }
        // SAFETY: pure arithmetic on device numbers.
        Ok(unsafe { bindings::nvme_rs_mkdev(bindings::nvme_rs_major(base), minor) })
    }
}

/// A registered [`CharClass`]; unregisters it when dropped. Every node of
/// the class is gone by then: each holds a module reference while a file
/// is open, and the driver removes its nodes before the module exits.
///
/// # Invariants
///
/// `class` is a registered static class whose region of `minors` numbers
/// (none if 0) starts at `base`.
pub struct ClassRegistration {
    class: *mut bindings::class,
    base: &'static AtomicU32,
    minors: u32,
}

// SAFETY: unregistering works from any thread.
unsafe impl Send for ClassRegistration {}
// SAFETY: no method uses `&ClassRegistration`.
unsafe impl Sync for ClassRegistration {}

impl Drop for ClassRegistration {
    fn drop(&mut self) {
        let base = self.base.swap(0, Ordering::AcqRel);
        // SAFETY: registered (type invariant), with `base` unless the class
        // has no device numbers.
        unsafe {
            bindings::class_unregister(self.class);
            if self.minors != 0 {
                bindings::unregister_chrdev_region(base, self.minors);
            }
        }
    }
}

/// An open file of a node, as the file operations see it.
pub struct File<'a>(NonNull<bindings::file>, PhantomData<&'a ()>);

impl File<'_> {
    /// Whether the file was opened for writing.
    pub fn is_writable(&self) -> bool {
        // SAFETY: the file is valid during the file operation.
        unsafe { bindings::nvme_rs_file_writable(self.0.as_ptr()) }
    }
}

/// Whether the calling task has `CAP_SYS_ADMIN` (checked, and audited, as
/// C's `capable`).
pub fn capable_sys_admin() -> bool {
    // SAFETY: no preconditions; runs in the calling task.
    unsafe { bindings::nvme_rs_capable_sys_admin() }
}

/// The file operations of a kind of node.
pub trait FileOps: Sized + Send + Sync + 'static {
    /// The data of each node, shared by its open files and attributes.
    type Data: Send + Sync;

    /// Whether io_uring may poll for completions (`IORING_SETUP_IOPOLL`).
    const IOPOLL: bool;

    /// An ioctl; the returned value reaches the caller.
    fn ioctl(data: &Self::Data, file: &File<'_>, cmd: u32, arg: usize) -> Result<i32>;

    /// An io_uring command. To succeed it must complete the command or
    /// hand it to something that will ([`Queued`] proves one or the other).
    fn uring_cmd(data: &Self::Data, cmd: UringCmd, flags: IssueFlags) -> Result<Queued>;
}

/// File operations for nodes that have none: sysfs-only devices of a class
/// without device numbers.
pub struct NoFileOps<D>(PhantomData<D>);

impl<D: Send + Sync + 'static> FileOps for NoFileOps<D> {
    type Data = D;
    const IOPOLL: bool = false;

    fn ioctl(_: &D, _: &File<'_>, _: u32, _: usize) -> Result<i32> {
        Err(ENOTTY)
    }

    fn uring_cmd(_: &D, _: UringCmd, _: IssueFlags) -> Result<Queued> {
        Err(ENOTTY)
    }
}

/// A sysfs symbolic link in a node's directory, removed when dropped.
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

impl Drop for Link {
    fn drop(&mut self) {
        // SAFETY: the link exists and `dev` is referenced (type invariant).
        unsafe {
            bindings::nvme_rs_sysfs_remove_link(self.dev.as_ptr(), self.name.as_char_ptr());
            bindings::put_device(self.dev.as_ptr());
        }
    }
}

/// A sysfs attribute of nodes whose data is `D`: read-only and shown by a
/// function, or write-only and acted on by one.
#[repr(C)]
pub struct Attribute<D: 'static> {
    raw: bindings::device_attribute,
    show: Option<fn(&D, &mut SysfsBuf<'_>) -> fmt::Result>,
    store: Option<fn(&D, &[u8]) -> Result>,
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
        }
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
        }
    }
}

/// # Safety
///
/// Called by sysfs for an attribute made by [`Attribute::new`] on a node
/// whose data is a `D` (its drvdata), with a page-sized buffer.
unsafe extern "C" fn show_attribute<D: 'static>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut kernel::ffi::c_char,
) -> isize {
    // SAFETY: `attr` is the first field of a `#[repr(C)] Attribute<D>`.
    let attr = unsafe { &*attr.cast::<Attribute<D>>() };
    // SAFETY: the node's drvdata is its `D`, alive while its attributes
    // exist: device_del removes them, waiting for running `show` calls,
    // before the data can go.
    let data = unsafe { &*bindings::nvme_rs_dev_get_drvdata(dev).cast::<D>() };
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
/// node whose data is a `D`, with `count` bytes at `buf`.
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
    let data = unsafe { &*bindings::nvme_rs_dev_get_drvdata(dev).cast::<D>() };
    // SAFETY: sysfs hands `count` (at most a page) readable bytes.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
    match attr.store.map(|store| store(data, input)) {
        Some(Ok(())) => count as isize,
        Some(Err(err)) => err.to_errno() as isize,
        None => EINVAL.to_errno() as isize,
    }
}

/// The memory of a node: its device, character device and data, freed by
/// the device's release callback once nothing refers to it.
#[repr(C)]
struct Inner<T: FileOps> {
    dev: Opaque<bindings::device>,
    cdev: Opaque<bindings::cdev>,
    data: T::Data,
    attrs: KVec<*const bindings::attribute>,
    group: bindings::attribute_group,
    groups: [*const bindings::attribute_group; 2],
}

/// A node of a [`CharClass`] in `/dev` and sysfs, removed when dropped.
///
/// # Invariants
///
/// `inner` was initialised and added with `cdev_device_add`, and holds the
/// reference `Drop` gives up. Open files keep the memory (not the node)
/// alive through the character device's reference to its parent device.
pub struct Node<T: FileOps> {
    inner: NonNull<Inner<T>>,
}

// SAFETY: dropping (from any thread) only calls thread-safe C functions;
// the data is `Send + Sync`.
unsafe impl<T: FileOps> Send for Node<T> {}
// SAFETY: `&Node` gives only `&T::Data`, which is `Sync`.
unsafe impl<T: FileOps> Sync for Node<T> {}

impl<T: FileOps> Node<T> {
    /// Adds node `minor` of `class`, named `name`, under `parent`, with
    /// `data` and the read-only sysfs attributes `attrs`.
    pub fn add(
        class: &'static CharClass<T>,
        minor: u32,
        parent: Option<&device::Device>,
        name: fmt::Arguments<'_>,
        data: T::Data,
        attrs: &'static [Attribute<T::Data>],
    ) -> Result<Self> {
        let devt = class.devt(minor)?;
        let name = kernel::str::CString::try_from_fmt(name)?;
        let mut ptrs = KVec::with_capacity(attrs.len() + 1, GFP_KERNEL)?;
        for attr in attrs {
            ptrs.push(&attr.raw.attr as *const bindings::attribute, GFP_KERNEL)?;
        }
        ptrs.push(core::ptr::null(), GFP_KERNEL)?;
        let inner = KBox::new(
            Inner::<T> {
                dev: Opaque::uninit(),
                cdev: Opaque::uninit(),
                data,
                attrs: ptrs,
                // SAFETY: zero is none for every field.
                group: unsafe { core::mem::zeroed() },
                groups: [core::ptr::null(); 2],
            },
            GFP_KERNEL,
        )?;
        let inner = KBox::into_raw(inner);
        // SAFETY: `inner` is a valid, exclusively owned allocation. From
        // `device_initialize` on, the device's reference owns it: the
        // release callback frees it.
        unsafe {
            (*inner).group.attrs = (*inner).attrs.as_mut_ptr().cast();
            (*inner).groups[0] = &(*inner).group;
            let dev = (*inner).dev.get();
            core::ptr::write_bytes(dev, 0, 1);
            bindings::device_initialize(dev);
            (*dev).devt = devt;
            (*dev).class = class.class.get();
            (*dev).parent = parent.map_or(core::ptr::null_mut(), |p| p.as_raw());
            (*dev).release = Some(Self::release);
            (*dev).groups = (*inner).groups.as_ptr().cast_mut();
            bindings::nvme_rs_dev_set_drvdata(dev, (&raw const (*inner).data).cast_mut().cast());
            let cdev = (*inner).cdev.get();
            core::ptr::write_bytes(cdev, 0, 1);
            bindings::cdev_init(cdev, class.fops.get());
            (*cdev).owner = __this_module.get().cast();
        }
        // SAFETY: the device is initialised; the format takes one string.
        let named = to_result(unsafe {
            bindings::dev_set_name(
                (*inner).dev.get(),
                c"%s".as_ptr().cast(),
                name.as_char_ptr(),
            )
        });
        let added = named.and_then(|()| {
            // SAFETY: both are initialised, and the device is named.
            to_result(unsafe { bindings::cdev_device_add((*inner).cdev.get(), (*inner).dev.get()) })
        });
        if let Err(err) = added {
            // SAFETY: dropping the initial reference runs `release`.
            unsafe { bindings::put_device((*inner).dev.get()) };
            return Err(err);
        }
        // INVARIANT: added; the initial reference is ours.
        Ok(Node {
            // SAFETY: `into_raw` never returns null.
            inner: unsafe { NonNull::new_unchecked(inner) },
        })
    }

    /// Links `target` into this node's sysfs directory as `target`'s name,
    /// until the returned value is dropped.
    pub fn link(&self, target: &device::Device) -> Result<Link> {
        let name = kernel::str::CString::try_from_fmt(kernel::fmt!("{}", target.name()))?;
        let dev = self.as_dev().as_raw();
        // SAFETY: both devices are registered; the name is a C string.
        to_result(unsafe {
            bindings::nvme_rs_sysfs_create_link(dev, target.as_raw(), name.as_char_ptr())
        })?;
        // SAFETY: the device is registered; the reference keeps it for `Link`.
        unsafe { bindings::get_device(dev) };
        // INVARIANT: link made, reference taken.
        Ok(Link {
            // SAFETY: a registered device is not null.
            dev: unsafe { NonNull::new_unchecked(dev) },
            name,
        })
    }

    /// The node's device, as a parent for other devices.
    pub fn as_dev(&self) -> &device::Device {
        // SAFETY: the device is registered while `self` exists.
        unsafe { device::Device::from_raw((*self.inner.as_ptr()).dev.get()) }
    }

    /// # Safety
    ///
    /// Called by the device core once the last reference to a node's
    /// device is gone.
    unsafe extern "C" fn release(dev: *mut bindings::device) {
        // SAFETY: `dev` is the first field of a boxed `Inner<T>`.
        drop(unsafe { KBox::from_raw(dev.cast::<Inner<T>>()) });
    }

    /// The node's data, from a file's character device.
    ///
    /// # Safety
    ///
    /// `cdev` must be the character device of a live `Inner<T>`.
    unsafe fn data_of<'a>(cdev: *mut bindings::cdev) -> &'a T::Data {
        // SAFETY: `cdev` is embedded in an `Inner<T>` at this offset.
        let inner = unsafe { cdev.byte_sub(offset_of!(Inner<T>, cdev)).cast::<Inner<T>>() };
        // SAFETY: as promised by the caller.
        unsafe { &(*inner).data }
    }

    /// # Safety
    ///
    /// Called by the VFS for an open file of one of these nodes.
    unsafe extern "C" fn ioctl(
        file: *mut bindings::file,
        cmd: kernel::ffi::c_uint,
        arg: kernel::ffi::c_ulong,
    ) -> kernel::ffi::c_long {
        // SAFETY: an open file of a node keeps its memory alive (type
        // invariant of `Node`), and its inode's cdev is the node's.
        let data = unsafe { Self::data_of(bindings::nvme_rs_file_cdev(file)) };
        // SAFETY: `file` is valid and non-null during the call.
        let file = File(unsafe { NonNull::new_unchecked(file) }, PhantomData);
        match T::ioctl(data, &file, cmd, arg) {
            Ok(value) => value as kernel::ffi::c_long,
            Err(err) => err.to_errno() as kernel::ffi::c_long,
        }
    }

    /// # Safety
    ///
    /// Called by io_uring for a command on an open file of one of these nodes.
    unsafe extern "C" fn uring_cmd(
        cmd: *mut bindings::io_uring_cmd,
        issue_flags: kernel::ffi::c_uint,
    ) -> kernel::ffi::c_int {
        // SAFETY: as in `ioctl`; the command's file is open.
        let data = unsafe { Self::data_of(bindings::nvme_rs_uring_cmd_cdev(cmd)) };
        // SAFETY: io_uring hands over a valid command until it is completed.
        let cmd = unsafe { UringCmd::from_raw(cmd) };
        match T::uring_cmd(data, cmd, IssueFlags::from_raw(issue_flags)) {
            Ok(Queued(())) => -(bindings::NVME_RS_EIOCBQUEUED),
            Err(err) => err.to_errno(),
        }
    }
}

struct FopsTable<T: FileOps>(PhantomData<T>);

impl<T: FileOps> FopsTable<T> {
    // `owner` is set when the class is registered (`CharClass::register`).
    const FOPS: bindings::file_operations = bindings::file_operations {
        unlocked_ioctl: Some(Node::<T>::ioctl),
        uring_cmd: Some(Node::<T>::uring_cmd),
        uring_cmd_iopoll: if T::IOPOLL {
            Some(super::uring::iopoll)
        } else {
            None
        },
        // SAFETY: every other entry is an optional function pointer or
        // integer, for which zero means none.
        ..unsafe { core::mem::zeroed() }
    };
}

impl<T: FileOps> Drop for Node<T> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: added (type invariant). Removing the node stops new opens
        // and removes the attributes (waiting for running `show` calls);
        // dropping our reference frees the memory once open files close.
        unsafe {
            bindings::cdev_device_del((*inner).cdev.get(), (*inner).dev.get());
            bindings::put_device((*inner).dev.get());
        }
    }
}
