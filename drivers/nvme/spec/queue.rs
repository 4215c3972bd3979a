// SPDX-License-Identifier: GPL-2.0

//! Ring arithmetic for submission and completion queues: tail and head
//! indices that wrap at the queue depth, and the completion phase tag that
//! flips on every wrap (NVMe Base Specification 2.0, section 3.3.1).

/// Where the host writes the next submission queue entry.
///
/// # Invariants
///
/// `tail < depth` and `depth >= 2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqCursor {
    tail: u16,
    depth: u16,
}

impl SqCursor {
    /// A cursor at the start of an empty queue of `depth` entries, or `None`
    /// if the depth is below the minimum of two.
    pub const fn new(depth: u16) -> Option<Self> {
        if depth < 2 {
            return None;
        }
        // INVARIANT: `tail` is 0 and `depth >= 2`.
        Some(SqCursor { tail: 0, depth })
    }

    /// The slot the next command goes into.
    pub const fn tail(self) -> u16 {
        self.tail
    }

    /// The cursor once the slot at the tail is filled.
    pub const fn next(self) -> Self {
        // INVARIANT: the tail wraps to 0 at `depth`.
        SqCursor {
            tail: if self.tail + 1 == self.depth {
                0
            } else {
                self.tail + 1
            },
            depth: self.depth,
        }
    }

    /// Moves past the slot just filled; the new tail is what the doorbell gets.
    pub fn advance(&mut self) -> u16 {
        *self = self.next();
        self.tail
    }

    /// Whether the queue is full given the last head the controller reported.
    /// A queue of `depth` entries holds at most `depth - 1` commands, since
    /// head equal to tail means empty.
    pub const fn is_full(self, head: u16) -> bool {
        self.next().tail == head
    }
}

/// Where the host reads the next completion queue entry, and the phase tag
/// that marks that entry as new.
///
/// # Invariants
///
/// `head < depth`, `depth >= 2` and `phase` is 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CqCursor {
    head: u16,
    depth: u16,
    /// The phase tag, 0 or 1, as the low bit of a status field holds it:
    /// compared and flipped as a number, it costs no conversions in the
    /// reaping loop.
    phase: u16,
}

impl CqCursor {
    /// A cursor at the start of a freshly created completion queue, whose
    /// zeroed entries have phase 0: the first pass of new entries has phase 1.
    pub const fn new(depth: u16) -> Option<Self> {
        if depth < 2 {
            return None;
        }
        // INVARIANT: `head` is 0 and `depth >= 2`.
        Some(CqCursor {
            head: 0,
            depth,
            phase: 1,
        })
    }

    /// The slot to look at next.
    pub const fn head(self) -> u16 {
        self.head
    }

    /// The phase a new entry at [`Self::head`] carries.
    pub const fn phase(self) -> bool {
        self.phase != 0
    }

    /// Whether an entry whose status field is `status_field` is new.
    pub const fn is_new(self, status_field: u16) -> bool {
        status_field & 1 == self.phase
    }

    /// Head and phase packed in one word, so an interrupt handler can keep
    /// the cursor in an atomic between runs.
    pub const fn pack(self) -> u32 {
        self.head as u32 | (self.phase as u32) << 16
    }

    /// The cursor [`Self::pack`] packed, for a queue of `depth` entries, or
    /// `None` if the word cannot come from such a queue.
    pub const fn unpack(depth: u16, packed: u32) -> Option<Self> {
        let head = packed as u16;
        if depth < 2 || head >= depth || packed >> 17 != 0 {
            return None;
        }
        // INVARIANT: checked just above.
        Some(CqCursor {
            head,
            depth,
            phase: (packed >> 16) as u16,
        })
    }

