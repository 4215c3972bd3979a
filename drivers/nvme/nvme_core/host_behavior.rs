// SPDX-License-Identifier: GPL-2.0

//! Telling the controller what the host handles, after every bring-up, as
//! C's `nvme_configure_host_options`: what is sent is
//! `spec::host_behavior`'s.

use super::admin::{AdminError, AdminQueue};
use crate::spec::command::{Command, FeatureId};
use crate::spec::host_behavior::HostBehavior;
use crate::spec::identify::IdentifyController;
use kernel::prelude::*;

/// Sends Host Behavior Support to the controller `id` describes, where it
/// has something to enable. As in C, a controller that refuses it (an NVMe
/// status) keeps working without, unlogged; a command that fails otherwise
/// fails the bring-up.
pub fn configure_host_behavior(admin: &dyn AdminQueue, id: &IdentifyController) -> Result {
    let Some(behavior) = HostBehavior::for_controller(id) else {
        return Ok(());
    };
    let cmd = Command::set_features(FeatureId::HostBehaviorSupport, 0);
    match admin.execute_write(cmd, &behavior.to_bytes()) {
        Ok(_) | Err(AdminError::Status(_)) => Ok(()),
        Err(err) => Err(err.into()),
    }
}
