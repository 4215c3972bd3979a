// SPDX-License-Identifier: GPL-2.0

//! How many I/O queues to create and how they share interrupt vectors, as
//! the C driver decides in `nvme_setup_io_queues`, `nvme_setup_irqs`,
//! `nvme_calc_irq_sets`, `nvme_create_queue` and `nvme_pci_enable`
//! (`drivers/nvme/host/pci.c`, Linux 6.12), without write queues or quirks.
//!
//! The order is: ask the controller for [`wanted_io_queues`] with Set
//! Features, Number of Queues (NVMe Base Specification 2.0, section
//! 5.27.1); take the pairs it grants (`command::usable_queue_pairs`); ask
//! the PCI core for up to [`wanted_vectors`] interrupt vectors; [`plan`] the
//! split between interrupt-driven and polled queues from what was
//! allocated; create each queue with [`vector_for_queue`].

use super::cid::MAX_TAGS;

/// The most I/O queues a controller can have: queue identifiers are 16 bits
/// and 0 is the admin queue.
const MAX_IO_QUEUES: u32 = 65535;

/// The C driver's default `io_queue_depth`.
pub const DEFAULT_IO_QUEUE_DEPTH: u32 = 1024;

/// The smallest usable queue: one slot always stays empty, so two entries
/// hold one command (C `NVME_PCI_MIN_QUEUE_SIZE`).
const MIN_QUEUE_DEPTH: u32 = 2;

/// I/O queue pairs to ask the controller for: one per possible CPU plus the
/// poll queues (C `nvme_max_io_queues` without write queues), capped at the
/// specification's maximum of 65535, and at least one, since the request is
/// zero-based and cannot ask for none.
pub fn wanted_io_queues(possible_cpus: u32, poll_queues: u32) -> u16 {
    let wanted = possible_cpus
        .saturating_add(poll_queues)
        .clamp(1, MAX_IO_QUEUES);
    u16::try_from(wanted).unwrap_or(u16::MAX)
}

/// Poll queues out of `granted` pairs when `poll_queues` are requested: at
/// most all but one, so one queue is left for interrupt-driven I/O.
fn poll_share(granted: u16, poll_queues: u32) -> u16 {
    let most = u32::from(granted.saturating_sub(1));
    // The minimum is at most `granted - 1`, which fits.
    u16::try_from(poll_queues.min(most)).unwrap_or(0)
}

/// Interrupt vectors to ask for with `granted` usable queue pairs: one for
/// the admin queue plus one per interrupt-driven I/O queue, `1 + (granted -
/// poll)` with `poll = min(poll_queues, granted - 1)` (C `nvme_setup_irqs`).
/// With nothing granted only the admin queue's vector is wanted.
pub fn wanted_vectors(granted: u16, poll_queues: u32) -> u32 {
    let poll = poll_share(granted, poll_queues);
    1 + u32::from(granted - poll)
}

/// The split of I/O queues once the interrupt vectors are known. Queue
/// identifiers `1..=interrupt_queues` are interrupt-driven and the next
/// `poll_queues` identifiers are polled, as blk-mq maps its default and poll
/// hardware queue types in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePlan {
    /// Interrupt-driven I/O queues (`HCTX_TYPE_DEFAULT`), at least one.
    pub interrupt_queues: u16,
    /// Polled I/O queues (`HCTX_TYPE_POLL`).
    pub poll_queues: u16,
}

impl QueuePlan {
    /// All I/O queues, the highest I/O queue identifier (C `max_qid`).
    pub const fn total(&self) -> u32 {
        self.interrupt_queues as u32 + self.poll_queues as u32
    }
}

