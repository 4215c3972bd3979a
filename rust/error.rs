// SPDX-License-Identifier: GPL-2.0

//! Error codes the driver needs that 6.12's `kernel::error::code` lacks.
//!
//! C header: [`include/uapi/asm-generic/errno.h`](srctree/include/uapi/asm-generic/errno.h)

use super::bindings;
use kernel::error::Error;

/// `ETIMEDOUT`: the device did not answer in time.
pub fn etimedout() -> Error {
    Error::from_errno(-(bindings::ETIMEDOUT as i32))
}

/// `EOPNOTSUPP`: the operation is not supported.
pub fn eopnotsupp() -> Error {
    Error::from_errno(-(bindings::EOPNOTSUPP as i32))
}
