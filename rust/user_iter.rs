// SPDX-License-Identifier: GPL-2.0

//! User buffers as iterators (`struct iov_iter`), for commands whose data
//! passes through a kernel buffer: plain, vectored, or an io_uring
//! registered buffer.
//!
//! C header: [`include/linux/uio.h`](srctree/include/linux/uio.h)

use super::bindings;
use super::uring::UringCmd;
use core::ptr::NonNull;
use kernel::prelude::*;

/// Which way data moves between the user buffer and the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the user buffer into the kernel.
    FromUser,
    /// From the kernel into the user buffer.
    ToUser,
}

/// An imported user buffer.
///
/// # Invariants
///
/// `it` was made by `nvme_rs_user_iter_new` in direction `dir`, and is
/// freed once, in `Drop`.
pub struct UserIter {
    it: NonNull<bindings::nvme_rs_user_iter>,
    dir: Direction,
}

// SAFETY: the iterator holds user addresses (or an io_uring registered
// buffer's pages, referenced while its command is in flight) and kernel
// memory of its own; nothing in it is tied to the thread that made it.
// Copying through it from another task reaches that task's memory at those
// addresses, or faults (`EFAULT`): a wrong-data bug, never unsafety. Its
// users copy in the issuing task (an io_uring command's task work).
unsafe impl Send for UserIter {}

impl UserIter {
    /// Imports `len` bytes at `addr` (with `vectored`, an array of `len`
    /// iovecs), or with `fixed_from` that command's registered buffer. Bad
    /// addresses fail with `EFAULT`, bad iovec arrays with `EINVAL`.
    pub fn new(
        addr: u64,
        len: u32,
        vectored: bool,
        dir: Direction,
        fixed_from: Option<&UringCmd>,
    ) -> Result<Self> {
        let cmd = fixed_from.map_or(core::ptr::null_mut(), |c| c.as_raw());
        // SAFETY: `cmd` is null or a live command; user addresses are
        // checked by the import.
        let it = unsafe {
            bindings::nvme_rs_user_iter_new(addr, len, vectored, dir == Direction::ToUser, cmd)
        };
        let it = kernel::error::from_err_ptr(it)?;
        // INVARIANT: made just above.
        Ok(UserIter {
            // SAFETY: `from_err_ptr` only passes valid, non-null pointers.
            it: unsafe { NonNull::new_unchecked(it) },
            dir,
        })
    }

    /// Bytes left in the buffer.
    pub fn len(&self) -> usize {
        // SAFETY: valid by the type invariant.
        unsafe { bindings::nvme_rs_user_iter_count(self.it.as_ptr()) }
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from the user buffer; `EFAULT` unless all of it arrives.
    pub fn read_into(&mut self, buf: &mut [u8]) -> Result {
        if self.dir != Direction::FromUser {
            return Err(EINVAL);
        }
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe {
            bindings::nvme_rs_user_iter_copy(self.it.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        };
        if n == buf.len() {
            Ok(())
        } else {
            Err(EFAULT)
        }
    }

    /// Copies `buf` to the user buffer; `EFAULT` unless all of it lands.
    pub fn write_from(&mut self, buf: &[u8]) -> Result {
        if self.dir != Direction::ToUser {
            return Err(EINVAL);
        }
        // SAFETY: `buf` is valid for reads of its length; the helper only
        // reads it in this direction.
        let n = unsafe {
            bindings::nvme_rs_user_iter_copy(
                self.it.as_ptr(),
                buf.as_ptr().cast_mut().cast(),
                buf.len(),
            )
        };
        if n == buf.len() {
            Ok(())
        } else {
            Err(EFAULT)
        }
    }
}

impl Drop for UserIter {
    fn drop(&mut self) {
        // SAFETY: made in `new`, freed only here.
        unsafe { bindings::nvme_rs_user_iter_free(self.it.as_ptr()) };
    }
}
