// SPDX-License-Identifier: GPL-2.0

//! Block status codes (`blk_status_t`).
//!
//! C header: [`include/linux/blk_types.h`](srctree/include/linux/blk_types.h)

use crate::kernel_ext::bindings;

/// The outcome of a block request, as the block layer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(bindings::blk_status_t);

impl Status {
    /// Success.
    pub const OK: Status = Status(bindings::NVME_RS_BLK_STS_OK);
    /// The operation is not supported.
    pub const NOT_SUPPORTED: Status = Status(bindings::NVME_RS_BLK_STS_NOTSUPP);
    /// The request timed out.
    pub const TIMEOUT: Status = Status(bindings::NVME_RS_BLK_STS_TIMEOUT);
    /// No space left.
    pub const NO_SPACE: Status = Status(bindings::NVME_RS_BLK_STS_NOSPC);
    /// A transport error; another path might work.
    pub const TRANSPORT: Status = Status(bindings::NVME_RS_BLK_STS_TRANSPORT);
    /// A target error (such as an LBA out of range).
    pub const TARGET: Status = Status(bindings::NVME_RS_BLK_STS_TARGET);
    /// A reservation conflict.
    pub const RESERVATION_CONFLICT: Status = Status(bindings::NVME_RS_BLK_STS_RESV_CONFLICT);
    /// A media error.
    pub const MEDIUM: Status = Status(bindings::NVME_RS_BLK_STS_MEDIUM);
    /// A protection information error.
    pub const PROTECTION: Status = Status(bindings::NVME_RS_BLK_STS_PROTECTION);
    /// Out of a resource for now; the block layer retries later.
    pub const RESOURCE: Status = Status(bindings::NVME_RS_BLK_STS_RESOURCE);
    /// Out of a device resource; the block layer retries when a request
    /// of this device completes.
    pub const DEV_RESOURCE: Status = Status(bindings::NVME_RS_BLK_STS_DEV_RESOURCE);
    /// Would block, for a non-blocking request.
    pub const AGAIN: Status = Status(bindings::NVME_RS_BLK_STS_AGAIN);
    /// Too many open zones.
    pub const ZONE_OPEN_RESOURCE: Status = Status(bindings::NVME_RS_BLK_STS_ZONE_OPEN_RESOURCE);
    /// Too many active zones.
    pub const ZONE_ACTIVE_RESOURCE: Status = Status(bindings::NVME_RS_BLK_STS_ZONE_ACTIVE_RESOURCE);
    /// A generic I/O error.
    pub const IO_ERROR: Status = Status(bindings::NVME_RS_BLK_STS_IOERR);

    pub(crate) fn from_raw(raw: bindings::blk_status_t) -> Self {
        Status(raw)
    }

    /// The errno the block layer reports for this status (0 for success),
    /// as C's `blk_status_to_errno`.
    pub fn to_errno(self) -> i32 {
        // SAFETY: pure lookup.
        unsafe { bindings::blk_status_to_errno(self.0) }
    }

    pub(crate) fn raw(self) -> bindings::blk_status_t {
        self.0
    }

    /// Whether this is success.
    pub fn is_ok(self) -> bool {
        self == Status::OK
    }
}
