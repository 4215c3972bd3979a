// SPDX-License-Identifier: GPL-2.0

//! What the controller logic asks of a transport, as C's `struct
//! nvme_ctrl_ops` and the transports' reset work: resetting the controller,
//! stopping it for a while and bringing it back, giving up on it, and
//! removing it. The controller's state is the caller's to change; these do
//! the transport's part.

use super::namespace::NsQueue;
use crate::kernel_ext::block::passthrough::UserCommands;
use crate::kernel_ext::block::tag_set::Operations;
use crate::spec::command::Command;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The transport's blk-mq operations, as the core's disks and
/// passthrough use them (C: the transport's `blk_mq_ops`, with the core's
/// `struct nvme_request` in each request): a disk's queue data is its
/// namespace's format and size with its error log, and a request can carry
/// a user's command.
pub trait IoOps: UserCommands + Operations<QueueData = Arc<NsQueue>> {
    /// Gives the request whose private data is `private` the user command
    /// it is to carry.
    fn set_user_command(private: &mut Self::Private, cmd: Command);
}

/// How [`Transport::disable`] stops the controller (C
/// `nvme_dev_disable`'s `shutdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disable {
    /// Power may go: let the commands in flight finish first (for up to
    /// the I/O timeout), delete the I/O queues, and send a normal shutdown
    /// notification, so the controller saves what it must. For system
    /// sleep and shutdown.
    Shutdown,
    /// The function or slot is about to be reset: clear `CC.EN` now; what
    /// was in flight is cancelled by [`Transport::restart`]. For a
    /// Function Level Reset and PCIe error recovery.
    Reset,
}

/// Resets, stops, gives up on and removes a controller, the transport's
/// way: what [`super::ctrl::Ctrl`] asks of the transport under it.
pub trait Transport: Send + Sync {
    /// Disables the controller and brings it up again with its queues,
    /// identifying it again. On failure the transport has given up on it
    /// ([`Self::fail_io`]).
    fn reset(&self) -> Result;

    /// Stops the controller `how` says; requests are held back (they wait,
    /// they do not fail) until [`Self::restart`]. A controller that no
    /// longer answers is only held back.
    fn disable(&self, how: Disable);

    /// Brings back a controller [`Self::disable`]d, as the second half of
    /// a reset: commands it never completed are cancelled (block I/O is
    /// retried), and held-back requests run. On failure the transport has
    /// given up on it.
    fn restart(&self) -> Result;

    /// Gives up on the controller: stops its DMA and fails every request
    /// in flight and every later one.
    fn fail_io(&self);

    /// [`Self::fail_io`] for a controller [`Self::disable`]d: the requests
    /// held back fail too, instead of waiting for a restart that will not
    /// come (system shutdown).
    fn fail_held(&self);

    /// Removes the controller, which was given up on, from another
    /// context (C `nvme_remove_dead_ctrl`): its disks and nodes go.
    fn remove_dead(&self);

    /// Resets the NVM subsystem the controller is in (C
    /// `nvme_ctrl_ops.subsystem_reset`'s register write), for a controller
    /// that supports it; the caller moved it to resetting and moves it
    /// back. On PCIe the link goes down, and what follows is the PCIe
    /// error or hot-plug path's.
    fn subsystem_reset(&self) -> Result;

    /// Holds the I/O queues' requests back from the controller (C
    /// `nvme_quiesce_io_queues`), for a firmware activation; a reset
    /// meanwhile quiesces and unquiesces them once more.
    fn quiesce_io(&self);

    /// Lets what [`Self::quiesce_io`] held back run.
    fn unquiesce_io(&self);

    /// Whether the controller, enabled, has paused processing to activate
    /// firmware (C `nvme_ctrl_pp_status`).
    fn processing_paused(&self) -> bool;

    /// Sysfs `hmb` written on a live controller: gives it a Host Memory
    /// Buffer, or takes it away and frees it (C `hmb_store`; the
    /// attribute exists only where the controller asks for one).
    fn set_host_memory(&self, enable: bool) -> Result;
}
