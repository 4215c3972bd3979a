// SPDX-License-Identifier: GPL-2.0

//! Autonomous Power State Transitions: the table that tells the controller
//! which non-operational power state to drop to after how long idle, as
//! C 6.12's `nvme_configure_apst` builds it (`core.c`), for the Set
//! Features command (FID 0Ch) that turns APST on or off.

use super::identify::PowerState;
use super::quirks::Quirks;

/// Feature Identifier of Autonomous Power State Transition.
pub const FEATURE_APST: u8 = 0x0c;

/// What bounds the table: C's `nvme_core` parameters of the same names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApstParams {
    /// Deepest exit latency allowed, in microseconds; 0 turns APST off
    /// (`default_ps_max_latency_us`).
    pub max_latency_us: u64,
    /// Idle time before a state of total latency up to
    /// `primary_latency_tol_us` (`apst_primary_timeout_ms`); with
    /// `primary_latency_tol_us`, 0 means the older rule, total latency / 20.
    pub primary_timeout_ms: u64,
    /// Idle time before a deeper state, up to `secondary_latency_tol_us`
    /// (`apst_secondary_timeout_ms`); 0: no secondary state.
    pub secondary_timeout_ms: u64,
    /// `apst_primary_latency_tol_us`.
    pub primary_latency_tol_us: u64,
    /// `apst_secondary_latency_tol_us`.
    pub secondary_latency_tol_us: u64,
}

impl ApstParams {
    /// C's defaults.
    pub const DEFAULT: ApstParams = ApstParams {
        max_latency_us: 100_000,
        primary_timeout_ms: 100,
        secondary_timeout_ms: 2000,
        primary_latency_tol_us: 15_000,
        secondary_latency_tol_us: 100_000,
    };
}

/// What to do about APST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApstPlan {
    /// The controller has no APST: nothing to send.
    Unsupported,
    /// NPSS is beyond the 32 descriptors: nothing to send (C warns).
    InvalidNpss,
    /// Set Features with APSTE clear and an empty table: APST quirked off,
    /// or no latency allowed.
    Off,
    /// Set Features with APSTE set and `table`.
    On {
        /// The 32 entries (Idle Transition Power State in bits 7:3, Idle
        /// Time Prior to Transition in ms in bits 31:8).
        table: [u64; 32],
        /// The deepest state used, if any is.
        max_state: Option<u8>,
        /// The longest entry plus exit latency of the states used.
        max_latency_us: u64,
    },
}

impl ApstPlan {
    /// The table as the command's 256 data bytes (little endian entries).
    pub fn table_bytes(&self) -> [u8; 256] {
        let mut bytes = [0u8; 256];
        if let ApstPlan::On { table, .. } = self {
            for (chunk, entry) in bytes.chunks_exact_mut(8).zip(table) {
                chunk.copy_from_slice(&entry.to_le_bytes());
            }
        }
        bytes
    }
}

/// The quirks APST is planned with once `force_apst` (C's `nvme_core`
/// parameter) has had its say, as C's `nvme_init_identify` applies it:
/// forced, `NO_DEEPEST_PS` goes, and `NO_APST` goes where the controller
/// has APST at all. Each override is reported, for C's warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForcedApst {
    /// The quirks to plan with.
    pub quirks: Quirks,
    /// `NO_DEEPEST_PS` was overridden (C: "forcibly allowing all power
    /// states due to nvme_core.force_apst -- use at your own risk").
    pub all_states_forced: bool,
    /// `NO_APST` was overridden (C: "forcibly allowing APST due to
    /// nvme_core.force_apst -- use at your own risk").
    pub apst_forced: bool,
}

/// What `force` makes of a controller's `quirks`, the controller saying
/// `apsta`.
pub fn force_apst(quirks: Quirks, apsta: bool, force: bool) -> ForcedApst {
    let all_states_forced = force && quirks.has(Quirks::NO_DEEPEST_PS);
    let apst_forced = force && apsta && quirks.has(Quirks::NO_APST);
    let mut cleared = 0;
    if all_states_forced {
        cleared |= Quirks::NO_DEEPEST_PS.0;
    }
    if apst_forced {
        cleared |= Quirks::NO_APST.0;
    }
    ForcedApst {
        quirks: Quirks(quirks.0 & !cleared),
        all_states_forced,
        apst_forced,
    }
}

