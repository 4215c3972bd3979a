// SPDX-License-Identifier: GPL-2.0

//! Command identifiers that carry a generation counter next to the blk-mq
//! tag, so that a completion for a command that already completed (a
//! duplicate or late entry from a misbehaving controller) is told apart from
//! one for the request now using the same tag. The CID is the 16-bit
//! command identifier of the submission and completion entries (NVMe Base
//! Specification 2.0, sections 4.2 and 4.6). This mirrors C's `nvme_cid`,
//! `nvme_genctr_mask`, `nvme_tag_from_cid` and `nvme_find_rq` in
//! `drivers/nvme/host/nvme.h`.

/// Bits of the CID that hold the tag; the top 4 bits hold the generation.
pub const TAG_BITS: u32 = 12;

/// The number of tags a CID can carry, so the most commands one queue may
/// have outstanding.
pub const MAX_TAGS: u16 = 1 << 12;

/// Mask of the tag bits.
const TAG_MASK: u16 = MAX_TAGS - 1;

/// Mask of a generation value (C `nvme_genctr_mask`).
const GEN_MASK: u8 = 0xf;

/// The CID for the request with blk-mq tag `tag` in generation `gen` (C
/// `nvme_cid`). `tag` must be below [`MAX_TAGS`] (queue depths are capped so
/// it is); only its low 12 bits are used, and only the low 4 bits of `gen`.
pub const fn encode(tag: u16, gen: u8) -> u16 {
    ((gen & GEN_MASK) as u16) << TAG_BITS | (tag & TAG_MASK)
}

/// The tag in a CID (C `nvme_tag_from_cid`).
pub const fn tag(cid: u16) -> u16 {
    cid & TAG_MASK
}

/// The generation in a CID (C `nvme_genctr_from_cid`).
pub const fn generation(cid: u16) -> u8 {
    (cid >> TAG_BITS) as u8
}

/// The next generation for a request being reused: C increments its counter
/// on every completion and masks it when building the CID; this does both,
/// wrapping from 15 to 0.
pub const fn next_generation(gen: u8) -> u8 {
    gen.wrapping_add(1) & GEN_MASK
}

/// Whether a completion carrying `cid` belongs to the request whose current
/// generation is `gen` (C `nvme_find_rq`'s check): a mismatch means the
/// entry is stale and must be ignored.
pub const fn generation_matches(cid: u16, gen: u8) -> bool {
    generation(cid) == gen & GEN_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_c() {
        // C: nvme_cid_install_genctr(gen) = (gen & 0xf) << 12, | rq->tag.
        assert_eq!(encode(0, 0), 0);
        assert_eq!(encode(1, 0), 0x0001);
        assert_eq!(encode(0xfff, 0), 0x0fff);
        assert_eq!(encode(0, 1), 0x1000);
        assert_eq!(encode(0x123, 0xa), 0xa123);
        assert_eq!(encode(0xfff, 0xf), 0xffff);
        // Only the low 4 generation bits count, as C's u8 genctr is masked.
        assert_eq!(encode(5, 0x13), 0x3005);
        // An out-of-range tag cannot corrupt the generation.
        assert_eq!(encode(0x1005, 2), 0x2005);
        assert_eq!(TAG_BITS, 12);
        assert_eq!(MAX_TAGS, 4096);
    }

    #[test]
    fn round_trip_every_tag_and_generation() {
        for tag_value in 0..MAX_TAGS {
            for gen in 0..16u8 {
                let cid = encode(tag_value, gen);
                assert_eq!(tag(cid), tag_value);
                assert_eq!(generation(cid), gen);
                assert!(generation_matches(cid, gen));
            }
        }
        // Every CID decodes to a valid tag and generation.
        for cid in 0..=u16::MAX {
            assert!(tag(cid) < MAX_TAGS);
            assert!(generation(cid) < 16);
            assert_eq!(encode(tag(cid), generation(cid)), cid);
        }
    }

    #[test]
    fn next_generation_wraps_at_16() {
        let mut gen = 0u8;
        for i in 1..=100u32 {
            gen = next_generation(gen);
            assert_eq!(u32::from(gen), i % 16);
        }
        assert_eq!(next_generation(15), 0);
        // A counter kept unmasked, as C's u8, gives the same CIDs.
        let mut c_genctr = 0u8;
        let mut gen = 0u8;
        for _ in 0..1000 {
            c_genctr = c_genctr.wrapping_add(1);
            gen = next_generation(gen);
            assert_eq!(encode(7, c_genctr), encode(7, gen));
        }
        assert_eq!(next_generation(u8::MAX), 0);
    }

    /// The reason for the generation: a completion for the previous use of
    /// a tag (stale) never matches the request now holding the tag, for
    /// every tag and every generation, including the wrap from 15 to 0.
    #[test]
    fn stale_cid_is_distinguished() {
        for tag_value in 0..MAX_TAGS {
            for gen in 0..16u8 {
                let old = encode(tag_value, gen);
                let current_gen = next_generation(gen);
                let current = encode(tag_value, current_gen);
                assert_ne!(old, current);
                assert_eq!(tag(old), tag(current), "same request slot");
                assert!(
                    !generation_matches(old, current_gen),
                    "stale entry rejected"
                );
                assert!(generation_matches(current, current_gen));
                // The CID also differs from every other tag's.
                if tag_value > 0 {
                    assert_ne!(encode(tag_value - 1, current_gen), current);
                }
            }
        }
    }
}
