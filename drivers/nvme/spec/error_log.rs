// SPDX-License-Identifier: GPL-2.0

//! The messages logged for failed commands, as C 6.12's `nvme_log_error`
//! and `nvme_log_err_passthru` in `drivers/nvme/host/core.c` print them
//! without `CONFIG_NVME_VERBOSE_ERRORS` (opcodes as "I/O Cmd" or "Admin
//! Cmd", every status as "I/O Error"), and which failures are logged.
//! blktests' nvme/039 reads these lines.

use super::completion::Status;
use core::fmt;

/// Whether a request that ended with `status` is logged (C
/// `__nvme_end_req`): any status but zero, More and Do Not Retry included,
/// unless the request is quiet (C `RQF_QUIET`). Only a request that ends
/// is: one that is retried is not (yet).
pub const fn logged(status: Status, quiet: bool) -> bool {
    status.raw() != 0 && !quiet
}

/// Whether a passthrough command is quiet (C `nvme_init_request`): unless
/// its `passthru_err_log_enabled` says otherwise, the controller's for an
/// admin command, the namespace's for an I/O command. Both are off by
/// default.
pub const fn passthru_quiet(log_enabled: bool) -> bool {
    !log_enabled
}

/// The first logical block of a request at 512-byte `sector`, on a
/// namespace whose blocks are `1 << lba_shift` bytes (C
/// `nvme_sect_to_lba`).
pub const fn sector_to_lba(sector: u64, lba_shift: u8) -> u64 {
    sector >> lba_shift.saturating_sub(9)
}

/// The " (sct 0x%x / sc 0x%x) MORE DNR " part both messages share: Status
/// Code Type and Status Code, then the flags, each followed by a space.
struct StatusPart(Status);

impl fmt::Display for StatusPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.raw();
        write!(
            f,
            "I/O Error (sct {:#x} / sc {:#x}) {}{}",
            raw >> 8 & 0x7,
            raw & 0xff,
            if self.0.more() { "MORE " } else { "" },
            if self.0.do_not_retry() { "DNR " } else { "" }
        )
    }
}

/// A failed block request (C `nvme_log_error` with a namespace):
/// `<disk>: I/O Cmd(0x2) @ LBA 0, 1 blocks, I/O Error (sct 0x2 / sc 0x81) DNR `.
pub struct RequestError<D> {
    /// The disk's name.
    pub disk: D,
    /// The command's opcode.
    pub opcode: u8,
    /// The request's first logical block.
    pub lba: u64,
    /// Its length in logical blocks.
    pub blocks: u32,
    /// The status it ended with.
    pub status: Status,
}

impl<D: fmt::Display> fmt::Display for RequestError<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: I/O Cmd({:#x}) @ LBA {}, {} blocks, {}",
            self.disk,
            self.opcode,
            self.lba,
            self.blocks,
            StatusPart(self.status)
        )
    }
}

/// A failed passthrough command (C `nvme_log_err_passthru`), an admin
/// command named by its controller, an I/O command by its disk:
/// `nvme0: Admin Cmd(0x6), I/O Error (sct 0x2 / sc 0x86) DNR cdw10=0x1 ...`.
pub struct PassthruError<D> {
    /// The controller's name (admin) or the disk's (I/O).
    pub name: D,
    /// An admin command.
    pub admin: bool,
    /// The command's opcode.
    pub opcode: u8,
    /// The status it ended with.
    pub status: Status,
    /// Command dwords 10 to 15.
    pub cdw10_15: [u32; 6],
}

impl<D: fmt::Display> fmt::Display for PassthruError<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cdw10_15;
        writeln!(
            f,
            "{}: {}({:#x}), {}cdw10={:#x} cdw11={:#x} cdw12={:#x} cdw13={:#x} cdw14={:#x} cdw15={:#x}",
            self.name,
            if self.admin { "Admin Cmd" } else { "I/O Cmd" },
            self.opcode,
            StatusPart(self.status),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            c[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(raw: u16) -> Status {
        Status::from_field(raw << 1)
    }

    #[test]
    fn request_lines_match_c() {
        // blktests nvme/039: 0x281 injected with dont_retry on a read.
        let line = RequestError {
            disk: "nvme0n1",
            opcode: 0x2,
            lba: 0,
            blocks: 1,
            status: status(0x4281),
        };
        assert_eq!(
            format!("{line}"),
            "nvme0n1: I/O Cmd(0x2) @ LBA 0, 1 blocks, I/O Error (sct 0x2 / sc 0x81) DNR \n"
        );
        let line = RequestError {
            disk: "nvme1n2",
            opcode: 0x1,
            lba: 4096,
            blocks: 8,
            status: status(0x2375),
        };
        assert_eq!(
            format!("{line}"),
            "nvme1n2: I/O Cmd(0x1) @ LBA 4096, 8 blocks, I/O Error (sct 0x3 / sc 0x75) MORE \n"
        );
        let line = RequestError {
            disk: "nvme0n1",
            opcode: 0x0,
            lba: 0,
            blocks: 0,
            status: status(0x6),
        };
        assert_eq!(
            format!("{line}"),
            "nvme0n1: I/O Cmd(0x0) @ LBA 0, 0 blocks, I/O Error (sct 0x0 / sc 0x6) \n"
        );
    }

    #[test]
    fn passthru_lines_match_c() {
        let line = PassthruError {
            name: "nvme0",
            admin: true,
            opcode: 0x6,
            status: status(0x4286),
            cdw10_15: [1, 0, 0, 0, 0, 0],
        };
        assert_eq!(
            format!("{line}"),
            "nvme0: Admin Cmd(0x6), I/O Error (sct 0x2 / sc 0x86) DNR \
             cdw10=0x1 cdw11=0x0 cdw12=0x0 cdw13=0x0 cdw14=0x0 cdw15=0x0\n"
        );
        let line = PassthruError {
            name: "nvme0n1",
            admin: false,
            opcode: 0x2,
            status: status(0x6001),
            cdw10_15: [0, 0, 1, 0xdead_beef, 0, 0x10],
        };
        assert_eq!(
            format!("{line}"),
            "nvme0n1: I/O Cmd(0x2), I/O Error (sct 0x0 / sc 0x1) MORE DNR \
             cdw10=0x0 cdw11=0x0 cdw12=0x1 cdw13=0xdeadbeef cdw14=0x0 cdw15=0x10\n"
        );
    }

    #[test]
    fn what_is_logged() {
        assert!(!logged(Status::SUCCESS, false));
        assert!(logged(status(0x281), false));
        assert!(!logged(status(0x281), true));
        // As C, which tests the whole status: DNR alone counts.
        assert!(logged(status(0x4000), false));
        // Host-aborted (cancelled) requests that end are logged, as in C.
        assert!(logged(Status::HOST_ABORTED, false));
        assert!(passthru_quiet(false));
        assert!(!passthru_quiet(true));
    }

    #[test]
    fn lba_of_sector() {
        assert_eq!(sector_to_lba(8, 9), 8);
        assert_eq!(sector_to_lba(8, 12), 1);
        assert_eq!(sector_to_lba(1 << 20, 12), 1 << 17);
    }
}
