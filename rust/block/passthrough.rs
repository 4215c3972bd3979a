// SPDX-License-Identifier: GPL-2.0

//! Passthrough requests: driver-private requests (`REQ_OP_DRV_IN/OUT`)
//! that carry a command from user space and map its buffer, executed
//! synchronously for an ioctl or asynchronously for an io_uring command.
//!
//! C: `blk_mq_alloc_request`, `blk_rq_map_user_io`, `blk_execute_rq`,
//! `blk_execute_rq_nowait` and `drivers/nvme/host/ioctl.c`'s io_uring
//! glue, which this follows.

use super::request::Request;
use super::status::Status;
use super::tag_set::Operations;
use crate::kernel_ext::uring::{pdu_of, IssueFlags, Pdu, Queued, UringCmd};
use crate::kernel_ext::{bindings, error};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::prelude::*;

/// Operations whose requests can carry user commands.
pub trait UserCommands: Operations {
    /// The outcome of a finished user command for its caller: the
    /// device's status if it reported one (positive), else 0 or the
    /// negative errno of the block status `err`; and the command's result.
    fn outcome(rq: &Request<Self>, err: Status) -> (i32, u64);

    /// An io_uring command's finished request is kept, not freed, until
    /// the task work that completes the command has called
    /// [`Self::finish_in_task`].
    const FINISH_IN_TASK: bool = false;

    /// In the issuer's task, before an io_uring command whose request
    /// ended completes (only with [`Self::FINISH_IN_TASK`]): the driver's
    /// last use of the request's private data, copying data out to the
    /// user's memory, say. An error replaces the command's status.
    fn finish_in_task(_rq: &Request<Self>, _private: &mut Self::Private) -> Result {
        Ok(())
    }
}

/// A counted reference to a disk's request queue, for passthrough after
/// the disk's owner has moved on: the queue's memory stays valid, and once
/// the disk is deleted new requests fail with `ENODEV`.
///
/// # Invariants
///
/// `disk` is a gendisk on a tag set of operations `T`, of which this holds
/// a reference.
pub struct QueueRef<T: Operations> {
    disk: NonNull<bindings::gendisk>,
    _ops: PhantomData<T>,
}

// SAFETY: the reference may be dropped and used from any thread.
unsafe impl<T: Operations> Send for QueueRef<T> {}
// SAFETY: shared use only allocates requests, which the block layer locks.
unsafe impl<T: Operations> Sync for QueueRef<T> {}

impl<T: Operations> QueueRef<T> {
    /// # Safety
    ///
    /// `disk` must be a live gendisk on a tag set of operations `T`.
    pub(crate) unsafe fn new(disk: NonNull<bindings::gendisk>) -> Self {
        // SAFETY: the disk is live, as the caller promises, and so is its
        // whole-disk block device, whose device is the disk's (C
        // `disk_to_dev`).
        unsafe { bindings::get_device(&raw mut (*(*disk.as_ptr()).part0).bd_device) };
        // INVARIANT: reference taken just above.
        QueueRef {
            disk,
            _ops: PhantomData,
        }
    }

    /// Allocates a request for a user command that writes to the device
    /// (`write`) or reads from it. With `nowait` it fails with `EAGAIN`
    /// rather than wait for a tag; `polled` puts it on a polled queue;
    /// `bio_cache` takes the bio its data is mapped with from the per-CPU
    /// bio cache (`REQ_ALLOC_CACHE`), as C does for io_uring commands.
    pub fn alloc(
        &self,
        write: bool,
        nowait: bool,
        polled: bool,
        bio_cache: bool,
    ) -> Result<UserRequest<T>> {
        // SAFETY: the disk is alive (type invariant), and its queue with it.
        unsafe {
            alloc_request(
                (*self.disk.as_ptr()).queue,
                write,
                nowait,
                polled,
                bio_cache,
            )
        }
    }
}

/// Allocates a driver-private request on `queue`; see [`QueueRef::alloc`].
///
/// # Safety
///
/// `queue` must be a live request queue on a tag set of operations `T`,
/// alive as long as the request is.
pub(crate) unsafe fn alloc_request<T: Operations>(
    queue: *mut bindings::request_queue,
    write: bool,
    nowait: bool,
    polled: bool,
    bio_cache: bool,
) -> Result<UserRequest<T>> {
    let mut opf = if write {
        bindings::NVME_RS_REQ_OP_DRV_OUT
    } else {
        bindings::NVME_RS_REQ_OP_DRV_IN
    };
    if bio_cache {
        opf |= bindings::NVME_RS_REQ_ALLOC_CACHE;
    }
    let mut flags = 0;
    if nowait {
        opf |= bindings::NVME_RS_REQ_NOWAIT;
        flags |= bindings::NVME_RS_BLK_MQ_REQ_NOWAIT;
    }
    if polled {
        opf |= bindings::NVME_RS_REQ_POLLED;
    }
    // SAFETY: the queue is live (caller's guarantee).
    let rq = unsafe { bindings::blk_mq_alloc_request(queue, opf, flags as _) };
    let rq = error::from_err_ptr(rq)?;
    // INVARIANT: freshly allocated, not started.
    Ok(UserRequest {
        // SAFETY: `from_err_ptr` passed a valid pointer.
        rq: unsafe { NonNull::new_unchecked(rq) },
        bio: core::ptr::null_mut(),
        _ops: PhantomData,
    })
}

