// SPDX-License-Identifier: GPL-2.0

//! A reference-counted value set once, after its holder was created, and
//! read without a lock from any context, hard interrupt handlers included:
//! for a handler registered before what it reports to exists.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::sync::{Arc, ArcBorrow};

/// An [`Arc<T>`] stored at most once.
///
/// # Invariants
///
/// `ptr` is null or came from [`Arc::into_raw`], and that reference is
/// owned by this value until it is dropped; it never changes once non-null.
pub struct SetOnce<T> {
    ptr: AtomicPtr<T>,
    _owns: PhantomData<Arc<T>>,
}

// SAFETY: the value holds an `Arc<T>` and hands out `&T` and clones of the
// `Arc` to any thread, which needs `T: Send + Sync` like `Arc<T>` itself.
unsafe impl<T: Send + Sync> Send for SetOnce<T> {}
// SAFETY: as above; the pointer itself is only touched atomically.
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

impl<T> SetOnce<T> {
    /// Empty.
    pub const fn new() -> Self {
        // INVARIANT: null.
        SetOnce {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// Stores `value`, unless a value was stored before: then `value` is
    /// given back.
    pub fn set(&self, value: Arc<T>) -> Result<(), Arc<T>> {
        let raw = Arc::into_raw(value).cast_mut();
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
        {
            // INVARIANT: the reference `into_raw` gave up is now ours.
            Ok(_) => Ok(()),
            // SAFETY: `raw` came from `into_raw` just above and was not
            // stored, so this takes that reference back.
            Err(_) => Err(unsafe { Arc::from_raw(raw) }),
        }
    }

    /// The stored value, if any.
    pub fn get(&self) -> Option<ArcBorrow<'_, T>> {
        let raw = self.ptr.load(Ordering::Acquire);
        if raw.is_null() {
            return None;
        }
        // SAFETY: by the type invariant a non-null pointer came from
        // `Arc::into_raw` and this value owns that reference until it is
        // dropped, which cannot happen while `self` is borrowed.
        Some(unsafe { ArcBorrow::from_raw(raw) })
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        let raw = *self.ptr.get_mut();
        if !raw.is_null() {
            // SAFETY: by the type invariant this is the reference stored by
            // `set`, given back exactly once here.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}