impl ForcedApst {
    /// Whether APST is on for a controller that says `apsta` (C
    /// `ctrl->apst_enabled`): it has APST and the quirks left it on.
    pub fn apst_enabled(&self, apsta: bool) -> bool {
        apsta && !self.quirks.has(Quirks::NO_APST)
    }
}

/// The PM QoS latency tolerance of no constraint (C
/// `PM_QOS_LATENCY_TOLERANCE_NO_CONSTRAINT`): what the tolerance becomes
/// when its user request goes.
pub const LATENCY_TOLERANCE_NO_CONSTRAINT: i32 = -1;

/// The PM QoS latency of "any" (C `PM_QOS_LATENCY_ANY`, `S32_MAX`): what
/// writing `any` to `pm_qos_latency_tolerance_us` sets.
pub const LATENCY_ANY: i32 = i32::MAX;

/// The deepest exit latency APST may use (C `ctrl->ps_max_latency_us`)
/// under a PM QoS latency tolerance of `tolerance_us` (C
/// `nvme_set_latency_tolerance`): none or any is no limit; other values
/// are taken as they are, negative ones sign-extended as C's `u64 = s32`
/// (the PM QoS core passes none but -1).
pub fn ps_max_latency_us(tolerance_us: i32) -> u64 {
    match tolerance_us {
        LATENCY_TOLERANCE_NO_CONSTRAINT | LATENCY_ANY => u64::MAX,
        us => us as u64,
    }
}

/// The user latency tolerance a controller starts with, from
/// `default_ps_max_latency_us` (C `nvme_add_ctrl`: at most `S32_MAX`).
pub fn initial_latency_tolerance(default_us: u64) -> i32 {
    default_us.min(i32::MAX as u64) as i32
}

/// The plan for a controller that says `apsta`, `npss` and `states`, with
/// `quirks`, under `params` (C `nvme_configure_apst`).
pub fn apst_plan(
    apsta: bool,
    npss: u8,
    states: &[PowerState; 32],
    quirks: Quirks,
    params: &ApstParams,
) -> ApstPlan {
    if !apsta {
        return ApstPlan::Unsupported;
    }
    if npss > 31 {
        return ApstPlan::InvalidNpss;
    }
    if quirks.has(Quirks::NO_APST) || params.max_latency_us == 0 {
        return ApstPlan::Off;
    }
    let mut table = [0u64; 32];
    let mut target = 0u64;
    let mut max_state = None;
    let mut max_latency_us = 0u64;
    // Which timeout the last state used took (C `last_lt_index`): each is
    // used once, for the shallowest state that fits it.
    let mut last_tolerance = u32::MAX;
    // From the lowest power (deepest) state up: each state falls to the
    // deepest usable state below it.
    for state in (0..=npss as usize).rev() {
        if target != 0 {
            table[state] = target;
        }
        if state == npss as usize && quirks.has(Quirks::NO_DEEPEST_PS) {
            continue;
        }
        let ps = &states[state];
        if !ps.non_operational {
            continue;
        }
        let exit = u64::from(ps.exit_latency_us);
        if exit > params.max_latency_us {
            continue;
        }
        let total = exit + u64::from(ps.entry_latency_us);
        let transition_ms = if params.primary_timeout_ms != 0 && params.primary_latency_tol_us != 0
        {
            match transition_time(total, &mut last_tolerance, params) {
                Some(ms) => ms,
                None => continue,
            }
        } else {
            ((total + 19) / 20).min((1 << 24) - 1)
        };
        target = (state as u64) << 3 | transition_ms << 8;
        if max_state.is_none() {
            max_state = Some(state as u8);
        }
        max_latency_us = max_latency_us.max(total);
    }
    ApstPlan::On {
        table,
        max_state,
        max_latency_us,
    }
}