impl<T: Operations> Drop for QueueRef<T> {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `new`.
        unsafe { bindings::put_disk(self.disk.as_ptr()) };
    }
}

/// An allocated passthrough request that has not been executed: this value
/// is its only owner, so the driver's private data is freely writable.
///
/// # Invariants
///
/// `rq` came from `blk_mq_alloc_request` on a queue of operations `T` and
/// is neither started nor freed; `bio` is null or the first bio of its
/// user mapping.
pub struct UserRequest<T: Operations> {
    rq: NonNull<bindings::request>,
    bio: *mut bindings::bio,
    _ops: PhantomData<T>,
}

impl<T: UserCommands> UserRequest<T> {
    fn request(&self) -> &Request<T> {
        // SAFETY: a request of a live tag set of operations `T`.
        unsafe { Request::from_raw(self.rq.as_ptr()) }
    }

    /// The driver's private data, to put the command in.
    pub fn private_mut(&mut self) -> &mut T::Private {
        // SAFETY: nobody else knows of the request (type invariant), and
        // `&mut self` makes this the only borrow.
        unsafe { &mut *self.request().private_ptr() }
    }

    /// Sets the timeout; 0 keeps the queue's default.
    pub fn set_timeout_ms(&mut self, ms: u32) {
        let rq = self.rq.as_ptr();
        // SAFETY: owned and not started. Most commands keep the default, so
        // the conversion to jiffies (a C call) is made only when asked for.
        unsafe {
            if ms == 0 {
                (*rq).timeout = 0;
            } else {
                bindings::nvme_rs_rq_set_timeout_ms(rq, ms);
            }
        }
    }

    /// Maps `len` bytes of user memory at `addr` (with `vectored`, an
    /// array of `len` iovecs), or with `fixed_from` that command's
    /// registered buffer, as the request's data; and `metadata`, (user
    /// address, length), as its integrity buffer (pinned, or bounced where
    /// it is not one contiguous segment), which the disk's integrity
    /// profile must exist for (`EINVAL` otherwise, as C). A request with
    /// metadata must not have been allocated with the bio cache
    /// (`EINVAL`).
    pub fn map_user(
        &mut self,
        addr: u64,
        len: u32,
        vectored: bool,
        metadata: Option<(u64, u32)>,
        fixed_from: Option<&UringCmd>,
    ) -> Result {
        let cmd = fixed_from.map_or(core::ptr::null_mut(), |c| c.as_raw());
        let (meta, meta_len) = metadata.unwrap_or((0, 0));
        // SAFETY: owned and not started, and not mapped yet (a second call
        // fails in the block layer); `cmd` is null or a live command. On
        // failure nothing stays mapped.
        error::to_result(unsafe {
            bindings::nvme_rs_rq_map_user(
                self.rq.as_ptr(),
                addr,
                len,
                vectored,
                meta,
                meta_len,
                cmd,
            )
        })?;
        // SAFETY: as above; the mapping's first bio, kept to unmap it.
        self.bio = unsafe { (*self.rq.as_ptr()).bio };
        Ok(())
    }

    /// Executes the request, which reads from the device, with `buf` as
    /// its data, and waits for it; returns the outcome
    /// ([`UserCommands::outcome`]). For the driver's own commands on the
    /// queue (a zone report): the block layer maps `buf`, or bounces it.
    pub fn execute_into(self, buf: &mut [u8]) -> Result<(i32, u64)> {
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        let rq = self.rq.as_ptr();
        // SAFETY: owned, not started and not mapped (no user mapping is
        // made with a kernel one); `buf` is valid for `len` bytes until the
        // request is done, which `execute` waits for, and the mapping's
        // bios end with the request.
        error::to_result(unsafe {
            bindings::blk_rq_map_kern(
                (*rq).q,
                rq,
                buf.as_mut_ptr().cast(),
                len,
                bindings::NVME_RS_GFP_KERNEL,
            )
        })?;
        Ok(self.execute())
    }

    /// Executes the request and waits for it; returns the outcome
    /// ([`UserCommands::outcome`]).
    pub fn execute(self) -> (i32, u64) {
        self.execute_then(|rq, _, err| T::outcome(rq, err))
    }

