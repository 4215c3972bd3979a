// SPDX-License-Identifier: GPL-2.0

//! A controller's current state, changed only as
//! [`crate::spec::ctrl_state`] allows (C's `ctrl->state` under
//! `nvme_change_ctrl_state`).

use crate::spec::ctrl_state::State;
use core::sync::atomic::{AtomicU8, Ordering};

/// A controller's state.
///
/// # Invariants
///
/// The word always holds a [`State`] as `State as u8`, and changes only
/// along [`State::can_change_to`].
pub struct CtrlState(AtomicU8);

impl CtrlState {
    /// A controller being probed ([`State::New`]).
    pub const fn new() -> Self {
        // INVARIANT: a state's own value.
        CtrlState(AtomicU8::new(State::New as u8))
    }

    /// The state now. It may change as soon as it is read; a decision that
    /// must hold while it acts is made by [`Self::change`] instead.
    pub fn get(&self) -> State {
        // The word only ever holds a state's value (type invariant).
        State::from_u8(self.0.load(Ordering::Acquire)).unwrap_or(State::Dead)
    }

    /// Changes to `to` if the state machine allows it from the state now,
    /// atomically with that check; returns whether it changed. Whoever
    /// changes the state owns what the new state means (a reset, a
    /// removal) until they change it again.
    pub fn change(&self, to: State) -> bool {
        let mut now = self.0.load(Ordering::Acquire);
        loop {
            let legal = State::from_u8(now).is_some_and(|from| from.can_change_to(to));
            if !legal {
                return false;
            }
            // INVARIANT: a legal change to a state's own value.
            match self
                .0
                .compare_exchange_weak(now, to as u8, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(seen) => now = seen,
            }
        }
    }
}

impl Default for CtrlState {
    fn default() -> Self {
        Self::new()
    }
}
