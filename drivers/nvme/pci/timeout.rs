// SPDX-License-Identifier: GPL-2.0

//! I/O command timeouts (C `nvme_timeout`): look for a completion whose
//! interrupt was missed; otherwise abort the command and give it another
//! period; if it times out again, or the controller reports a fatal error,
//! reset the controller, which cancels every command (block I/O is retried,
//! user commands fail with Command Aborted By Host). A device that is gone
//! fails its I/O for good.

use super::queue_set::IoQueues;
use super::request::NvmeOps;
use crate::kernel_ext::block::request::Request;
use crate::kernel_ext::block::tag_set::TimeoutAction;
use crate::spec::recovery::{timeout_step, ResetReason, TimeoutStep};
use crate::spec::regs::Csts;
use crate::{dev_err, dev_warn};

impl IoQueues {
    /// Handles the timeout of `rq`, one of this set's requests.
    pub(super) fn timed_out(&self, rq: &Request<NvmeOps>) -> TimeoutAction {
        let dev = self.pdev().as_dev();
        let name = self.ctrl.instance;
        let (Some(hq), true) = (rq.hw_queue(), rq.is_in_flight()) else {
            return TimeoutAction::Done;
        };
        let queue = hq.data();
        let qid = queue.qid();
        // Taken before looking, so a reset that races this one is noticed.
        let resets = self.ctrl.resets();

        queue.reap_missed(|tag| hq.find_request(tag));
        if !rq.is_in_flight() {
            dev_warn!(
                dev,
                "nvme{}: I/O tag {} (queue {}) timed out, but had completed: interrupt missed\n",
                name,
                rq.tag(),
                qid
            );
            return TimeoutAction::Done;
        }

        let shared = rq.shared();
        let cid = shared.cid(rq);
        // A register read that fails is as good as a device that is gone.
        let csts = self.regs.csts().unwrap_or(Csts(u32::MAX));
        match timeout_step(csts, shared.mark_aborted()) {
            TimeoutStep::Abort => {
                dev_warn!(
                    dev,
                    "nvme{}: I/O tag {} (queue {}, command ID {:#06x}) timed out; aborting\n",
                    name,
                    rq.tag(),
                    qid,
                    cid
                );
                match self.ctrl.abort_command(qid, cid) {
                    // Aborted: its completion (Abort Requested) follows.
                    // Not aborted: it may still complete; if not, the next
                    // timeout resets.
                    Ok(_) => TimeoutAction::ResetTimer,
                    Err(err) => {
                        dev_warn!(
                            dev,
                            "nvme{}: Abort failed ({:?}); resetting controller\n",
                            name,
                            err
                        );
                        self.reset_for(rq, resets)
                    }
                }
            }
            TimeoutStep::Reset(reason) => {
                let why = match reason {
                    ResetReason::ControllerFatal => "controller fatal status",
                    ResetReason::AbortedBefore => "timed out again after its abort",
                };
                dev_warn!(
                    dev,
                    "nvme{}: I/O tag {} (queue {}, command ID {:#06x}): {} (CSTS {:#x}); resetting controller\n",
                    name,
                    rq.tag(),
                    qid,
                    cid,
                    why,
                    csts.0
                );
                self.reset_for(rq, resets)
            }
            TimeoutStep::FailAll => {
                dev_err!(
                    dev,
                    "nvme{}: I/O tag {} (queue {}) timed out and the device is gone; failing I/O\n",
                    name,
                    rq.tag(),
                    qid
                );
                if !self.ctrl.fail_io() {
                    self.give_up(rq);
                }
                TimeoutAction::Done
            }
        }
    }

    /// Resets the controller for timed-out `rq`. A successful reset
    /// cancelled it, and so did a reset that raced this one (the request
    /// may be in flight again by now, a new dispatch with its own timer);
    /// a failed one failed all I/O.
    fn reset_for(&self, rq: &Request<NvmeOps>, resets: u32) -> TimeoutAction {
        match self.ctrl.reset_since(resets) {
            Ok(()) if rq.is_in_flight() => TimeoutAction::ResetTimer,
            Ok(()) => TimeoutAction::Done,
            Err(_) => {
                // Either the reset failed, and failed all I/O with it, or
                // teardown has begun and took the reset away: the request
                // must not wait for a controller nobody will bring back.
                self.give_up(rq);
                TimeoutAction::Done
            }
        }
    }

    /// Ends `rq` and every later request with an error, the controller
    /// being beyond reach.
    fn give_up(&self, rq: &Request<NvmeOps>) {
        self.pdev().clear_master();
        self.mark_dead();
        if rq.is_in_flight() {
            rq.shared().abort(rq);
        }
    }
}