    /// Executes the request, waits for it, and gives `f` the finished
    /// request, its private data (the caller's again) and the block status
    /// it ended with.
    pub fn execute_then<R>(
        mut self,
        f: impl FnOnce(&Request<T>, &mut T::Private, Status) -> R,
    ) -> R {
        // SAFETY: owned, set up, not started; the call returns once done.
        let err = Status::from_raw(unsafe { bindings::blk_execute_rq(self.rq.as_ptr(), false) });
        let rq = self.rq.as_ptr();
        // SAFETY: a request of a live tag set of operations `T`, back with
        // its owner; `private_mut` borrows only its private data.
        f(unsafe { Request::from_raw(rq) }, self.private_mut(), err)
        // Drop unmaps the data and frees the request.
    }

    /// Executes the request for io_uring command `cmd` and returns at once;
    /// the command completes with the outcome, after the data is unmapped
    /// in the issuer's task, as C's `nvme_uring_cmd_io`.
    pub fn execute_uring(self, cmd: UringCmd) -> Queued {
        let this = core::mem::ManuallyDrop::new(self);
        let rq = this.rq.as_ptr();
        let pdu = cmd.pdu();
        // SAFETY: the pdu is the command's to use; the request is owned and
        // not started. From `blk_execute_rq_nowait` on, the block layer owns
        // the request and `end_io` the command (`UringCmd` has no `Drop`:
        // letting `cmd` go here gives it up without completing it).
        unsafe {
            pdu.write(Pdu {
                rq,
                bio: this.bio,
                result: 0,
                status: 0,
            });
            (*rq).end_io = Some(end_io::<T>);
            (*rq).end_io_data = cmd.as_raw().cast();
            bindings::blk_execute_rq_nowait(rq, false);
        }
        Queued(())
    }
}

impl<T: Operations> Drop for UserRequest<T> {
    fn drop(&mut self) {
        // SAFETY: the request is owned (not handed to the block layer, or
        // back from a synchronous execution); its mapping is undone in the
        // caller's task, as it must be, before it is freed.
        unsafe {
            if !self.bio.is_null() {
                bindings::blk_rq_unmap_user(self.bio);
            }
            bindings::blk_mq_free_request(self.rq.as_ptr());
        }
    }
}

/// # Safety
///
/// The end_io callback of a request executed by
/// [`UserRequest::execute_uring`]: `end_io_data` is its command.
unsafe extern "C" fn end_io<T: UserCommands>(
    rq: *mut bindings::request,
    err: bindings::blk_status_t,
) -> bindings::rq_end_io_ret {
    // SAFETY: a request of a tag set of operations `T`, valid in the call.
    let request = unsafe { Request::<T>::from_raw(rq) };
    let (status, result) = T::outcome(request, Status::from_raw(err));
    // SAFETY: `end_io_data` is the command, owned by this completion.
    let cmd = unsafe { (*rq).end_io_data }.cast::<bindings::io_uring_cmd>();
    // SAFETY: the pdu was written at execution; only this path uses it now.
    unsafe {
        let pdu = pdu_of(cmd);
        (*pdu).status = status;
        (*pdu).result = result;
        // Unmapping needs the issuer's task (it may copy to user memory),
        // and the task work also delivers the completion to the ring that
        // issued the command rather than one that happened to poll.
        bindings::nvme_rs_uring_cmd_do_in_task_lazy(
            cmd,
            task_done::<T> as *mut kernel::ffi::c_void,
        );
    }
    if T::FINISH_IN_TASK {
        // `task_done` frees it.
        return bindings::NVME_RS_RQ_END_IO_NONE;
    }
    // The block layer frees the request after this returns.
    bindings::NVME_RS_RQ_END_IO_FREE
}

/// # Safety
///
/// Task work queued by `end_io` for a command whose pdu holds the outcome
/// and its request, which with `T::FINISH_IN_TASK` is kept for this.
unsafe extern "C" fn task_done<T: UserCommands>(
    cmd: *mut bindings::io_uring_cmd,
    issue_flags: kernel::ffi::c_uint,
) {
    // SAFETY: the command is owned by this completion, its pdu filled.
    let (rq, bio, mut status, result) = unsafe {
        let pdu = &*pdu_of(cmd);
        (pdu.rq, pdu.bio, pdu.status, pdu.result)
    };
    if !bio.is_null() {
        // SAFETY: the mapping of the finished request, in the issuer's task.
        unsafe { bindings::blk_rq_unmap_user(bio) };
    }
    if T::FINISH_IN_TASK {
        // SAFETY: `end_io` kept the request, which ended: this task work
        // is its only owner, and frees it once.
        unsafe {
            let request = Request::<T>::from_raw(rq);
            if let Err(err) = T::finish_in_task(request, &mut *request.private_ptr()) {
                status = err.to_errno();
            }
            bindings::blk_mq_free_request(rq);
        }
    }
    // SAFETY: the command was queued and not completed; completes it once.
    let cmd = unsafe { UringCmd::from_raw(cmd) };
    cmd.done(status, result, IssueFlags::from_raw(issue_flags));
}
