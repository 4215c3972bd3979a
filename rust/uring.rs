// SPDX-License-Identifier: GPL-2.0

//! io_uring commands (`IORING_OP_URING_CMD`) as a character device's file
//! operations receive them.
//!
//! C header: [`include/linux/io_uring/cmd.h`](srctree/include/linux/io_uring/cmd.h)

use super::bindings;
use core::ptr::NonNull;

/// Bytes of command a 128-byte SQE carries (`sqe->cmd`).
pub const SQE_CMD_SIZE: usize = 80;

/// The context a command is issued in.
#[derive(Clone, Copy, Debug)]
pub struct IssueFlags(u32);

impl IssueFlags {
    pub(crate) fn from_raw(flags: u32) -> Self {
        IssueFlags(flags)
    }

    /// The issuer must not block: anything that would returns `EAGAIN`,
    /// and io_uring issues the command again from a worker that may.
    pub fn nonblocking(self) -> bool {
        self.0 & bindings::NVME_RS_IO_URING_F_NONBLOCK != 0
    }

    /// The ring polls for completions (`IORING_SETUP_IOPOLL`).
    pub fn iopoll(self) -> bool {
        self.0 & bindings::NVME_RS_IO_URING_F_IOPOLL != 0
    }

    /// The ring has 128-byte SQEs and 32-byte CQEs (`IORING_SETUP_SQE128`
    /// and `IORING_SETUP_CQE32`).
    pub fn big_entries(self) -> bool {
        let both = bindings::NVME_RS_IO_URING_F_SQE128 | bindings::NVME_RS_IO_URING_F_CQE32;
        self.0 & both == both
    }
}

/// Proof that a command was completed or handed to something that will
/// complete it; what a successful [`super::chrdev::FileOps::uring_cmd`]
/// returns.
pub struct Queued(pub(crate) ());

/// What a queued command keeps in the command's own space (`pdu`) until
/// it completes: the request it waits for (for polling), the user mapping
/// to undo, and the outcome.
#[repr(C)]
pub(crate) struct Pdu {
    pub(crate) rq: *mut bindings::request,
    pub(crate) bio: *mut bindings::bio,
    pub(crate) result: u64,
    pub(crate) status: i32,
}

/// An io_uring command, owned until it is completed.
///
/// # Invariants
///
/// `cmd` is a command io_uring handed to a file operation and that has not
/// been completed; its file is open.
pub struct UringCmd {
    cmd: NonNull<bindings::io_uring_cmd>,
}

/// The driver's area in command `cmd` (C `io_uring_cmd_to_pdu`), where
/// nvme-rs keeps a [`Pdu`].
///
/// # Safety
///
/// `cmd` must be a valid command.
pub(crate) unsafe fn pdu_of(cmd: *mut bindings::io_uring_cmd) -> *mut Pdu {
    const {
        assert!(core::mem::size_of::<Pdu>() <= 32);
        assert!(core::mem::align_of::<Pdu>() <= 8);
    };
    // SAFETY: the command is valid (caller's guarantee); its 32-byte pdu
    // is 8-aligned, as io_uring lays it out for drivers.
    unsafe { core::ptr::addr_of_mut!((*cmd).pdu).cast() }
}