    /// Moves past the entry just consumed, flipping the phase on wrap.
    pub fn advance(&mut self) {
        if self.head + 1 == self.depth {
            // INVARIANT: wraps to 0.
            self.head = 0;
            self.phase ^= 1;
        } else {
            self.head += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_below_two_is_refused() {
        assert!(SqCursor::new(0).is_none());
        assert!(SqCursor::new(1).is_none());
        assert!(CqCursor::new(1).is_none());
        assert!(SqCursor::new(2).is_some());
    }

    #[test]
    fn sq_wraps_at_depth() {
        for depth in [2u16, 3, 32, 1024, u16::MAX] {
            let mut sq = SqCursor::new(depth).unwrap();
            for i in 1..=(2 * depth as u32 + 1) {
                assert_eq!(sq.advance() as u32, i % depth as u32);
            }
        }
    }

    #[test]
    fn sq_full_leaves_one_slot_free() {
        let depth = 8;
        let mut sq = SqCursor::new(depth).unwrap();
        let head = 0;
        let mut submitted = 0;
        while !sq.is_full(head) {
            sq.advance();
            submitted += 1;
        }
        assert_eq!(submitted, depth - 1);
        // Once the controller consumes one, there is room again.
        assert!(!sq.is_full(1));
    }

    #[test]
    fn sq_full_at_every_head() {
        for depth in [2u16, 5, 64] {
            for head in 0..depth {
                let mut sq = SqCursor::new(depth).unwrap();
                // Fill from `head` (simulating an empty queue at `head`).
                while sq.tail() != head {
                    sq.advance();
                }
                let mut n = 0;
                while !sq.is_full(head) {
                    sq.advance();
                    n += 1;
                }
                assert_eq!(n, depth - 1);
            }
        }
    }

    #[test]
    fn cq_phase_flips_once_per_wrap() {
        for depth in [2u16, 3, 16, 4096] {
            let mut cq = CqCursor::new(depth).unwrap();
            assert!(cq.phase());
            for lap in 0..4u32 {
                let expected = lap % 2 == 0;
                for slot in 0..depth {
                    assert_eq!(cq.head(), slot);
                    assert_eq!(cq.phase(), expected);
                    cq.advance();
                }
            }
        }
    }

    #[test]
    fn cq_is_new_matches_phase() {
        let mut cq = CqCursor::new(2).unwrap();
        // Fresh queue memory is zero: nothing is new.
        assert!(!cq.is_new(0));
        assert!(cq.is_new(1));
        // Any status bits besides the phase do not matter.
        assert!(cq.is_new(0xfffe | 1));
        cq.advance();
        cq.advance();
        // Second lap: entries left from the first lap (phase 1) are old.
        assert!(!cq.is_new(1));
        assert!(cq.is_new(0));
    }

    #[test]
    fn cq_pack_round_trips() {
        let mut cq = CqCursor::new(5).unwrap();
        for _ in 0..12 {
            assert_eq!(CqCursor::unpack(5, cq.pack()), Some(cq));
            cq.advance();
        }
        assert_eq!(CqCursor::unpack(5, 5), None, "head beyond depth");
        assert_eq!(CqCursor::unpack(5, 1 << 17), None, "stray bits");
        assert_eq!(CqCursor::unpack(1, 0), None, "depth below two");
    }

    /// A model of a controller posting completions into a ring, checked
    /// against the cursor over many laps with varying batch sizes.
    #[test]
    fn cq_consumes_exactly_what_was_posted() {
        let depth = 7u16;
        let mut ring = [0u16; 7];
        let mut device_tail = 0u16;
        let mut device_phase = true;
        let mut cq = CqCursor::new(depth).unwrap();
        let mut posted = 0u32;
        let mut consumed = 0u32;
        for batch in (0..200u32).map(|i| (i * 7 + 3) % depth as u32) {
            // The device never posts more than the ring holds unconsumed.
            let room = depth as u32 - 1 - (posted - consumed);
            for _ in 0..batch.min(room) {
                ring[device_tail as usize] = device_phase as u16;
                device_tail += 1;
                if device_tail == depth {
                    device_tail = 0;
                    device_phase = !device_phase;
                }
                posted += 1;
            }
            while cq.is_new(ring[cq.head() as usize]) {
                cq.advance();
                consumed += 1;
            }
            assert_eq!(consumed, posted);
        }
        assert!(posted > 100);
    }
}
