// SPDX-License-Identifier: GPL-2.0

//! What a completion status means for the request that carried the command:
//! the block-layer status it ends with, whether it is retried, and what a
//! passthrough caller sees. This mirrors `nvme_error_status`,
//! `nvme_decide_disposition` and `nvme_execute_rq` in
//! `drivers/nvme/host/core.c` (Linux 6.12); the status codes are those of
//! the NVMe Base Specification 2.0, section 4.6.1, and the NVM and Zoned
//! Namespace command set specifications, spelled as C's `NVME_SC_*` in
//! `srctree/include/linux/nvme.h`.

use super::completion::Status;

/// Status codes the mapping distinguishes, as C's `NVME_SC_*` values: Status
/// Code Type in bits 10:8 and Status Code in bits 7:0.
pub mod sc {
    /// Successful Completion.
    pub const SUCCESS: u16 = 0x000;
    /// Invalid Command Opcode.
    pub const INVALID_OPCODE: u16 = 0x001;
    /// Invalid Field in Command.
    pub const INVALID_FIELD: u16 = 0x002;
    /// Invalid Namespace or Format.
    pub const INVALID_NS: u16 = 0x00b;
    /// Command Interrupted.
    pub const CMD_INTERRUPTED: u16 = 0x021;
    /// LBA Out of Range.
    pub const LBA_RANGE: u16 = 0x080;
    /// Capacity Exceeded.
    pub const CAP_EXCEEDED: u16 = 0x081;
    /// Namespace Not Ready.
    pub const NS_NOT_READY: u16 = 0x082;
    /// Reservation Conflict.
    pub const RESERVATION_CONFLICT: u16 = 0x083;
    /// Conflicting Attributes (NVM command set).
    pub const BAD_ATTRIBUTES: u16 = 0x180;
    /// Invalid Protection Information (NVM command set).
    pub const INVALID_PI: u16 = 0x181;
    /// Attempted Write to Read Only Range (NVM command set).
    pub const READ_ONLY: u16 = 0x182;
    /// Command Size Limit Exceeded (NVM command set); older kernels called
    /// this value `NVME_SC_ONCS_NOT_SUPPORTED`.
    pub const CMD_SIZE_LIM_EXCEEDED: u16 = 0x183;
    /// Too Many Active Zones (Zoned Namespace command set).
    pub const ZONE_TOO_MANY_ACTIVE: u16 = 0x1bd;
    /// Too Many Open Zones (Zoned Namespace command set).
    pub const ZONE_TOO_MANY_OPEN: u16 = 0x1be;
    /// Write Fault.
    pub const WRITE_FAULT: u16 = 0x280;
    /// Unrecovered Read Error.
    pub const READ_ERROR: u16 = 0x281;
    /// End-to-end Guard Check Error.
    pub const GUARD_CHECK: u16 = 0x282;
    /// End-to-end Application Tag Check Error.
    pub const APPTAG_CHECK: u16 = 0x283;
    /// End-to-end Reference Tag Check Error.
    pub const REFTAG_CHECK: u16 = 0x284;
    /// Compare Failure.
    pub const COMPARE_FAILED: u16 = 0x285;
    /// Access Denied.
    pub const ACCESS_DENIED: u16 = 0x286;
    /// Deallocated or Unwritten Logical Block.
    pub const UNWRITTEN_BLOCK: u16 = 0x287;
    /// Host Pathing Error.
    pub const HOST_PATH_ERROR: u16 = 0x370;
}

/// Status Code Type and Status Code bits of a status (C `NVME_SCT_SC_MASK`).
const SCT_SC_MASK: u16 = 0x7ff;

/// The block layer's view of an I/O's outcome: a Rust mirror of the
/// `blk_status_t` values the driver completes requests with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockStatus {
    /// `BLK_STS_OK`.
    Ok,
    /// `BLK_STS_NOTSUPP`: the operation is not supported.
    NotSupported,
    /// `BLK_STS_TARGET`: a target error such as an out-of-range LBA.
    Target,
    /// `BLK_STS_NOSPC`: out of space.
    NoSpace,
    /// `BLK_STS_MEDIUM`: a media error.
    Medium,
    /// `BLK_STS_PROTECTION`: a protection information check failed.
    Protection,
    /// `BLK_STS_RESV_CONFLICT`: a reservation conflict.
    ReservationConflict,
    /// `BLK_STS_TRANSPORT`: a path or transport error.
    Transport,
    /// `BLK_STS_ZONE_ACTIVE_RESOURCE`: too many active zones.
    ZoneActiveResource,
    /// `BLK_STS_ZONE_OPEN_RESOURCE`: too many open zones.
    ZoneOpenResource,
    /// `BLK_STS_IOERR`: any other error.
    IoError,
}

