// SPDX-License-Identifier: GPL-2.0

//! The admin command interface a transport offers the core, the seam the
//! C driver draws with `nvme_submit_sync_cmd` and `struct nvme_ctrl_ops`.

use crate::kernel_ext::error;
use crate::spec::command::Command;
use crate::spec::completion::{Completion, Status};
use kernel::prelude::*;

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

/// Synchronous admin commands.
pub trait AdminQueue {
    /// Largest data buffer [`AdminQueue::execute_read`] can fill.
    const MAX_DATA: usize;

    /// Runs `cmd`, which transfers `data.len()` bytes from the controller
    /// into `data`, and waits for it to complete. The transport sets the
    /// command identifier and data pointer.
    fn execute_read(&self, cmd: Command, data: &mut [u8]) -> Result<Completion, AdminError>;

    /// Runs `cmd`, which transfers `data` (at most [`Self::MAX_DATA`]
    /// bytes) to the controller, and waits for it to complete.
    fn execute_write(&self, cmd: Command, data: &[u8]) -> Result<Completion, AdminError>;
}