impl UringCmd {
    /// # Safety
    ///
    /// `cmd` must be a command handed to a `uring_cmd` file operation and
    /// not completed; the returned value owns it.
    pub(crate) unsafe fn from_raw(cmd: *mut bindings::io_uring_cmd) -> Self {
        // INVARIANT: as the caller promises.
        UringCmd {
            // SAFETY: io_uring passes a non-null command.
            cmd: unsafe { NonNull::new_unchecked(cmd) },
        }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::io_uring_cmd {
        self.cmd.as_ptr()
    }

    /// The command's operation (`sqe->cmd_op`).
    pub fn op(&self) -> u32 {
        // SAFETY: valid by the type invariant.
        unsafe { (*self.as_raw()).cmd_op }
    }

    /// The command's file was opened for writing.
    pub fn is_writable(&self) -> bool {
        // SAFETY: valid by the type invariant; its file is open.
        unsafe { (*(*self.as_raw()).file).f_mode & bindings::NVME_RS_FMODE_WRITE != 0 }
    }

    /// A copy of the command bytes of the SQE. Only meaningful for a ring
    /// with 128-byte SQEs ([`IssueFlags::big_entries`]); with 64-byte SQEs
    /// the last 64 bytes are not the command's.
    ///
    /// On a command's first issue the SQE is in the ring the user shares
    /// and may be rewriting (io_uring copies it only for a command it
    /// defers), so every byte is read exactly once, with volatile reads
    /// the compiler can neither repeat nor replace by reads of the ring:
    /// what is checked in the copy is what is sent (C's `READ_ONCE` of
    /// each field).
    // Always inline: on every io_uring command's path, where the copy is
    // read at once.
    #[inline(always)]
    pub fn sqe_cmd(&self) -> [u8; SQE_CMD_SIZE] {
        let mut out = [0u8; SQE_CMD_SIZE];
        // `cmd` marks where the SQE's command bytes start
        // (`io_uring_sqe_cmd`), at byte 48 of the entry.
        let src = {
            // SAFETY: the SQE is valid while the command is (type
            // invariant); only its address is taken.
            unsafe { core::ptr::addr_of!((*(*self.as_raw()).sqe).__bindgen_anon_6.cmd) }
        }
        .cast::<u64>();
        for (i, chunk) in out.chunks_exact_mut(8).enumerate() {
            // SAFETY: a 64-byte SQE is followed by the next one in the
            // ring, so 80 bytes from `cmd` are always readable; SQEs sit
            // at multiples of 64 bytes in the ring or in io_uring's
            // 8-byte-aligned copy, so `cmd` (byte 48) is 8-byte aligned.
            let word = unsafe { src.add(i).read_volatile() };
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
        out
    }

    pub(crate) fn pdu(&self) -> *mut Pdu {
        // SAFETY: valid by the type invariant.
        unsafe { pdu_of(self.as_raw()) }
    }

    /// Completes the command with `res` in the CQE's `res` and `result` in
    /// the first extra word of a 32-byte CQE, from the issue path or task
    /// work with the issue flags io_uring passed there.
    pub fn done(self, res: i32, result: u64, flags: IssueFlags) -> Queued {
        // SAFETY: not completed before (type invariant); `self` is consumed.
        unsafe { bindings::io_uring_cmd_done(self.as_raw(), res as isize, result, flags.0) };
        Queued(())
    }
}

/// The `uring_cmd_iopoll` file operation: polls the hardware queue of the
/// request a command waits for, as C's `nvme_ns_chr_uring_cmd_iopoll`.
///
/// # Safety
///
/// Called by io_uring for a command queued by
/// [`super::block::passthrough::UserRequest::execute_uring`], whose pdu
/// names its request. Requests live as long as their tag set, which
/// outlives every command on its queues; a request that completed and was
/// reused is merely polled in vain, as in C. Unlike C's `blk_rq_poll`, the
/// helper reads the request's hardware context once: another poller may
/// complete and free the request meanwhile. One pass per call (no
/// `poll_flags` loop): io_uring calls again.
pub(crate) unsafe extern "C" fn iopoll(
    cmd: *mut bindings::io_uring_cmd,
    iob: *mut bindings::io_comp_batch,
    _poll_flags: kernel::ffi::c_uint,
) -> kernel::ffi::c_int {
    // SAFETY: the command is valid during the call; its pdu is a `Pdu`.
    let rq = unsafe { (*pdu_of(cmd)).rq };
    if rq.is_null() {
        return 0;
    }
    // SAFETY: see above: `rq` is a request of a live tag set; the helper
    // copes with it completing or being reused concurrently.
    unsafe { bindings::nvme_rs_rq_poll(rq, iob) }
}
