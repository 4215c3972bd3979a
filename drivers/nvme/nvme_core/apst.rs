// SPDX-License-Identifier: GPL-2.0

//! Turning Autonomous Power State Transitions on or off after every
//! controller bring-up, as C's `nvme_configure_apst`: the table is
//! `spec::apst`'s; this sends it.

use super::admin::{AdminError, AdminQueue};
use super::instance::Name;
use crate::kernel_ext::device::Device;
use crate::kernel_ext::module_param::ParamBool;
use crate::spec::apst::{apst_plan, force_apst, ApstParams, ApstPlan};
use crate::spec::command::{Command, FeatureId};
use crate::spec::identify::IdentifyController;
use crate::spec::quirks::Quirks;
use crate::{dev_dbg, dev_err, dev_warn};
use kernel::prelude::*;

/// Module parameter `force_apst` (registered by the crate root): allow
/// APST even where the quirks turn it off. Root may change it at any time
/// (0644) and C reads it at every bring-up, probe and reset alike, so it
/// is read here, live, not copied at module init as the others are.
pub static FORCE_APST: ParamBool = ParamBool::new(false);

/// Sends controller `name` (`id`, with `quirks`) the APST setting `params`
/// make of it, if it has APST, the quirks overridden where `force_apst`
/// says (with C's warnings); returns whether APST is on for it (C
/// `ctrl->apst_enabled`: it has APST and the quirks leave it on). A
/// controller that refuses the setting (an NVMe status) keeps working, as
/// in C; a command that fails otherwise fails the bring-up.
pub fn configure_apst(
    admin: &dyn AdminQueue,
    dev: &Device,
    name: Name,
    id: &IdentifyController,
    quirks: Quirks,
    params: &ApstParams,
) -> Result<bool> {
    let forced = force_apst(quirks, id.apsta, FORCE_APST.get());
    if forced.all_states_forced {
        dev_warn!(
            dev,
            "{}: forcibly allowing all power states due to nvme_rs.force_apst -- use at your own risk\n",
            name
        );
    }
    if forced.apst_forced {
        dev_warn!(
            dev,
            "{}: forcibly allowing APST due to nvme_rs.force_apst -- use at your own risk\n",
            name
        );
    }
    let enabled = forced.apst_enabled(id.apsta);
    let plan = apst_plan(id.apsta, id.npss, &id.power_states, forced.quirks, params);
    let enable = match plan {
        ApstPlan::Unsupported => return Ok(enabled),
        ApstPlan::InvalidNpss => {
            dev_warn!(dev, "{}: NPSS is invalid; not using APST\n", name);
            return Ok(enabled);
        }
        ApstPlan::Off => {
            dev_dbg!(dev, "{}: APST disabled\n", name);
            0
        }
        ApstPlan::On {
            max_state,
            max_latency_us,
            ..
        } => {
            match max_state {
                Some(state) => dev_dbg!(
                    dev,
                    "{}: APST enabled: max PS = {}, max round-trip latency = {}us\n",
                    name,
                    state,
                    max_latency_us
                ),
                None => dev_dbg!(
                    dev,
                    "{}: APST enabled but no non-operational states are available\n",
                    name
                ),
            }
            1
        }
    };
    let cmd = Command::set_features(FeatureId::AutonomousPowerStateTransition, enable);
    match admin.execute_write(cmd, &plan.table_bytes()) {
        Ok(_) => Ok(enabled),
        Err(AdminError::Status(status)) => {
            dev_err!(dev, "{}: failed to set APST feature: {:?}\n", name, status);
            Ok(enabled)
        }
        Err(err) => Err(err.into()),
    }
}
