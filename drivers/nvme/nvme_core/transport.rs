// SPDX-License-Identifier: GPL-2.0

//! What the controller logic asks of a transport, as C's `struct
//! nvme_ctrl_ops` and the transports' reset work: so far, resetting the
//! controller and giving up on it. The controller's state is the caller's
//! to change; these do the transport's part.

use kernel::prelude::*;

/// Resets and gives up on a controller, the transport's way.
pub trait ControllerReset: Send + Sync {
    /// Disables the controller and brings it up again with its queues,
    /// identifying it again. On failure the transport has given up on it
    /// ([`Self::fail_io`]).
    fn reset(&self) -> Result;

    /// Gives up on the controller: stops its DMA and fails every request
    /// in flight and every later one.
    fn fail_io(&self);
}
