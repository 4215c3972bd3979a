// SPDX-License-Identifier: GPL-2.0

//! Shadow doorbells (NVMe Base Specification 2.0, Doorbell Buffer Config,
//! for emulated controllers): the host writes each new tail or head to a
//! shadow doorbell buffer in memory, and writes the real, trapping doorbell
//! register only when the controller's event index for that doorbell says
//! it wants to hear (C `nvme_dbbuf_*`). The two buffers have the doorbell
//! registers' layout, starting at offset 0 instead of 0x1000.

use super::regs::{cq_head_doorbell, offset, sq_tail_doorbell};

/// Identify Controller OACS bit: the controller supports Doorbell Buffer
/// Config.
pub const OACS_DOORBELL_BUFFER_CONFIG: u16 = 1 << 8;

/// Index, counted in 32-bit words, in the shadow and event index buffers of
/// queue `qid`'s submission queue tail doorbell; `stride` is the doorbell
/// stride in bytes, a multiple of 4 (`4 << CAP.DSTRD`).
pub const fn sq_slot(qid: u16, stride: usize) -> usize {
    (sq_tail_doorbell(qid, stride) - offset::DOORBELLS) / 4
}

/// Index, in 32-bit words, of queue `qid`'s completion queue head doorbell.
pub const fn cq_slot(qid: u16, stride: usize) -> usize {
    (cq_head_doorbell(qid, stride) - offset::DOORBELLS) / 4
}

/// Bytes each buffer needs for queues `0..queues`, rounded up to whole
/// 4 KiB pages (the command takes one page-aligned PRP per buffer).
pub const fn buffer_size(queues: u16, stride: usize) -> usize {
    let bytes = 2 * queues as usize * stride;
    bytes.div_ceil(4096) * 4096
}

/// Whether moving a doorbell from `old` to `new` passes the controller's
/// event index `event_idx`, so the controller must be told through the
/// real doorbell (C `nvme_dbbuf_need_event`, as virtio's
/// `vring_need_event`): true when `event_idx` lies in `[old, new)`, counted
/// modulo 2^16.
pub const fn need_event(event_idx: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event_idx).wrapping_sub(1) < new.wrapping_sub(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_doorbell_layout() {
        assert_eq!(sq_slot(0, 4), 0);
        assert_eq!(cq_slot(0, 4), 1);
        assert_eq!(sq_slot(1, 4), 2);
        assert_eq!(cq_slot(1, 4), 3);
        assert_eq!(sq_slot(3, 16), 6 * 4);
        assert_eq!(cq_slot(3, 16), 7 * 4);
    }

    #[test]
    fn buffers_are_whole_pages_covering_every_slot() {
        assert_eq!(buffer_size(1, 4), 4096);
        assert_eq!(buffer_size(65, 4), 4096);
        assert_eq!(buffer_size(513, 4), 8192);
        for stride in [4usize, 8, 64, 4096] {
            for queues in 1u16..300 {
                let size = buffer_size(queues, stride);
                assert_eq!(size % 4096, 0);
                assert!((cq_slot(queues - 1, stride) + 1) * 4 <= size);
            }
        }
    }

    /// The definition, by brute force: the controller asked to hear about
    /// the doorbell reaching `event_idx + 1`, i.e. whether any of the values
    /// the doorbell moved through, `old + 1 ..= new`, is `event_idx + 1`.
    fn passes(event_idx: u16, new: u16, old: u16) -> bool {
        let mut v = old;
        while v != new {
            v = v.wrapping_add(1);
            if v == event_idx.wrapping_add(1) {
                return true;
            }
        }
        false
    }

    #[test]
    fn need_event_matches_its_definition() {
        let values = [
            0u16, 1, 2, 3, 100, 1022, 1023, 1024, 32767, 32768, 65533, 65534, 65535,
        ];
        for &e in &values {
            for &old in &values {
                for step in [0u16, 1, 2, 5, 1023] {
                    let new = old.wrapping_add(step);
                    assert_eq!(
                        need_event(e, new, old),
                        passes(e, new, old),
                        "event {e}, old {old}, new {new}"
                    );
                }
            }
        }
    }

    #[test]
    fn need_event_examples() {
        // The controller caught up to 5 and wants to hear of 6.
        assert!(need_event(5, 6, 5));
        // It has not consumed up to 5 yet: no need to ring for 7 -> 8.
        assert!(!need_event(5, 8, 7));
        // Wrapping past the top of the index space.
        assert!(need_event(65535, 1, 65534));
        // No movement never rings.
        assert!(!need_event(5, 5, 5));
    }
}