/// The split with `granted` usable queue pairs, `poll_queues` requested by
/// the module parameter and `vectors` interrupt vectors allocated (vector 0
/// is the admin queue's): `poll = min(poll_queues, granted - 1)`, and the
/// interrupt-driven queues are `max(vectors - 1, 1)` (with a single vector
/// the admin queue and the one I/O queue share it), capped at `granted -
/// poll`. None if nothing was granted, in which case the controller offers
/// only its admin queue (C goes on without I/O queues).
pub fn plan(granted: u16, poll_queues: u32, vectors: u32) -> Option<QueuePlan> {
    if granted == 0 {
        return None;
    }
    let poll = poll_share(granted, poll_queues);
    // `granted - poll >= 1` by `poll_share`.
    let room = granted - poll;
    let by_vectors = vectors.saturating_sub(1).max(1);
    let interrupt = u16::try_from(by_vectors.min(u32::from(room))).unwrap_or(room);
    Some(QueuePlan {
        interrupt_queues: interrupt,
        poll_queues: poll,
    })
}

/// The interrupt vector of queue `qid` under `plan` with `vectors` vectors
/// allocated (C `nvme_create_queue`): an interrupt-driven I/O queue `i` uses
/// vector `i` when there is more than one vector, and everyone shares
/// vector 0 when there is only one; the admin queue (`qid` 0) always uses
/// vector 0. Poll queues have none, and neither do identifiers beyond the
/// plan or (for a plan not made for `vectors`) vectors that do not exist.
pub fn vector_for_queue(qid: u16, plan: &QueuePlan, vectors: u32) -> Option<u16> {
    if qid == 0 {
        return Some(0);
    }
    if qid > plan.interrupt_queues {
        return None;
    }
    if vectors <= 1 {
        Some(0)
    } else if u32::from(qid) < vectors {
        Some(qid)
    } else {
        None
    }
}

