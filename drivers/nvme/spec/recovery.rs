// SPDX-License-Identifier: GPL-2.0

//! What to do about a command that timed out (C `nvme_timeout`), once a
//! look at its completion queue found no missed completion: abort it
//! first; reset the controller if it was aborted already or the controller
//! reports a fatal error; give up on a device that is gone.

use super::regs::Csts;

/// The next recovery step for a timed-out command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutStep {
    /// Send an Abort for it and give it another timeout period.
    Abort,
    /// Disable and reset the controller, which cancels every command.
    Reset(ResetReason),
    /// The device no longer answers (registers read all ones): fail the
    /// I/O; a reset cannot help.
    FailAll,
}

/// Why a timeout resets the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetReason {
    /// `CSTS.CFS`: the controller hit a fatal error.
    ControllerFatal,
    /// The command timed out again after its Abort.
    AbortedBefore,
}

/// Decides the step for a timed-out command, given the controller status
/// and whether an Abort already went out for this command.
pub const fn timeout_step(csts: Csts, already_aborted: bool) -> TimeoutStep {
    if csts.device_gone() {
        TimeoutStep::FailAll
    } else if csts.fatal() {
        TimeoutStep::Reset(ResetReason::ControllerFatal)
    } else if already_aborted {
        TimeoutStep::Reset(ResetReason::AbortedBefore)
    } else {
        TimeoutStep::Abort
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY: Csts = Csts(1);
    const FATAL: Csts = Csts(1 | 2);
    const GONE: Csts = Csts(u32::MAX);

    #[test]
    fn first_timeout_aborts() {
        assert_eq!(timeout_step(READY, false), TimeoutStep::Abort);
        // Not ready (being reset by someone else) is not itself a reason.
        assert_eq!(timeout_step(Csts(0), false), TimeoutStep::Abort);
    }

    #[test]
    fn second_timeout_resets() {
        assert_eq!(
            timeout_step(READY, true),
            TimeoutStep::Reset(ResetReason::AbortedBefore)
        );
    }

    #[test]
    fn fatal_status_resets_at_once() {
        for aborted in [false, true] {
            assert_eq!(
                timeout_step(FATAL, aborted),
                TimeoutStep::Reset(ResetReason::ControllerFatal)
            );
        }
    }

    #[test]
    fn gone_device_fails_whatever_else() {
        for aborted in [false, true] {
            assert_eq!(timeout_step(GONE, aborted), TimeoutStep::FailAll);
        }
    }
}
