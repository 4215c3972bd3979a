// SPDX-License-Identifier: GPL-2.0

//! Error codes the driver needs that 6.12's `kernel::error::code` lacks, and
//! inline forms of the kernel crate's error conversions for calls made on
//! every I/O.
//!
//! C headers: [`include/uapi/asm-generic/errno.h`](srctree/include/uapi/asm-generic/errno.h),
//! [`include/linux/err.h`](srctree/include/linux/err.h)

use super::bindings;
use kernel::error::Error;
use kernel::prelude::*;

/// The largest error number an error pointer carries (C `MAX_ERRNO`).
const MAX_ERRNO: usize = 4095;

/// `ETIMEDOUT`: the device did not answer in time.
pub fn etimedout() -> Error {
    Error::from_errno(-(bindings::ETIMEDOUT as i32))
}

/// `EOPNOTSUPP`: the operation is not supported.
pub fn eopnotsupp() -> Error {
    Error::from_errno(-(bindings::EOPNOTSUPP as i32))
}

/// `kernel::error::to_result`, built into its caller: the kernel crate's is
/// an out-of-line call, which on the per-I/O path costs more than the test.
#[inline]
pub fn to_result(ret: kernel::ffi::c_int) -> Result {
    if ret < 0 {
        Err(Error::from_errno(ret))
    } else {
        Ok(())
    }
}

/// `kernel::error::from_err_ptr`, built into its caller and without the C
/// helper for `IS_ERR`: a pointer in the last `MAX_ERRNO` bytes of the
/// address space is an error number, anything else is returned as it is.
#[inline]
pub fn from_err_ptr<T>(ptr: *mut T) -> Result<*mut T> {
    let addr = ptr as usize;
    if addr >= MAX_ERRNO.wrapping_neg() {
        // In `-MAX_ERRNO..0`, so the conversion keeps the value.
        return Err(Error::from_errno(addr as isize as kernel::ffi::c_int));
    }
    Ok(ptr)
}
