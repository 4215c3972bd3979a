// SPDX-License-Identifier: GPL-2.0

//! The controller state machine, as C's `enum nvme_ctrl_state` and
//! `nvme_change_ctrl_state` in `drivers/nvme/host/core.c`: which state a
//! controller is in, and which changes are legal. The sysfs `state`
//! attribute shows it by C's names.

/// A controller's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Being probed; not yet serving I/O.
    New = 0,
    /// Serving I/O.
    Live = 1,
    /// Being reset: I/O waits.
    Resetting = 2,
    /// Disabled by a reset and being brought up again: I/O waits.
    Connecting = 3,
    /// Being removed; its namespaces still take I/O while they go.
    Deleting = 4,
    /// Being removed, its namespaces gone: no more I/O.
    DeletingNoIo = 5,
    /// Given up on: all I/O fails.
    Dead = 6,
}

/// Every state, in C's order.
pub const STATES: [State; 7] = [
    State::New,
    State::Live,
    State::Resetting,
    State::Connecting,
    State::Deleting,
    State::DeletingNoIo,
    State::Dead,
];

impl State {
    /// Whether a controller in this state may change to `to`: exactly C's
    /// `nvme_change_ctrl_state` table. A state never changes to itself.
    pub const fn can_change_to(self, to: State) -> bool {
        use State::*;
        match to {
            Live => matches!(self, Connecting),
            Resetting => matches!(self, New | Live),
            Connecting => matches!(self, New | Resetting),
            Deleting => matches!(self, Live | Resetting | Connecting),
            DeletingNoIo => matches!(self, Deleting | Dead),
            Dead => matches!(self, Deleting),
            New => false,
        }
    }

    /// The name sysfs `state` shows (C `nvme_sysfs_show_state`).
    pub const fn name(self) -> &'static str {
        match self {
            State::New => "new",
            State::Live => "live",
            State::Resetting => "resetting",
            State::Connecting => "connecting",
            State::Deleting => "deleting",
            State::DeletingNoIo => "deleting (no IO)",
            State::Dead => "dead",
        }
    }

    /// The state stored as `value` by `self as u8`; `None` for any other.
    pub const fn from_u8(value: u8) -> Option<State> {
        if (value as usize) < STATES.len() {
            Some(STATES[value as usize])
        } else {
            None
        }
    }

    /// A reset is under way: the controller is disabled or coming back,
    /// and I/O waits for it.
    pub const fn is_resetting(self) -> bool {
        matches!(self, State::Resetting | State::Connecting)
    }

    /// The controller is going away or gone: nothing may start a reset
    /// or a scan any more.
    pub const fn is_going(self) -> bool {
        matches!(self, State::Deleting | State::DeletingNoIo | State::Dead)
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;
    use super::*;

    /// C's table, written out as the legal (from, to) pairs.
    const LEGAL: [(State, State); 11] = [
        (Connecting, Live),
        (New, Resetting),
        (Live, Resetting),
        (New, Connecting),
        (Resetting, Connecting),
        (Live, Deleting),
        (Resetting, Deleting),
        (Connecting, Deleting),
        (Deleting, DeletingNoIo),
        (Dead, DeletingNoIo),
        (Deleting, Dead),
    ];

    #[test]
    fn every_pair_against_c() {
        let mut legal = 0;
        for from in STATES {
            for to in STATES {
                let want = LEGAL.contains(&(from, to));
                assert_eq!(from.can_change_to(to), want, "{from:?} -> {to:?}");
                legal += want as u32;
            }
        }
        assert_eq!(legal, LEGAL.len() as u32);
    }

    #[test]
    fn names_and_values() {
        let names = [
            "new",
            "live",
            "resetting",
            "connecting",
            "deleting",
            "deleting (no IO)",
            "dead",
        ];
        for (i, state) in STATES.iter().enumerate() {
            assert_eq!(*state as u8, i as u8, "C's enum order");
            assert_eq!(State::from_u8(i as u8), Some(*state));
            assert_eq!(state.name(), names[i]);
        }
        assert_eq!(State::from_u8(7), None);
        assert_eq!(State::from_u8(255), None);
    }

    #[test]
    fn lifecycles() {
        // Probe, two resets, removal of a working controller.
        let path = [
            New,
            Connecting,
            Live,
            Resetting,
            Connecting,
            Live,
            Deleting,
            DeletingNoIo,
        ];
        for pair in path.windows(2) {
            assert!(pair[0].can_change_to(pair[1]), "{pair:?}");
        }
        // A failed reset: the controller is removed as dead.
        let path = [Live, Resetting, Connecting, Deleting, Dead, DeletingNoIo];
        for pair in path.windows(2) {
            assert!(pair[0].can_change_to(pair[1]), "{pair:?}");
        }
        // No reset once removal began, nor a second one at once.
        for from in [Resetting, Connecting, Deleting, DeletingNoIo, Dead] {
            assert!(!from.can_change_to(Resetting), "{from:?}");
        }
        assert!(Resetting.is_resetting() && Connecting.is_resetting());
        assert!(!Live.is_resetting() && !New.is_resetting());
        for state in STATES {
            assert_eq!(
                state.is_going(),
                matches!(state, Deleting | DeletingNoIo | Dead)
            );
        }
    }
}
