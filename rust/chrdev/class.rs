// SPDX-License-Identifier: GPL-2.0

//! Device classes (`/sys/class/<name>`) and the range of character device
//! numbers their nodes take.
//!
//! C headers: [`include/linux/device/class.h`](srctree/include/linux/device/class.h),
//! [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::__this_module;
use super::node::{FileOps, FopsTable};
use crate::kernel_ext::bindings;
use core::sync::atomic::{AtomicU32, Ordering};
use core::{cell::UnsafeCell, marker::PhantomData};
use kernel::{error::to_result, prelude::*, str::CStr};

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

    /// The device number of node `minor`, 0 for a class without numbers.
    pub(super) fn devt(&self, minor: u32) -> Result<u32> {
        if self.minors == 0 {
            return Ok(0);
        }
        let base = self.base.load(Ordering::Acquire);
        if base == 0 || minor >= self.minors {
            return Err(EINVAL);
        }
        // C `MKDEV(MAJOR(base), minor)`: the region starts at minor 0.
        let major = base >> kernel::bindings::MINORBITS;
        Ok((major << kernel::bindings::MINORBITS) | minor)
    }

    /// The class, for its nodes' devices.
    pub(super) fn as_raw(&self) -> *mut bindings::class {
        self.class.get()
    }

    /// The file operations, for its nodes' character devices.
    pub(super) fn fops(&self) -> *const bindings::file_operations {
        self.fops.get()
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
