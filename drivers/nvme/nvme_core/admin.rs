// SPDX-License-Identifier: GPL-2.0

//! The admin command interface a transport offers the core, the seam the
//! C driver draws with `nvme_submit_sync_cmd`, the admin tag set and
//! `struct nvme_ctrl_ops`'s `submit_async_event`.

use crate::kernel_ext::error;
use crate::kernel_ext::uring::{IssueFlags, Queued, UringCmd};
use crate::spec::command::Command;
use crate::spec::completion::{Completion, Status};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Why an admin command did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// The controller completed the command with an error status.
    Status(Status),
    /// No completion arrived within the admin timeout.
    Timeout,
    /// The command could not be issued.
    Kernel(Error),
}

impl From<Error> for AdminError {
    fn from(err: Error) -> Self {
        AdminError::Kernel(err)
    }
}

impl From<AdminError> for Error {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Status(_) => EIO,
            AdminError::Timeout => error::etimedout(),
            AdminError::Kernel(err) => err,
        }
    }
}

/// A transport's admin queue as the core uses it: commands that run side
/// by side, each caller waiting for its own, and the one Asynchronous
/// Event Request kept outstanding.
pub trait AdminQueue: Send + Sync {
    /// Runs `cmd`, whose data pointer the caller has set (or that moves no
    /// data), and waits up to `timeout_ms` (0: the admin timeout) for it.
    /// The completion is returned whatever its status.
    fn execute(&self, cmd: Command, timeout_ms: u32) -> Result<Completion, AdminError>;

    /// Runs `cmd`, which transfers `data.len()` bytes (at most a page)
    /// from the controller into `data`, and waits for it to succeed. The
    /// transport sets the command identifier and data pointer.
    fn execute_read(&self, cmd: Command, data: &mut [u8]) -> Result<Completion, AdminError>;

    /// Runs `cmd`, which transfers `data` (at most a page) to the
    /// controller, and waits for it to succeed.
    fn execute_write(&self, cmd: Command, data: &[u8]) -> Result<Completion, AdminError>;

    /// Sends a user's command, whose data pointer the caller has set (or
    /// that moves no data), for io_uring command `uring` and returns at
    /// once; a non-blocking issue (`flags`) fails with `EAGAIN` rather than
    /// wait for a free request. Once the command has ended, `after` runs
    /// in the issuer's task, then `uring` completes with the outcome.
    fn submit_uring(
        &self,
        cmd: Command,
        timeout_ms: u32,
        after: Arc<dyn AfterUserCommand>,
        uring: UringCmd,
        flags: IssueFlags,
    ) -> Result<Queued>;

    /// Waits until every command sent so far has ended, for teardown
    /// once no new user command can start.
    fn drain(&self);

    /// Sends Asynchronous Event Request completions to `handler` from now
    /// on; only the first call counts.
    fn set_async_events(&self, handler: Arc<dyn AsyncEventHandler>) -> Result;

    /// Submits an Asynchronous Event Request unless one is outstanding. Its
    /// completion, whenever the controller has an event, goes to the
    /// [`AsyncEventHandler`].
    fn submit_async_event(&self) -> Result;
}

/// Where the completions of Asynchronous Event Requests go. Called from the
/// admin queue's interrupt handler, so it must not sleep.
pub trait AsyncEventHandler: Send + Sync {
    /// An Asynchronous Event Request completed with `cqe`.
    fn arrived(&self, cqe: &Completion);
}

/// What follows a user's asynchronous admin command, in the issuer's task
/// once the command has ended: its data copied out, or after a timeout the
/// controller reset.
pub trait AfterUserCommand: Send + Sync {
    /// The command ended, by a completion or by timing out (`timed_out`);
    /// an error replaces the command's outcome.
    fn finish(&self, timed_out: bool) -> Result;
}
