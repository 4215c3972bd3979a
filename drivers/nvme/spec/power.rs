// SPDX-License-Identifier: GPL-2.0

//! System sleep: which way a controller goes to sleep and comes back, as
//! C 6.12's `nvme_suspend` and `nvme_resume` decide it (`pci.c`).
//!
//! There are two ways. The full one shuts the controller down (normal
//! shutdown notification) and resets it on resume, as after power loss;
//! hibernation always takes it, and so does suspend whenever the platform
//! firmware takes part (S3), the controller has no power state but the
//! first, or the link cannot go down on its own (no ASPM). Otherwise the
//! controller stays enabled with its queues, in its deepest power state
//! (Set Features, Power Management), which comes back faster.

/// What decides the way a system suspend takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuspendFacts {
    /// The platform firmware finishes the suspend (S3 through ACPI), and
    /// may cut the controller's power (C `pm_suspend_via_firmware`).
    pub via_firmware: bool,
    /// Identify Controller's NPSS: the deepest power state, 0 if there is
    /// only the first.
    pub npss: u8,
    /// The link's Active State Power Management is enabled.
    pub aspm_enabled: bool,
    /// The controller is known to misbehave in a low power state (C
    /// `NVME_QUIRK_SIMPLE_SUSPEND`).
    pub simple_suspend_quirk: bool,
}

/// The way a system suspend takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuspendPath {
    /// Shut the controller down; reset it on resume.
    Shutdown,
    /// Keep it enabled, in power state `state` (NPSS), and restore the
    /// power state it had on resume.
    LowPower {
        /// The power state to enter.
        state: u8,
    },
}

/// The way a system suspend takes (C `nvme_suspend`'s first test).
pub const fn suspend_path(facts: SuspendFacts) -> SuspendPath {
    if facts.via_firmware || facts.npss == 0 || !facts.aspm_enabled || facts.simple_suspend_quirk {
        SuspendPath::Shutdown
    } else {
        SuspendPath::LowPower { state: facts.npss }
    }
}

/// The way back from a system suspend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumePath {
    /// Reset the controller: it was shut down, or did not keep its state.
    Reset,
    /// Set power state `state` again, the one before the suspend; a
    /// failure to do so resets.
    RestorePowerState {
        /// The power state the controller was in before.
        state: u32,
    },
}

/// The way back, given the power state saved when the controller went into
/// a low power state (`None` where it was shut down): C `nvme_resume`.
pub const fn resume_path(saved_state: Option<u32>) -> ResumePath {
    match saved_state {
        Some(state) => ResumePath::RestorePowerState { state },
        None => ResumePath::Reset,
    }
}

/// The Power Management feature's power state field (Get and Set
/// Features, FID 02h, bits 4:0).
pub const fn power_state(result: u32) -> u32 {
    result & 0x1f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(via_firmware: bool, npss: u8, aspm_enabled: bool, quirk: bool) -> SuspendFacts {
        SuspendFacts {
            via_firmware,
            npss,
            aspm_enabled,
            simple_suspend_quirk: quirk,
        }
    }

    /// C's rule, written as C writes it, over every combination.
    fn c_takes_shutdown(f: SuspendFacts) -> bool {
        f.via_firmware || f.npss == 0 || !f.aspm_enabled || f.simple_suspend_quirk
    }

    #[test]
    fn suspend_path_follows_c_for_every_combination() {
        for via_firmware in [false, true] {
            for npss in [0u8, 1, 4, 31] {
                for aspm in [false, true] {
                    for quirk in [false, true] {
                        let f = facts(via_firmware, npss, aspm, quirk);
                        let expected = if c_takes_shutdown(f) {
                            SuspendPath::Shutdown
                        } else {
                            SuspendPath::LowPower { state: npss }
                        };
                        assert_eq!(suspend_path(f), expected, "{f:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn typical_machines() {
        // S3 on a desktop: firmware cuts power, so shut down.
        assert_eq!(
            suspend_path(facts(true, 4, true, false)),
            SuspendPath::Shutdown
        );
        // s2idle on a laptop with ASPM: the deepest power state.
        assert_eq!(
            suspend_path(facts(false, 4, true, false)),
            SuspendPath::LowPower { state: 4 }
        );
        // QEMU's controller: one power state only.
        assert_eq!(
            suspend_path(facts(false, 0, true, false)),
            SuspendPath::Shutdown
        );
        // ASPM off (the test kernel has no CONFIG_PCIEASPM).
        assert_eq!(
            suspend_path(facts(false, 4, false, false)),
            SuspendPath::Shutdown
        );
    }

    #[test]
    fn resume_restores_or_resets() {
        assert_eq!(resume_path(None), ResumePath::Reset);
        assert_eq!(
            resume_path(Some(0)),
            ResumePath::RestorePowerState { state: 0 }
        );
        assert_eq!(power_state(0xffff_ffe3), 3);
    }
}