impl BlockStatus {
    /// The `blk_status_t` value (`include/linux/blk_types.h`, 6.12).
    pub const fn raw(self) -> u8 {
        match self {
            BlockStatus::Ok => 0,
            BlockStatus::NotSupported => 1,
            BlockStatus::NoSpace => 3,
            BlockStatus::Transport => 4,
            BlockStatus::Target => 5,
            BlockStatus::ReservationConflict => 6,
            BlockStatus::Medium => 7,
            BlockStatus::Protection => 8,
            BlockStatus::IoError => 10,
            BlockStatus::ZoneOpenResource => 14,
            BlockStatus::ZoneActiveResource => 15,
        }
    }
}

/// The block-layer status for a command that completed with `status`,
/// exactly as C's `nvme_error_status` switches on `status & 0x7ff`: the
/// More, Do Not Retry and Command Retry Delay bits do not matter.
///
/// Command Size Limit Exceeded (0x183) is not in the 6.12 switch (it was
/// once misnamed ONCS Not Supported and mapped to `BLK_STS_NOTSUPP`) and so
/// is an I/O error here too.
pub fn block_status(status: Status) -> BlockStatus {
    match status.raw() & SCT_SC_MASK {
        sc::SUCCESS => BlockStatus::Ok,
        sc::CAP_EXCEEDED => BlockStatus::NoSpace,
        sc::LBA_RANGE | sc::CMD_INTERRUPTED | sc::NS_NOT_READY => BlockStatus::Target,
        sc::BAD_ATTRIBUTES | sc::INVALID_OPCODE | sc::INVALID_FIELD | sc::INVALID_NS => {
            BlockStatus::NotSupported
        }
        sc::WRITE_FAULT
        | sc::READ_ERROR
        | sc::UNWRITTEN_BLOCK
        | sc::ACCESS_DENIED
        | sc::READ_ONLY
        | sc::COMPARE_FAILED => BlockStatus::Medium,
        sc::GUARD_CHECK | sc::APPTAG_CHECK | sc::REFTAG_CHECK | sc::INVALID_PI => {
            BlockStatus::Protection
        }
        sc::RESERVATION_CONFLICT => BlockStatus::ReservationConflict,
        sc::HOST_PATH_ERROR => BlockStatus::Transport,
        sc::ZONE_TOO_MANY_ACTIVE => BlockStatus::ZoneActiveResource,
        sc::ZONE_TOO_MANY_OPEN => BlockStatus::ZoneOpenResource,
        _ => BlockStatus::IoError,
    }
}

/// How many times a failed command is retried by default: the C driver's
/// `max_retries` module parameter (`nvme_max_retries`), which nvme-rs has
/// too.
pub const MAX_RETRIES: u8 = 5;

/// What to do with a completed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// End the request with [`block_status`] of its status.
    Complete,
    /// Requeue the request to send the command again.
    Retry,
}

/// What to do with a command that completed with `status` after having been
/// retried `retries` times, as C's `nvme_decide_disposition` without
/// multipath or authentication: complete it when it succeeded, when the
/// status has Do Not Retry set, when the request may not be retried
/// (`failfast`: C's `blk_noretry_request`, always true for admin and
/// passthrough commands, which C marks `REQ_FAILFAST_DRIVER`), or when it
/// has already been retried `max_retries` times; otherwise retry it.
///
/// Success is judged on the status code and type alone (C compares the whole
/// status with 0, which a controller setting More on a success would defeat).
pub fn disposition(status: Status, retries: u8, failfast: bool, max_retries: u8) -> Disposition {
    if status.is_success() || status.do_not_retry() || failfast || retries >= max_retries {
        Disposition::Complete
    } else {
        Disposition::Retry
    }
}