/// C `nvme_apst_get_transition_time`: the idle time before a state of
/// `total` latency, if its tolerance is one not taken yet.
fn transition_time(total: u64, last: &mut u32, params: &ApstParams) -> Option<u64> {
    if total <= params.primary_latency_tol_us {
        if *last == 1 {
            return None;
        }
        *last = 1;
        Some(params.primary_timeout_ms)
    } else if params.secondary_timeout_ms != 0 && total <= params.secondary_latency_tol_us {
        if *last <= 2 {
            return None;
        }
        *last = 2;
        Some(params.secondary_timeout_ms)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> PowerState {
        PowerState::default()
    }

    fn nop(entry_latency_us: u32, exit_latency_us: u32) -> PowerState {
        PowerState {
            non_operational: true,
            entry_latency_us,
            exit_latency_us,
        }
    }

    fn states(list: &[PowerState]) -> [PowerState; 32] {
        let mut all = [PowerState::default(); 32];
        all[..list.len()].copy_from_slice(list);
        all
    }

    fn entry(state: u64, ms: u64) -> u64 {
        state << 3 | ms << 8
    }

    /// A Samsung 970 EVO's descriptors: three operational states, then
    /// PS3 (entry 210 us, exit 1200 us) and PS4 (2000 us, 8000 us).
    fn samsung_970() -> [PowerState; 32] {
        states(&[op(), op(), op(), nop(210, 1200), nop(2000, 8000)])
    }

    #[test]
    fn samsung_970_with_c_defaults() {
        let plan = apst_plan(true, 4, &samsung_970(), Quirks::NONE, &ApstParams::DEFAULT);
        // PS4 (10 ms total) is within the primary tolerance: 100 ms idle.
        // PS3 would take the primary tolerance again, so it is skipped,
        // and every state above falls to PS4 after 100 ms.
        let mut table = [0u64; 32];
        for slot in table.iter_mut().take(4) {
            *slot = entry(4, 100);
        }
        assert_eq!(
            plan,
            ApstPlan::On {
                table,
                max_state: Some(4),
                max_latency_us: 10_000,
            }
        );
    }

    #[test]
    fn deep_state_takes_the_secondary_timeout() {
        // An Intel 660p-like set: PS3 5 ms + 5 ms, PS4 5 ms + 55 ms.
        let s = states(&[op(), op(), op(), nop(5000, 5000), nop(5000, 55_000)]);
        let plan = apst_plan(true, 4, &s, Quirks::NONE, &ApstParams::DEFAULT);
        // PS4 (60 ms) takes the secondary tolerance (2 s idle); PS3 (10 ms)
        // the primary (100 ms), so PS0-PS2 fall to PS3, and PS3 to PS4.
        let mut table = [0u64; 32];
        for slot in table.iter_mut().take(3) {
            *slot = entry(3, 100);
        }
        table[3] = entry(4, 2000);
        assert_eq!(
            plan,
            ApstPlan::On {
                table,
                max_state: Some(4),
                max_latency_us: 60_000,
            }
        );
    }

    #[test]
    fn latency_limit_and_quirks() {
        let s = samsung_970();
        // Exit latencies over the limit are left out: only PS3 (1200 us).
        let tight = ApstParams {
            max_latency_us: 5000,
            ..ApstParams::DEFAULT
        };
        let ApstPlan::On {
            table, max_state, ..
        } = apst_plan(true, 4, &s, Quirks::NONE, &tight)
        else {
            panic!("APST on");
        };
        assert_eq!((table[0], table[3], table[4]), (entry(3, 100), 0, 0));
        assert_eq!(max_state, Some(3));
        // NO_DEEPEST_PS: the same without PS4.
        let ApstPlan::On { max_state, .. } =
            apst_plan(true, 4, &s, Quirks::NO_DEEPEST_PS, &ApstParams::DEFAULT)
        else {
            panic!("APST on");
        };
        assert_eq!(max_state, Some(3));
        // Off: quirked, or no latency allowed; nothing without APSTA.
        assert_eq!(
            apst_plan(true, 4, &s, Quirks::NO_APST, &ApstParams::DEFAULT),
            ApstPlan::Off
        );
        let none = ApstParams {
            max_latency_us: 0,
            ..ApstParams::DEFAULT
        };
        assert_eq!(apst_plan(true, 4, &s, Quirks::NONE, &none), ApstPlan::Off);
        assert_eq!(
            apst_plan(false, 4, &s, Quirks::NONE, &ApstParams::DEFAULT),
            ApstPlan::Unsupported
        );
        assert_eq!(
            apst_plan(true, 32, &s, Quirks::NONE, &ApstParams::DEFAULT),
            ApstPlan::InvalidNpss
        );
    }

    #[test]
    fn older_rule_without_tolerances() {
        // Without the primary timeout: idle time is total latency / 20,
        // rounded up, for every usable state.
        let old = ApstParams {
            primary_timeout_ms: 0,
            ..ApstParams::DEFAULT
        };
        let ApstPlan::On { table, .. } = apst_plan(true, 4, &samsung_970(), Quirks::NONE, &old)
        else {
            panic!("APST on");
        };
        // PS3: (1410 + 19) / 20 = 71 ms; PS4: (10000 + 19) / 20 = 500 ms.
        assert_eq!(table[0], entry(3, 71));
        assert_eq!(table[3], entry(4, 500));
        assert_eq!(table[4], 0);
    }

    #[test]
    fn no_usable_state_still_turns_apst_on() {
        // C sends APSTE set with an empty table when no state qualifies.
        let s = states(&[op(), op()]);
        assert_eq!(
            apst_plan(true, 1, &s, Quirks::NONE, &ApstParams::DEFAULT),
            ApstPlan::On {
                table: [0; 32],
                max_state: None,
                max_latency_us: 0,
            }
        );
    }

    #[test]
    fn table_bytes_are_little_endian() {
        let mut table = [0u64; 32];
        table[0] = entry(4, 100);
        let plan = ApstPlan::On {
            table,
            max_state: Some(4),
            max_latency_us: 1,
        };
        let bytes = plan.table_bytes();
        assert_eq!(&bytes[..8], &entry(4, 100).to_le_bytes());
        assert!(bytes[8..].iter().all(|&b| b == 0));
        assert_eq!(ApstPlan::Off.table_bytes(), [0u8; 256]);
    }

    #[test]
    fn force_apst_overrides_the_quirks_as_c() {
        let both = Quirks::NO_APST | Quirks::NO_DEEPEST_PS;
        let other = Quirks::BOGUS_NID;
        // Not forced: nothing changes.
        assert_eq!(
            force_apst(both | other, true, false),
            ForcedApst {
                quirks: both | other,
                all_states_forced: false,
                apst_forced: false
            }
        );
        // Forced: both go, other quirks stay.
        assert_eq!(
            force_apst(both | other, true, true),
            ForcedApst {
                quirks: other,
                all_states_forced: true,
                apst_forced: true
            }
        );
        // Without APSTA, C leaves APST off: NO_APST stays, no warning;
        // NO_DEEPEST_PS goes all the same.
        assert_eq!(
            force_apst(both, false, true),
            ForcedApst {
                quirks: Quirks::NO_APST,
                all_states_forced: true,
                apst_forced: false
            }
        );
        // Nothing quirked off: nothing to force, nothing reported.
        assert_eq!(
            force_apst(other, true, true),
            ForcedApst {
                quirks: other,
                all_states_forced: false,
                apst_forced: false
            }
        );
        // Forced, a NO_APST controller gets a table.
        let forced = force_apst(Quirks::NO_APST, true, true);
        assert!(matches!(
            apst_plan(true, 4, &samsung_970(), forced.quirks, &ApstParams::DEFAULT),
            ApstPlan::On { .. }
        ));
    }

    #[test]
    fn latency_tolerance_maps_as_c() {
        assert_eq!(ps_max_latency_us(LATENCY_TOLERANCE_NO_CONSTRAINT), u64::MAX);
        assert_eq!(ps_max_latency_us(LATENCY_ANY), u64::MAX);
        assert_eq!(ps_max_latency_us(0), 0);
        assert_eq!(ps_max_latency_us(100_000), 100_000);
        assert_eq!(ps_max_latency_us(-2), u64::MAX - 1);
        assert_eq!(initial_latency_tolerance(100_000), 100_000);
        assert_eq!(initial_latency_tolerance(0), 0);
        // C: min(default_ps_max_latency_us, S32_MAX), which is "any".
        assert_eq!(initial_latency_tolerance(u64::from(u32::MAX)), LATENCY_ANY);
        assert_eq!(
            ps_max_latency_us(initial_latency_tolerance(u64::MAX)),
            u64::MAX
        );
    }

    #[test]
    fn apst_enabled_as_c() {
        // C: NO_APST ? force && apsta : apsta.
        for (quirks, apsta, force, enabled) in [
            (Quirks::NONE, true, false, true),
            (Quirks::NONE, false, true, false),
            (Quirks::NO_APST, true, false, false),
            (Quirks::NO_APST, true, true, true),
            (Quirks::NO_APST, false, true, false),
        ] {
            assert_eq!(
                force_apst(quirks, apsta, force).apst_enabled(apsta),
                enabled,
                "{quirks:?} apsta {apsta} force {force}"
            );
        }
    }
}