/// The I/O queue depth, in entries: the `io_queue_depth` module parameter
/// (`param`, C default [`DEFAULT_IO_QUEUE_DEPTH`]) bounded to at least 2 and
/// at most `max_entries` (`CAP.MQES + 1`, which the specification makes at
/// least 2) and [`MAX_TAGS`].
///
/// The last bound exists because the CID carries the tag in 12 bits (see
/// `cid`): a queue of 4096 entries holds at most 4095 commands, tags 0 to
/// 4094, which fit. C rejects parameters above 4095 (its
/// `NVME_PCI_MAX_QUEUE_SIZE`) for the same reason, one entry more
/// conservatively. A controller reporting fewer than 2 entries violates the
/// specification; the result is still 2 and queue creation will fail
/// cleanly.
pub fn io_queue_depth(param: u32, max_entries: u32) -> u16 {
    let depth = param
        .min(max_entries)
        .min(u32::from(MAX_TAGS))
        .max(MIN_QUEUE_DEPTH);
    // At most MAX_TAGS, which fits.
    u16::try_from(depth).unwrap_or(MAX_TAGS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_io_queues_values() {
        // QEMU's default guest here: 2 CPUs.
        assert_eq!(wanted_io_queues(2, 0), 2);
        assert_eq!(wanted_io_queues(2, 1), 3);
        assert_eq!(wanted_io_queues(64, 4), 68);
        assert_eq!(wanted_io_queues(65535, 0), 65535);
        assert_eq!(wanted_io_queues(65535, 1), 65535);
        assert_eq!(wanted_io_queues(u32::MAX, u32::MAX), 65535);
        assert_eq!(wanted_io_queues(0, 0), 1);
        for cpus in 1..=300 {
            for poll in 0..=8 {
                assert_eq!(u32::from(wanted_io_queues(cpus, poll)), cpus + poll);
            }
        }
    }

    #[test]
    fn wanted_vectors_values() {
        assert_eq!(wanted_vectors(2, 0), 3);
        assert_eq!(wanted_vectors(3, 1), 3);
        assert_eq!(wanted_vectors(64, 0), 65);
        // All but one queue may be polled; the last still wants a vector.
        assert_eq!(wanted_vectors(4, 100), 2);
        assert_eq!(wanted_vectors(1, 5), 2);
        assert_eq!(wanted_vectors(0, 0), 1);
        assert_eq!(wanted_vectors(0, 3), 1);
        assert_eq!(wanted_vectors(u16::MAX, 0), 65536);
        for granted in 1..=200u16 {
            for poll in 0..=8u32 {
                let p = poll.min(u32::from(granted) - 1);
                assert_eq!(wanted_vectors(granted, poll), 1 + u32::from(granted) - p);
            }
        }
    }

    /// The invariants, over every combination in a range that covers the
    /// corner cases (one queue, more vectors than queues, fewer, one).
    #[test]
    fn plan_invariants_exhaustive() {
        for granted in 0..=70u16 {
            for poll in 0..=8u32 {
                for vectors in 1..=70u32 {
                    let p = plan(granted, poll, vectors);
                    if granted == 0 {
                        assert_eq!(p, None);
                        continue;
                    }
                    let p = p.unwrap();
                    let (irq, pq) = (u32::from(p.interrupt_queues), u32::from(p.poll_queues));
                    assert!(irq >= 1, "an interrupt queue always exists");
                    assert!(irq + pq <= u32::from(granted), "no more than granted");
                    assert_eq!(p.total(), irq + pq);
                    assert!(pq <= poll, "no more poll queues than asked for");
                    assert_eq!(pq, poll.min(u32::from(granted) - 1), "as many as allowed");
                    // Interrupt queues are limited by the vectors (one each,
                    // except a lone vector that admin and queue 1 share).
                    assert!(irq <= (vectors - 1).max(1));
                    assert_eq!(irq, (vectors - 1).max(1).min(u32::from(granted) - pq));
                    // With the vectors that were asked for, every non-poll
                    // queue gets its own.
                    if vectors >= wanted_vectors(granted, poll) {
                        assert_eq!(irq + pq, u32::from(granted));
                    }
                    // Every interrupt queue has a distinct valid vector (or
                    // shares the only one); poll queues have none.
                    let mut seen = [false; 80];
                    for qid in 1..=p.interrupt_queues {
                        let v = vector_for_queue(qid, &p, vectors).unwrap();
                        assert!(u32::from(v) < vectors);
                        if vectors > 1 {
                            assert_ne!(v, 0, "vector 0 is the admin queue's");
                            assert!(!seen[usize::from(v)]);
                            seen[usize::from(v)] = true;
                        } else {
                            assert_eq!(v, 0);
                        }
                    }
                    for qid in p.interrupt_queues + 1..=p.interrupt_queues + p.poll_queues {
                        assert_eq!(vector_for_queue(qid, &p, vectors), None);
                    }
                    assert_eq!(vector_for_queue(0, &p, vectors), Some(0));
                }
            }
        }
    }

    #[test]
    fn worked_examples() {
        // QEMU (max_ioqpairs 64 granted) with 2 CPUs and no poll queues:
        // ask for 2, use 2, want 3 vectors; with 3 allocated, queues 1 and 2
        // are interrupt-driven on vectors 1 and 2.
        let wanted = wanted_io_queues(2, 0);
        assert_eq!(wanted, 2);
        let granted = wanted.min(64);
        assert_eq!(wanted_vectors(granted, 0), 3);
        let p = plan(granted, 0, 3).unwrap();
        assert_eq!(
            p,
            QueuePlan {
                interrupt_queues: 2,
                poll_queues: 0
            }
        );
        assert_eq!(vector_for_queue(1, &p, 3), Some(1));
        assert_eq!(vector_for_queue(2, &p, 3), Some(2));
        assert_eq!(vector_for_queue(3, &p, 3), None);

        // The same with poll_queues=1: ask for 3, want 1 + 2 vectors;
        // queues 1-2 on vectors 1-2, queue 3 polled.
        let wanted = wanted_io_queues(2, 1);
        assert_eq!(wanted, 3);
        assert_eq!(wanted_vectors(3, 1), 3);
        let p = plan(3, 1, 3).unwrap();
        assert_eq!(
            p,
            QueuePlan {
                interrupt_queues: 2,
                poll_queues: 1
            }
        );
        assert_eq!(vector_for_queue(3, &p, 3), None);

        // Only one vector (INTx or a single MSI): one I/O queue sharing
        // vector 0 with the admin queue, plus the poll queues.
        let p = plan(8, 2, 1).unwrap();
        assert_eq!(
            p,
            QueuePlan {
                interrupt_queues: 1,
                poll_queues: 2
            }
        );
        assert_eq!(vector_for_queue(1, &p, 1), Some(0));
        assert_eq!(vector_for_queue(2, &p, 1), None);

        // Two vectors: admin on 0, one I/O queue on 1.
        let p = plan(8, 0, 2).unwrap();
        assert_eq!(
            p,
            QueuePlan {
                interrupt_queues: 1,
                poll_queues: 0
            }
        );
        assert_eq!(vector_for_queue(1, &p, 2), Some(1));

        // 16 CPUs, controller grants only 4 pairs, 5 vectors: 4 queues.
        let p = plan(4, 0, 5).unwrap();
        assert_eq!(
            p,
            QueuePlan {
                interrupt_queues: 4,
                poll_queues: 0
            }
        );
        // A single granted pair is never polled.
        assert_eq!(
            plan(1, 4, 2),
            Some(QueuePlan {
                interrupt_queues: 1,
                poll_queues: 0
            })
        );
        // More vectors than useful: capped at the granted queues.
        assert_eq!(
            plan(2, 0, 65),
            Some(QueuePlan {
                interrupt_queues: 2,
                poll_queues: 0
            })
        );
        // Zero vectors is treated as one.
        assert_eq!(
            plan(2, 0, 0),
            Some(QueuePlan {
                interrupt_queues: 1,
                poll_queues: 0
            })
        );
        assert_eq!(plan(0, 0, 10), None);
        assert_eq!(
            plan(u16::MAX, u32::MAX, u32::MAX),
            Some(QueuePlan {
                interrupt_queues: 1,
                poll_queues: u16::MAX - 1
            })
        );
    }

    #[test]
    fn vector_for_queue_with_inconsistent_inputs() {
        // A plan claiming more interrupt queues than vectors exist.
        let p = QueuePlan {
            interrupt_queues: 8,
            poll_queues: 0,
        };
        assert_eq!(vector_for_queue(3, &p, 4), Some(3));
        assert_eq!(vector_for_queue(4, &p, 4), None);
        assert_eq!(vector_for_queue(9, &p, 4), None);
        assert_eq!(vector_for_queue(1, &p, 0), Some(0));
    }

    #[test]
    fn io_queue_depth_values() {
        // C's default with a controller allowing 2048 (QEMU: MQES 2047).
        assert_eq!(io_queue_depth(DEFAULT_IO_QUEUE_DEPTH, 2048), 1024);
        assert_eq!(DEFAULT_IO_QUEUE_DEPTH, 1024);
        // The controller's limit wins.
        assert_eq!(io_queue_depth(1024, 256), 256);
        // The tag space wins over both.
        assert_eq!(io_queue_depth(65536, 65536), 4096);
        assert_eq!(io_queue_depth(u32::MAX, u32::MAX), MAX_TAGS);
        // Below the minimum.
        assert_eq!(io_queue_depth(0, 1024), 2);
        assert_eq!(io_queue_depth(1, 1024), 2);
        assert_eq!(io_queue_depth(1024, 1), 2);
        for param in (0..=70_000u32).step_by(13) {
            for max_entries in [2u32, 3, 64, 1024, 4095, 4096, 4097, 65536] {
                let d = io_queue_depth(param, max_entries);
                assert!(d >= 2);
                assert!(d <= MAX_TAGS);
                assert!(u32::from(d) <= max_entries);
                assert!(u32::from(d) <= param.max(2));
                // A full queue's tags (0 to depth - 2) fit the CID.
                assert!(d - 2 < MAX_TAGS);
                assert_eq!(u32::from(d), param.clamp(2, 4096).min(max_entries).max(2));
            }
        }
    }
}
