// SPDX-License-Identifier: GPL-2.0

//! Nodes of a [`CharClass`]: a character device and its device, in `/dev`
//! and sysfs, whose file operations (ioctls, io_uring commands) and sysfs
//! attributes reach the driver's data for the node.
//!
//! C headers: [`include/linux/cdev.h`](srctree/include/linux/cdev.h),
//! [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::__this_module;
use super::class::CharClass;
use crate::kernel_ext::sysfs::{Attribute, Link};
use crate::kernel_ext::uring::{self, IssueFlags, Queued, UringCmd};
use crate::kernel_ext::{bindings, device};
use core::{fmt, marker::PhantomData, mem::offset_of, ptr::NonNull};
use kernel::{error::to_result, prelude::*, types::Opaque};

/// An open file of a node, as the file operations see it.
pub struct File<'a>(NonNull<bindings::file>, PhantomData<&'a ()>);

impl File<'_> {
    /// Whether the file was opened for writing.
    pub fn is_writable(&self) -> bool {
        // SAFETY: the file is valid during the file operation, and its mode
        // fixed at open.
        let mode = unsafe { (*self.0.as_ptr()).f_mode };
        mode & bindings::NVME_RS_FMODE_WRITE != 0
    }
}

/// The character device an open file of a character device node was
/// opened through (C `file_inode(file)->i_cdev`).
///
/// # Safety
///
/// `file` must be an open file of a character device node.
unsafe fn cdev_of(file: *mut bindings::file) -> *mut bindings::cdev {
    // SAFETY: an open file has an inode for as long as it is open, and the
    // inode of a character device node has `i_cdev` set in its union
    // (`chrdev_open`) before any file operation runs. bindgen numbers the
    // inode's anonymous unions; a different layout fails the build.
    unsafe { (*(*file).f_inode).__bindgen_anon_4.i_cdev }
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
    /// `data` and the sysfs attributes of `attrs` visible with it.
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
        for attr in attrs.iter().filter(|attr| attr.is_visible(&data)) {
            ptrs.push(attr.as_raw(), GFP_KERNEL)?;
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
            (*dev).class = class.as_raw();
            (*dev).parent = parent.map_or(core::ptr::null_mut(), |p| p.as_raw());
            (*dev).release = Some(Self::release);
            (*dev).groups = (*inner).groups.as_ptr().cast_mut();
            (*dev).driver_data = (&raw const (*inner).data).cast_mut().cast();
            let cdev = (*inner).cdev.get();
            core::ptr::write_bytes(cdev, 0, 1);
            bindings::cdev_init(cdev, class.fops());
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
        Link::new(self.as_dev(), target)
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
        let data = unsafe { Self::data_of(cdev_of(file)) };
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
        // SAFETY: as in `ioctl`: the command is valid during the call, and
        // its file is an open file of one of these nodes.
        let data = unsafe { Self::data_of(cdev_of((*cmd).file)) };
        // SAFETY: io_uring hands over a valid command until it is completed.
        let cmd = unsafe { UringCmd::from_raw(cmd) };
        match T::uring_cmd(data, cmd, IssueFlags::from_raw(issue_flags)) {
            Ok(Queued(())) => -(bindings::NVME_RS_EIOCBQUEUED),
            Err(err) => err.to_errno(),
        }
    }
}

/// The file operations of nodes with operations `T`, which each
/// [`CharClass`] copies to set their owner.
pub(super) struct FopsTable<T: FileOps>(PhantomData<T>);

impl<T: FileOps> FopsTable<T> {
    // `owner` is set when the class is registered (`CharClass::register`).
    pub(super) const FOPS: bindings::file_operations = bindings::file_operations {
        unlocked_ioctl: Some(Node::<T>::ioctl),
        // As for the disks (`block::disk`): the argument pointer widened,
        // then `ioctl`.
        #[cfg(CONFIG_COMPAT)]
        compat_ioctl: Some(bindings::compat_ptr_ioctl),
        uring_cmd: Some(Node::<T>::uring_cmd),
        uring_cmd_iopoll: if T::IOPOLL { Some(uring::iopoll) } else { None },
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