/// How long to wait before retrying a command that failed with `status`,
/// in milliseconds, given Identify Controller's CRDT1-3 (C
/// `nvme_retry_req`): the delay time its CRD field names, 0 where it names
/// none. A controller sets CRD only once Advanced Command Retry is enabled
/// (`spec::host_behavior`).
pub fn retry_delay_ms(status: Status, crdt: &[u16; 3]) -> u32 {
    match status.retry_delay_index() {
        0 => 0,
        crd => u32::from(crdt[usize::from(crd - 1)]) * 100,
    }
}

/// The value an admin or passthrough (ioctl, io_uring) caller gets back when
/// the device completes its command with `status`: the positive NVMe status
/// as C's `nvme_req(req)->status` holds it (the completion's status field
/// shifted right past the phase tag: Status Code, Status Code Type, Command
/// Retry Delay, More and Do Not Retry), which C's `nvme_execute_rq` returns
/// unchanged. 0 is success; negative errnos are only for host-side failures
/// and are not produced here.
pub fn passthrough_status(status: Status) -> u16 {
    // `Status::raw` is already the field without the phase tag; bit 15
    // cannot be set, so the value is positive as an `int` too.
    status.raw() & 0x7fff
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A status with SCT/SC `code` and the given DNR, More and CRD bits, as
    /// it appears in a completion entry.
    fn st(code: u16, dnr: bool, more: bool, crd: u16) -> Status {
        let raw = code | u16::from(dnr) << 14 | u16::from(more) << 13 | (crd & 3) << 11;
        Status::from_field(raw << 1 | 1)
    }

    /// C's nvme_error_status as a table, written from the 6.12 source.
    const TABLE: &[(u16, BlockStatus)] = &[
        (0x000, BlockStatus::Ok),
        (0x081, BlockStatus::NoSpace),
        (0x080, BlockStatus::Target),
        (0x021, BlockStatus::Target),
        (0x082, BlockStatus::Target),
        (0x180, BlockStatus::NotSupported),
        (0x001, BlockStatus::NotSupported),
        (0x002, BlockStatus::NotSupported),
        (0x00b, BlockStatus::NotSupported),
        (0x280, BlockStatus::Medium),
        (0x281, BlockStatus::Medium),
        (0x287, BlockStatus::Medium),
        (0x286, BlockStatus::Medium),
        (0x182, BlockStatus::Medium),
        (0x285, BlockStatus::Medium),
        (0x282, BlockStatus::Protection),
        (0x283, BlockStatus::Protection),
        (0x284, BlockStatus::Protection),
        (0x181, BlockStatus::Protection),
        (0x083, BlockStatus::ReservationConflict),
        (0x370, BlockStatus::Transport),
        (0x1bd, BlockStatus::ZoneActiveResource),
        (0x1be, BlockStatus::ZoneOpenResource),
    ];

    #[test]
    fn every_status_code_maps_as_c() {
        for code in 0..=SCT_SC_MASK {
            let want = TABLE
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(BlockStatus::IoError, |(_, s)| *s);
            for dnr in [false, true] {
                for more in [false, true] {
                    for crd in 0..4 {
                        assert_eq!(block_status(st(code, dnr, more, crd)), want, "{code:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn named_codes_have_spec_values() {
        assert_eq!(sc::INVALID_FIELD, 0x002);
        assert_eq!(sc::READ_ERROR, 0x281);
        assert_eq!(sc::HOST_PATH_ERROR, 0x370);
        // Not in the 6.12 switch: an I/O error, not NotSupported.
        assert_eq!(
            block_status(st(sc::CMD_SIZE_LIM_EXCEEDED, true, false, 0)),
            BlockStatus::IoError
        );
        // Common errors that C leaves to the default.
        assert_eq!(
            block_status(st(0x006, false, false, 0)),
            BlockStatus::IoError,
            "internal"
        );
        assert_eq!(
            block_status(st(0x004, false, false, 0)),
            BlockStatus::IoError,
            "data transfer"
        );
        assert_eq!(
            block_status(st(0x007, false, false, 0)),
            BlockStatus::IoError,
            "abort requested"
        );
        assert_eq!(
            block_status(st(0x371, false, false, 0)),
            BlockStatus::IoError,
            "host aborted"
        );
    }

    #[test]
    fn raw_values_are_blk_status_t() {
        assert_eq!(BlockStatus::Ok.raw(), 0);
        assert_eq!(BlockStatus::NotSupported.raw(), 1);
        assert_eq!(BlockStatus::NoSpace.raw(), 3);
        assert_eq!(BlockStatus::Transport.raw(), 4);
        assert_eq!(BlockStatus::Target.raw(), 5);
        assert_eq!(BlockStatus::ReservationConflict.raw(), 6);
        assert_eq!(BlockStatus::Medium.raw(), 7);
        assert_eq!(BlockStatus::Protection.raw(), 8);
        assert_eq!(BlockStatus::IoError.raw(), 10);
        assert_eq!(BlockStatus::ZoneOpenResource.raw(), 14);
        assert_eq!(BlockStatus::ZoneActiveResource.raw(), 15);
    }

    /// `nvme_decide_disposition` as a reference, over every combination.
    #[test]
    fn disposition_against_c() {
        for code in [0x000u16, 0x002, 0x006, 0x021, 0x080, 0x281, 0x370] {
            for dnr in [false, true] {
                for more in [false, true] {
                    for crd in 0..4 {
                        let s = st(code, dnr, more, crd);
                        for retries in 0..=u8::MAX {
                            for failfast in [false, true] {
                                for max in [0, 1, MAX_RETRIES, u8::MAX] {
                                    let complete = code == 0 || failfast || dnr || retries >= max;
                                    let want = if complete {
                                        Disposition::Complete
                                    } else {
                                        Disposition::Retry
                                    };
                                    assert_eq!(disposition(s, retries, failfast, max), want);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn retry_delay_from_crd() {
        let crdt = [1, 25, 600];
        // An Internal Error (retryable) with CRD 0 to 3.
        assert_eq!(retry_delay_ms(st(0x06, false, false, 0), &crdt), 0);
        assert_eq!(retry_delay_ms(st(0x06, false, false, 1), &crdt), 100);
        assert_eq!(retry_delay_ms(st(0x06, false, false, 2), &crdt), 2_500);
        assert_eq!(retry_delay_ms(st(0x06, false, false, 3), &crdt), 60_000);
        // Where the controller reports no times, no delay.
        assert_eq!(retry_delay_ms(st(0x06, false, false, 2), &[0; 3]), 0);
    }

    #[test]
    fn retry_budget() {
        // An internal error without DNR is sent MAX_RETRIES more times.
        let s = st(0x006, false, false, 0);
        let mut sent = 1;
        let mut retries = 0;
        while disposition(s, retries, false, MAX_RETRIES) == Disposition::Retry {
            retries += 1;
            sent += 1;
        }
        assert_eq!(sent, 1 + usize::from(MAX_RETRIES));
        assert_eq!(MAX_RETRIES, 5);
        // max_retries=0: never retried.
        assert_eq!(disposition(s, 0, false, 0), Disposition::Complete);
        // Success is never retried, whatever else is set.
        assert_eq!(
            disposition(Status::SUCCESS, 0, false, MAX_RETRIES),
            Disposition::Complete
        );
        assert_eq!(
            disposition(st(0, false, true, 1), 0, false, MAX_RETRIES),
            Disposition::Complete
        );
    }

    #[test]
    fn passthrough_keeps_every_status_bit() {
        assert_eq!(passthrough_status(Status::SUCCESS), 0);
        // Invalid Field with DNR, as nvme-cli prints it: 0x4002.
        assert_eq!(passthrough_status(st(0x002, true, false, 0)), 0x4002);
        // Unrecovered Read Error with More: 0x2281.
        assert_eq!(passthrough_status(st(0x281, false, true, 0)), 0x2281);
        // CRD survives too, as in C's nvme_req(req)->status.
        assert_eq!(passthrough_status(st(0x006, false, false, 2)), 0x1006);
        // Every status field a device can post, phase tag either way.
        for field in 0..=u16::MAX {
            let s = Status::from_field(field);
            assert_eq!(passthrough_status(s), field >> 1);
            assert!(passthrough_status(s) <= 0x7fff);
        }
    }
}
