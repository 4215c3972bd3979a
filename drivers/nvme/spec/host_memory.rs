// SPDX-License-Identifier: GPL-2.0

//! The Host Memory Buffer (HMB): memory a controller without DRAM of its
//! own asks the host for, as C 6.12's `nvme_setup_host_mem` decides it.
//!
//! Everything here is decided without the kernel, so that the host tests
//! cover it: how much to ask for (HMPRE and HMMIN bounded by
//! `max_host_mem_size_mb`), the chunk sizes tried from large to small
//! (HMMINDS, and what the page allocator hands out at once), how many
//! chunks one size allows (HMMAXD), the loop that allocates them through a
//! [`ChunkAllocator`] and falls back to smaller chunks when allocation
//! fails, whether a buffer kept across a reset or suspend is handed back,
//! and the wire formats: the 16-byte descriptor and the Set Features
//! command's dwords (`spec::command::Command::set_host_memory_buffer`).
//!
//! C: [`drivers/nvme/host/pci.c`](srctree/drivers/nvme/host/pci.c)
//! (`nvme_setup_host_mem`, `nvme_alloc_host_mem`, `__nvme_alloc_host_mem`),
//! [`include/linux/nvme.h`](srctree/include/linux/nvme.h)
//! (`struct nvme_host_mem_buf_desc`, `NVME_HOST_MEM_ENABLE`).

use super::identify::IdentifyController;

/// The unit of HMPRE, HMMIN, HMMINDS, a descriptor's size and the Set
/// Features HSIZE: 4 KiB, whatever the controller's page size (C writes
/// 4096 and `NVME_CTRL_PAGE_SIZE`).
pub const UNIT: u64 = 4096;

/// Size of one descriptor in the list (C `struct nvme_host_mem_buf_desc`).
pub const DESCRIPTOR_SIZE: usize = 16;

/// Set Features HMB CDW11 bit 0, Enable Host Memory (EHM; C
/// `NVME_HOST_MEM_ENABLE`).
pub const ENABLE: u32 = 1 << 0;

/// Set Features HMB CDW11 bit 1, Memory Return (MR; C
/// `NVME_HOST_MEM_RETURN`): the buffer is the one the controller had
/// before its reset or suspend, contents unchanged.
pub const RETURN: u32 = 1 << 1;

/// What a controller says about the buffer it wants (Identify Controller).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostMemoryCaps {
    /// Preferred size in 4 KiB units; 0: the controller wants no buffer
    /// (HMPRE).
    pub hmpre: u32,
    /// Minimum size in 4 KiB units it can use; 0: any (HMMIN).
    pub hmmin: u32,
    /// Minimum size of one chunk in 4 KiB units; 0: no minimum (HMMINDS).
    pub hmminds: u32,
    /// Most descriptors (chunks); 0: no limit (HMMAXD).
    pub hmmaxd: u16,
}

impl HostMemoryCaps {
    /// The fields of `id`.
    pub fn of(id: &IdentifyController) -> Self {
        HostMemoryCaps {
            hmpre: id.hmpre,
            hmmin: id.hmmin,
            hmminds: id.hmminds,
            hmmaxd: id.hmmaxd,
        }
    }

    /// Whether the controller wants a buffer at all: without, C neither
    /// allocates one nor shows sysfs `hmb`.
    pub fn wanted(&self) -> bool {
        self.hmpre != 0
    }
}

/// The limit `max_host_mem_size_mb` sets, in bytes.
pub fn limit_bytes(max_host_mem_size_mb: u32) -> u64 {
    u64::from(max_host_mem_size_mb) << 20
}

/// The buffer to allocate, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Want {
    /// HMPRE, at most the limit: what the allocation aims for.
    pub preferred: u64,
    /// HMMIN: less than this is no use to the controller (0: any).
    pub min: u64,
}

impl Want {
    /// Whether a buffer of `size` bytes is enough (C: `!min || size >=
    /// min`); the same rule decides whether a kept buffer is handed back.
    pub fn accepts(&self, size: u64) -> bool {
        size >= self.min
    }
}

/// What C's `nvme_setup_host_mem` makes of the controller's sizes and the
/// limit before it allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizing {
    /// HMPRE is 0: nothing to do.
    NotWanted,
    /// HMMIN is above the limit: warned about, any buffer kept is freed,
    /// and the controller goes on without one.
    MinAboveLimit {
        /// HMMIN in bytes.
        min: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Allocate (or hand back) a buffer.
    Wanted(Want),
}

/// Sizes the buffer for a controller reporting `caps`, with at most
/// `limit` bytes (C `nvme_setup_host_mem`'s first half).
pub fn sizing(caps: &HostMemoryCaps, limit: u64) -> Sizing {
    if !caps.wanted() {
        return Sizing::NotWanted;
    }
    let preferred = (u64::from(caps.hmpre) * UNIT).min(limit);
    let min = u64::from(caps.hmmin) * UNIT;
    if min > limit {
        return Sizing::MinAboveLimit { min, limit };
    }
    Sizing::Wanted(Want { preferred, min })
}

/// What to do with a buffer kept from before (a reset or a suspend) of
/// `size` bytes, and the Set Features bits that go with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Hand it back as it is: [`ENABLE`] | [`RETURN`].
    HandBack,
    /// Too small: free it and allocate anew, then [`ENABLE`].
    Replace,
}

/// C: a kept buffer at least HMMIN large is handed back with Memory
/// Return set, which lets the controller trust what it left there.
pub fn kept(size: u64, want: &Want) -> Kept {
    if want.accepts(size) {
        Kept::HandBack
    } else {
        Kept::Replace
    }
}

/// What the kernel allocates at once, which shapes the chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    /// The CPU page size (C `PAGE_SIZE`).
    pub page_size: u64,
    /// The largest block the page allocator hands out, in pages (C
    /// `MAX_ORDER_NR_PAGES`: 1024 on x86-64, so 4 MiB).
    pub max_order_pages: u64,
}

impl Platform {
    /// x86-64's: 4 KiB pages, 4 MiB blocks.
    pub const X86_64: Platform = Platform {
        page_size: 4096,
        max_order_pages: 1024,
    };
}

/// The chunk sizes tried, largest first (C `nvme_alloc_host_mem`): from
/// the preferred size or the largest block the page allocator has,
/// whichever is smaller, halving down to HMMINDS, but never below two
/// pages.
///
/// C multiplies HMMINDS by 4096 in 32 bits, so an HMMINDS of 4 GiB or more
/// wraps; here it is taken as asked, and such a controller gets no chunks.
pub fn chunk_sizes(preferred: u64, hmminds: u32, platform: Platform) -> ChunkSizes {
    let largest = preferred.min(platform.page_size.saturating_mul(platform.max_order_pages));
    let smallest = (u64::from(hmminds) * UNIT).max(platform.page_size * 2);
    ChunkSizes {
        next: largest,
        smallest,
    }
}

/// The sequence [`chunk_sizes`] returns.
#[derive(Clone, Debug)]
pub struct ChunkSizes {
    next: u64,
    smallest: u64,
}

impl Iterator for ChunkSizes {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.next < self.smallest || self.next == 0 {
            return None;
        }
        let size = self.next;
        self.next /= 2;
        Some(size)
    }
}

/// How a buffer of `preferred` bytes is cut into chunks of one size (C
/// `__nvme_alloc_host_mem`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPlan {
    /// Bytes per chunk; the last one may be shorter.
    pub chunk: u64,
    /// Descriptors the list has room for: the chunks needed for the
    /// preferred size, at most HMMAXD.
    pub max_entries: u32,
    /// The preferred size.
    pub preferred: u64,
}

/// Plans chunks of `chunk` bytes for `preferred` bytes with at most
/// `hmmaxd` descriptors (0: no limit).
///
/// A chunk size that is not a multiple of 4 KiB (halving a preferred size
/// below 4 MiB that has an odd factor, such as 2.5 MiB) is rounded down to
/// one: a descriptor counts 4 KiB units, and C, which does not round,
/// describes less than it allocated there and frees by the description.
pub fn chunk_plan(preferred: u64, chunk: u64, hmmaxd: u16) -> ChunkPlan {
    let chunk = (chunk / UNIT * UNIT).max(UNIT);
    let needed = preferred.div_ceil(chunk);
    let max_entries = if hmmaxd != 0 && u64::from(hmmaxd) < needed {
        u32::from(hmmaxd)
    } else {
        u32::try_from(needed).unwrap_or(u32::MAX)
    };
    ChunkPlan {
        chunk,
        max_entries,
        preferred,
    }
}

impl ChunkPlan {
    /// The length of the next chunk once `size` bytes are allocated in
    /// `entries` chunks, or `None` when the plan is complete: the preferred
    /// size reached or the list full.
    pub fn next_len(&self, size: u64, entries: u32) -> Option<u64> {
        if size >= self.preferred || entries >= self.max_entries {
            return None;
        }
        Some(self.chunk.min(self.preferred - size))
    }

    /// Bytes of the descriptor list.
    pub fn list_bytes(&self) -> usize {
        self.max_entries as usize * DESCRIPTOR_SIZE
    }
}

/// Allocates a buffer's memory for [`allocate`]: implemented over DMA
/// memory in the driver, and over a scripted allocator in the tests.
///
/// One buffer is built at a time: [`Self::start`], then chunks pushed
/// until the plan is complete or one cannot be had; the buffer is then
/// kept (the caller takes it) or given back whole.
pub trait ChunkAllocator {
    /// Starts a buffer of at most `entries` chunks: its descriptor list.
    /// `false` where that memory cannot be had.
    fn start(&mut self, entries: u32) -> bool;

    /// Adds a chunk of `len` bytes (a multiple of [`UNIT`]) to the buffer
    /// and describes it in the list. `false` where it cannot be had.
    fn push(&mut self, len: u64) -> bool;

    /// Frees the buffer started: every chunk pushed, and the list.
    fn give_back(&mut self);
}

/// A buffer [`allocate`] left in the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocated {
    /// Bytes in all: what HSIZE says, in 4 KiB units.
    pub size: u64,
    /// Chunks (descriptors).
    pub entries: u32,
    /// The chunk size that succeeded.
    pub chunk: u64,
}

/// One attempt at chunk size `plan.chunk` (C `__nvme_alloc_host_mem`):
/// chunks are added until the plan is complete or one fails; whatever was
/// had by then is kept, unless it is nothing.
fn allocate_chunks(plan: &ChunkPlan, alloc: &mut impl ChunkAllocator) -> Option<Allocated> {
    if !alloc.start(plan.max_entries) {
        return None;
    }
    let (mut size, mut entries) = (0u64, 0u32);
    while let Some(len) = plan.next_len(size, entries) {
        if !alloc.push(len) {
            break;
        }
        size += len;
        entries += 1;
    }
    if size == 0 {
        alloc.give_back();
        return None;
    }
    Some(Allocated {
        size,
        entries,
        chunk: plan.chunk,
    })
}

/// Allocates a buffer for `want` (C `nvme_alloc_host_mem`): large chunks
/// first, then ever smaller ones while the allocator fails or what it gave
/// falls short of HMMIN. The buffer returned is the allocator's current
/// one; `None` leaves it nothing.
pub fn allocate(
    want: &Want,
    caps: &HostMemoryCaps,
    platform: Platform,
    alloc: &mut impl ChunkAllocator,
) -> Option<Allocated> {
    for chunk in chunk_sizes(want.preferred, caps.hmminds, platform) {
        let plan = chunk_plan(want.preferred, chunk, caps.hmmaxd);
        if let Some(allocated) = allocate_chunks(&plan, alloc) {
            if want.accepts(allocated.size) {
                return Some(allocated);
            }
            alloc.give_back();
        }
    }
    None
}

/// One descriptor of the list: a chunk's bus address and length (C
/// `struct nvme_host_mem_buf_desc`: BADD le64, BSIZE le32 in 4 KiB units,
/// 4 bytes reserved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// The chunk's bus address.
    pub addr: u64,
    /// Its length in bytes, a multiple of [`UNIT`].
    pub len: u64,
}

impl Descriptor {
    /// The descriptor as the controller reads it.
    pub fn to_bytes(&self) -> [u8; DESCRIPTOR_SIZE] {
        let mut b = [0u8; DESCRIPTOR_SIZE];
        b[0..8].copy_from_slice(&self.addr.to_le_bytes());
        b[8..12].copy_from_slice(&((self.len / UNIT) as u32).to_le_bytes());
        b
    }
}

/// Set Features HMB's HSIZE for a buffer of `size` bytes: 4 KiB units.
pub fn size_units(size: u64) -> u32 {
    u32::try_from(size / UNIT).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::vec::Vec;

    const MIB: u64 = 1 << 20;
    const LIMIT: u64 = 128 * MIB;

    fn caps(hmpre: u32, hmmin: u32, hmminds: u32, hmmaxd: u16) -> HostMemoryCaps {
        HostMemoryCaps {
            hmpre,
            hmmin,
            hmminds,
            hmmaxd,
        }
    }

    fn want(c: &HostMemoryCaps) -> Want {
        match sizing(c, LIMIT) {
            Sizing::Wanted(w) => w,
            other => panic!("{c:?}: {other:?}"),
        }
    }

    /// An allocator that fails where a test says: the descriptor list of
    /// some lengths, chunks larger than a size (fragmented memory), and
    /// any chunk once a budget of bytes is outstanding. It checks the
    /// protocol and keeps what is outstanding, so a leak shows.
    #[derive(Default)]
    struct Scripted {
        /// Descriptor lists of these many entries cannot be had.
        fail_list_for_entries: BTreeSet<u32>,
        /// Chunks larger than this fail (0: none do).
        largest_chunk: u64,
        /// Bytes that may be outstanding at once (0: no limit).
        budget: u64,
        /// Whether a buffer is started.
        started: bool,
        /// Room in the list started.
        room: u32,
        /// Chunks pushed into the current buffer.
        chunks: Vec<u64>,
        /// Their bytes.
        outstanding: u64,
        /// Lists started, with their room: the sizes tried.
        lists: Vec<u32>,
        /// Pushes attempted, with their length, successful or not.
        attempts: Vec<u64>,
        /// Buffers given back.
        given_back: u32,
    }

    impl Scripted {
        fn outstanding(&self) -> u64 {
            assert_eq!(self.outstanding, self.chunks.iter().sum::<u64>());
            self.outstanding
        }
    }

    impl ChunkAllocator for Scripted {
        fn start(&mut self, entries: u32) -> bool {
            assert!(
                !self.started,
                "a buffer is started before the last was kept or given back"
            );
            assert!(self.chunks.is_empty());
            assert!(entries > 0);
            self.lists.push(entries);
            if self.fail_list_for_entries.contains(&entries) {
                return false;
            }
            self.started = true;
            self.room = entries;
            true
        }

        fn push(&mut self, len: u64) -> bool {
            assert!(self.started);
            assert!(len > 0 && len % UNIT == 0, "chunk of {len} bytes");
            assert!((self.chunks.len() as u32) < self.room, "list overflows");
            self.attempts.push(len);
            if self.largest_chunk != 0 && len > self.largest_chunk {
                return false;
            }
            if self.budget != 0 && self.outstanding + len > self.budget {
                return false;
            }
            self.chunks.push(len);
            self.outstanding += len;
            true
        }

        fn give_back(&mut self) {
            assert!(self.started);
            self.started = false;
            self.chunks.clear();
            self.outstanding = 0;
            self.given_back += 1;
        }
    }

    /// What `allocate` leaves, checked for consistency with the allocator.
    fn run(c: &HostMemoryCaps, a: &mut Scripted) -> Option<Allocated> {
        let w = want(c);
        let got = allocate(&w, c, Platform::X86_64, a);
        match got {
            Some(got) => {
                assert!(a.started);
                assert_eq!(got.size, a.outstanding());
                assert_eq!(got.entries as usize, a.chunks.len());
                assert!(w.accepts(got.size));
                assert!(got.size <= w.preferred);
                if c.hmmaxd != 0 {
                    assert!(got.entries <= u32::from(c.hmmaxd));
                }
                // Every chunk but the last is a whole chunk.
                let (last, rest) = a.chunks.split_last().unwrap();
                assert!(rest.iter().all(|&len| len == got.chunk));
                assert!(*last <= got.chunk);
                assert!(got.chunk >= (u64::from(c.hmminds) * UNIT).max(8192));
            }
            None => {
                assert!(!a.started, "nothing may be left allocated");
                assert_eq!(a.outstanding(), 0);
            }
        }
        got
    }

    #[test]
    fn sizing_follows_c() {
        assert_eq!(sizing(&caps(0, 0, 0, 0), LIMIT), Sizing::NotWanted);
        assert_eq!(sizing(&caps(0, 8192, 0, 0), LIMIT), Sizing::NotWanted);
        // 32 MiB preferred, no minimum.
        assert_eq!(
            sizing(&caps(8192, 0, 0, 0), LIMIT),
            Sizing::Wanted(Want {
                preferred: 32 * MIB,
                min: 0
            })
        );
        // 256 MiB preferred is cut to the 128 MiB limit.
        assert_eq!(
            sizing(&caps(65536, 8192, 0, 0), LIMIT),
            Sizing::Wanted(Want {
                preferred: 128 * MIB,
                min: 32 * MIB
            })
        );
        // A minimum exactly at the limit is allowed, one unit more is not.
        assert_eq!(
            sizing(&caps(65536, 32768, 0, 0), LIMIT),
            Sizing::Wanted(Want {
                preferred: 128 * MIB,
                min: 128 * MIB
            })
        );
        assert_eq!(
            sizing(&caps(65536, 32769, 0, 0), LIMIT),
            Sizing::MinAboveLimit {
                min: 128 * MIB + UNIT,
                limit: 128 * MIB
            }
        );
        // max_host_mem_size_mb=0: any minimum is above it; without one,
        // the preferred size is 0 and no chunk size is tried.
        assert!(matches!(
            sizing(&caps(8192, 1, 0, 0), limit_bytes(0)),
            Sizing::MinAboveLimit { .. }
        ));
        assert_eq!(
            sizing(&caps(8192, 0, 0, 0), limit_bytes(0)),
            Sizing::Wanted(Want {
                preferred: 0,
                min: 0
            })
        );
        assert_eq!(chunk_sizes(0, 0, Platform::X86_64).count(), 0);
        // HMPRE at its largest does not overflow.
        assert_eq!(
            sizing(&caps(u32::MAX, u32::MAX, 0, 0), u64::MAX),
            Sizing::Wanted(Want {
                preferred: u64::from(u32::MAX) * UNIT,
                min: u64::from(u32::MAX) * UNIT
            })
        );
        assert_eq!(limit_bytes(128), LIMIT);
        assert_eq!(limit_bytes(u32::MAX), u64::from(u32::MAX) << 20);
    }

    #[test]
    fn chunk_sequence() {
        let p = Platform::X86_64;
        let sizes = |pre: u64, minds: u32| chunk_sizes(pre, minds, p).collect::<Vec<_>>();
        // 128 MiB: from the 4 MiB the page allocator has, halving to two
        // pages.
        let all: Vec<u64> = (13..=22).rev().map(|s| 1u64 << s).collect();
        assert_eq!(sizes(128 * MIB, 0), all);
        // HMMINDS 1 (4 KiB) is below two pages: two pages still.
        assert_eq!(sizes(128 * MIB, 1), all);
        assert_eq!(sizes(128 * MIB, 2), all);
        // HMMINDS 256 (1 MiB): 4, 2, 1 MiB.
        assert_eq!(sizes(128 * MIB, 256), [4 * MIB, 2 * MIB, MIB]);
        // HMMINDS above the largest block: nothing to try.
        assert_eq!(sizes(128 * MIB, 2048), Vec::<u64>::new());
        // HMMINDS equal to it: one size.
        assert_eq!(sizes(128 * MIB, 1024), [4 * MIB]);
        // A preferred size below 4 MiB starts there.
        assert_eq!(sizes(MIB, 64), [MIB, MIB / 2, MIB / 4]);
        // 3 MiB halves through sizes that are not powers of two.
        assert_eq!(
            sizes(3 * MIB, 0),
            [
                3 * MIB,
                1536 << 10,
                768 << 10,
                384 << 10,
                192 << 10,
                96 << 10,
                48 << 10,
                24 << 10,
                12 << 10
            ]
        );
        // 8 KiB preferred: one size; 4 KiB: none (below two pages).
        assert_eq!(sizes(8192, 0), [8192]);
        assert_eq!(sizes(4096, 0), Vec::<u64>::new());
        // A huge HMMINDS does not wrap as C's 32-bit product does.
        assert_eq!(sizes(128 * MIB, 1 << 20), Vec::<u64>::new());
        assert_eq!(sizes(128 * MIB, u32::MAX), Vec::<u64>::new());
        // 64 KiB pages (arm64): blocks of 512 MiB, at least 128 KiB chunks.
        let arm = Platform {
            page_size: 65536,
            max_order_pages: 8192,
        };
        let big: Vec<u64> = chunk_sizes(128 * MIB, 0, arm).collect();
        assert_eq!(big.first(), Some(&(128 * MIB)));
        assert_eq!(big.last(), Some(&(128 << 10)));
    }

    #[test]
    fn chunk_plans() {
        // 128 MiB of 4 MiB chunks: 32 descriptors.
        let plan = chunk_plan(128 * MIB, 4 * MIB, 0);
        assert_eq!((plan.chunk, plan.max_entries), (4 * MIB, 32));
        assert_eq!(plan.list_bytes(), 512);
        // HMMAXD caps the list: 8 x 4 MiB is all 32 MiB of a 128 MiB wish.
        assert_eq!(chunk_plan(128 * MIB, 4 * MIB, 8).max_entries, 8);
        // A larger HMMAXD than needed changes nothing.
        assert_eq!(chunk_plan(128 * MIB, 4 * MIB, 1000).max_entries, 32);
        // 8 KiB chunks for 128 MiB: 16384 descriptors, 256 KiB of list.
        let small = chunk_plan(128 * MIB, 8192, 0);
        assert_eq!(small.max_entries, 16384);
        assert_eq!(small.list_bytes(), 256 << 10);
        // The last chunk is shorter: 10 MiB in 4 MiB chunks is 4 + 4 + 2.
        let plan = chunk_plan(10 * MIB, 4 * MIB, 0);
        assert_eq!(plan.max_entries, 3);
        assert_eq!(plan.next_len(0, 0), Some(4 * MIB));
        assert_eq!(plan.next_len(8 * MIB, 2), Some(2 * MIB));
        assert_eq!(plan.next_len(10 * MIB, 3), None);
        // The list full ends it too.
        assert_eq!(chunk_plan(10 * MIB, 4 * MIB, 2).next_len(8 * MIB, 2), None);
        // A chunk size that is not whole units is rounded down to them.
        let odd = chunk_plan(2560 << 10, 10240, 0);
        assert_eq!(odd.chunk, 8192);
        assert_eq!(odd.max_entries, 320);
    }

    #[test]
    fn descriptor_wire_format() {
        let d = Descriptor {
            addr: 0x1122_3344_5566_7000,
            len: 4 * MIB,
        };
        let b = d.to_bytes();
        assert_eq!(&b[0..8], &0x1122_3344_5566_7000u64.to_le_bytes());
        assert_eq!(&b[8..12], &1024u32.to_le_bytes());
        assert_eq!(&b[12..16], &[0; 4]);
        assert_eq!(Descriptor { addr: 0, len: 8192 }.to_bytes()[8], 2);
        assert_eq!(size_units(128 * MIB), 32768);
        assert_eq!(size_units(0), 0);
    }

    #[test]
    fn reuse_rule() {
        let w = Want {
            preferred: 64 * MIB,
            min: 32 * MIB,
        };
        assert_eq!(kept(64 * MIB, &w), Kept::HandBack);
        assert_eq!(kept(32 * MIB, &w), Kept::HandBack);
        assert_eq!(kept(32 * MIB - UNIT, &w), Kept::Replace);
        // No minimum: anything kept is handed back, even if smaller than
        // preferred (C does not try for more).
        let any = Want {
            preferred: 64 * MIB,
            min: 0,
        };
        assert_eq!(kept(8192, &any), Kept::HandBack);
    }

    /// Shapes DRAM-less drives report: HMPRE 8192 to 65536 units (32 to
    /// 256 MiB), HMMIN 0 to 8192, HMMINDS and HMMAXD mostly 0 or small.
    const DRIVE_SHAPES: [(u32, u32, u32, u16); 10] = [
        (8192, 0, 0, 0),
        (8192, 8192, 0, 0),
        (16384, 0, 0, 0),
        (16384, 2048, 0, 0),
        (16384, 8192, 1, 64),
        (51200, 51200, 0, 0),
        (65536, 0, 0, 0),
        (65536, 8192, 8, 32),
        (65536, 4096, 0, 8),
        (32768, 1, 2048, 0),
    ];

    #[test]
    fn drives_with_plenty_of_memory() {
        for (hmpre, hmmin, hmminds, hmmaxd) in DRIVE_SHAPES {
            let c = caps(hmpre, hmmin, hmminds, hmmaxd);
            let w = match sizing(&c, LIMIT) {
                Sizing::Wanted(w) => w,
                // 200 MiB minimum: above the 128 MiB limit, as C warns.
                Sizing::MinAboveLimit { min, .. } => {
                    assert_eq!(min, 200 * MIB);
                    continue;
                }
                Sizing::NotWanted => unreachable!(),
            };
            let mut a = Scripted::default();
            let got = run(&c, &mut a);
            match (hmminds, hmmaxd) {
                // HMMINDS 2048 units (8 MiB) is above the 4 MiB the page
                // allocator hands out: no chunk size to try at all.
                (2048, _) => {
                    assert_eq!(got, None);
                    assert!(a.lists.is_empty());
                }
                // HMMAXD caps the chunks: 4 MiB each, HMMAXD of them.
                (_, d) if d != 0 && u64::from(d) * 4 * MIB < w.preferred => {
                    let got = got.unwrap_or_else(|| panic!("{c:?}"));
                    assert_eq!(got.entries, u32::from(d));
                    assert_eq!(got.size, u64::from(d) * 4 * MIB, "{c:?}");
                }
                _ => {
                    let got = got.unwrap();
                    assert_eq!(got.size, w.preferred, "{c:?}");
                    assert_eq!(got.chunk, 4 * MIB);
                    assert_eq!(a.lists.len(), 1, "the first size does it");
                }
            }
        }
    }

    #[test]
    fn hmmaxd_against_hmmin_falls_back_to_nothing() {
        // 8 descriptors of at most 4 MiB are 32 MiB, short of a 64 MiB
        // minimum at every chunk size: each attempt is given back.
        let c = caps(65536, 16384, 0, 8);
        let mut a = Scripted::default();
        assert_eq!(run(&c, &mut a), None);
        assert_eq!(a.lists.len(), 10, "4 MiB down to 8 KiB");
        assert_eq!(a.given_back, 10);
        // With HMMIN 8192 (32 MiB), the first size just makes it.
        let c = caps(65536, 8192, 0, 8);
        let mut a = Scripted::default();
        assert_eq!(run(&c, &mut a).map(|g| g.size), Some(32 * MIB));
    }

    #[test]
    fn large_chunks_failing_fall_back_to_smaller() {
        // Fragmented memory: nothing above 512 KiB. 128 MiB in 512 KiB
        // chunks; each larger size failed at its first chunk and left
        // nothing behind.
        let c = caps(65536, 0, 0, 0);
        let mut a = Scripted {
            largest_chunk: 512 << 10,
            ..Default::default()
        };
        let got = run(&c, &mut a).unwrap();
        assert_eq!(
            (got.size, got.chunk, got.entries),
            (128 * MIB, 512 << 10, 256)
        );
        assert_eq!(a.lists, [32, 64, 128, 256]);
        assert_eq!(a.given_back, 3);
        // Failing at the first chunk leaves nothing: those attempts were
        // one push each.
        assert_eq!(&a.attempts[..3], &[4 * MIB, 2 * MIB, MIB]);
    }

    #[test]
    fn hmminds_stops_the_fallback() {
        // Nothing above 512 KiB, but the controller takes no chunk below
        // 1 MiB: no buffer.
        let c = caps(65536, 0, 256, 0);
        let mut a = Scripted {
            largest_chunk: 512 << 10,
            ..Default::default()
        };
        assert_eq!(run(&c, &mut a), None);
        assert_eq!(a.lists, [32, 64, 128]);
    }

    #[test]
    fn partial_buffer_is_kept_when_enough() {
        // 40 MiB of memory for a 128 MiB wish: ten 4 MiB chunks, then the
        // eleventh fails; with no minimum that is kept, as C does.
        let c = caps(65536, 0, 0, 0);
        let mut a = Scripted {
            budget: 40 * MIB,
            ..Default::default()
        };
        let got = run(&c, &mut a).unwrap();
        assert_eq!((got.size, got.entries, got.chunk), (40 * MIB, 10, 4 * MIB));
        assert_eq!(a.lists, [32]);
        // With a 32 MiB minimum it is enough too.
        let c = caps(65536, 8192, 0, 0);
        let mut a = Scripted {
            budget: 40 * MIB,
            ..Default::default()
        };
        assert_eq!(run(&c, &mut a).map(|g| g.size), Some(40 * MIB));
    }

    #[test]
    fn min_not_met_at_any_size() {
        // 20 MiB to be had, 32 MiB needed: every size gets 20 MiB, falls
        // short and is given back; nothing is left.
        let c = caps(16384, 8192, 0, 0);
        let mut a = Scripted {
            budget: 20 * MIB,
            ..Default::default()
        };
        assert_eq!(run(&c, &mut a), None);
        assert_eq!(a.lists.len(), 10);
        assert_eq!(a.given_back, 10);
    }

    #[test]
    fn hmmaxd_and_chunk_failures_against_hmmin() {
        // Four descriptors hold 16 MiB of 4 MiB chunks: enough for an
        // 8 MiB minimum.
        let c = caps(8192, 2048, 0, 4);
        let mut a = Scripted::default();
        let got = run(&c, &mut a).unwrap();
        assert_eq!((got.size, got.chunk), (16 * MIB, 4 * MIB));
        // Chunks above 1 MiB fail: four 1 MiB chunks are 4 MiB, short of
        // 8 MiB, and smaller sizes hold even less.
        let mut a = Scripted {
            largest_chunk: MIB,
            ..Default::default()
        };
        assert_eq!(run(&c, &mut a), None);
    }

    #[test]
    fn descriptor_list_failing_tries_the_next_size() {
        // The list for 32 descriptors (4 MiB chunks) cannot be had: the
        // 2 MiB size (64 descriptors) is tried, and succeeds.
        let c = caps(32768, 0, 0, 0);
        let mut a = Scripted {
            fail_list_for_entries: [32].into(),
            ..Default::default()
        };
        let got = run(&c, &mut a).unwrap();
        assert_eq!((got.size, got.chunk, got.entries), (128 * MIB, 2 * MIB, 64));
        assert_eq!(a.given_back, 0, "a list never had is not given back");
        // Every list failing: nothing.
        let mut a = Scripted {
            fail_list_for_entries: (0..=u32::from(u16::MAX)).collect(),
            ..Default::default()
        };
        assert_eq!(run(&c, &mut a), None);
        assert_eq!(a.lists.len(), 10);
    }

    #[test]
    fn first_chunk_failing_is_nothing() {
        // Not one chunk at any size: every buffer started is given back.
        let c = caps(8192, 0, 0, 0);
        let mut a = Scripted {
            budget: 4096,
            ..Default::default()
        };
        assert_eq!(run(&c, &mut a), None);
        assert_eq!(a.given_back as usize, a.lists.len());
        assert_eq!(a.lists.len(), 10, "4 MiB down to 8 KiB for 32 MiB");
    }

    #[test]
    fn preferred_not_a_multiple_of_the_chunk() {
        // 12 MiB + 8 KiB: three 4 MiB chunks and an 8 KiB one.
        let c = caps(3074, 0, 0, 0);
        let mut a = Scripted::default();
        let got = run(&c, &mut a).unwrap();
        assert_eq!(got.size, 12 * MIB + 8192);
        assert_eq!(a.chunks, [4 * MIB, 4 * MIB, 4 * MIB, 8192]);
    }

    #[test]
    fn every_shape_and_failure_point() {
        // Exhaustively over a grid of sizes, limits on chunks and budgets:
        // the result is consistent (checked in `run`), nothing leaks, and
        // it is what C's loop gives, worked out independently here.
        let hmpres = [2, 3, 5, 640, 768, 1024, 3074, 8192, 16384, 51200, 65536];
        let hmmins = [0, 1, 2, 512, 2048, 8192, 16384];
        let hmmindss = [0, 1, 2, 3, 64, 1024, 2048];
        let hmmaxds = [0, 1, 3, 8, 64, 256];
        let largest = [0, 8192, 64 << 10, MIB, 2 * MIB];
        let budgets = [0, 4096, 12 << 10, 3 * MIB, 20 * MIB, 40 * MIB];
        let mut count = 0;
        for &hmpre in &hmpres {
            for &hmmin in &hmmins {
                for &hmminds in &hmmindss {
                    for &hmmaxd in &hmmaxds {
                        let c = caps(hmpre, hmmin, hmminds, hmmaxd);
                        let Sizing::Wanted(w) = sizing(&c, LIMIT) else {
                            continue;
                        };
                        for &largest_chunk in &largest {
                            for &budget in &budgets {
                                let mut a = Scripted {
                                    largest_chunk,
                                    budget,
                                    ..Default::default()
                                };
                                let got = run(&c, &mut a);
                                assert_eq!(
                                    got,
                                    model(&w, &c, largest_chunk, budget),
                                    "{c:?} largest {largest_chunk} budget {budget}"
                                );
                                count += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(count > 10_000, "{count} cases");
    }

    /// C's `nvme_alloc_host_mem` and `__nvme_alloc_host_mem` written out
    /// as plainly as possible, for an allocator where chunks above
    /// `largest` and beyond `budget` bytes fail.
    fn model(w: &Want, c: &HostMemoryCaps, largest: u64, budget: u64) -> Option<Allocated> {
        let min_chunk = w.preferred.min(4096 * 1024);
        let hmminds = (u64::from(c.hmminds) * 4096).max(8192);
        let mut chunk_size = min_chunk;
        while chunk_size >= hmminds && chunk_size > 0 {
            let chunk = chunk_size / 4096 * 4096;
            let mut max_entries = w.preferred.div_ceil(chunk);
            if c.hmmaxd != 0 && u64::from(c.hmmaxd) < max_entries {
                max_entries = u64::from(c.hmmaxd);
            }
            let (mut size, mut i) = (0u64, 0u64);
            while size < w.preferred && i < max_entries {
                let len = chunk.min(w.preferred - size);
                if (largest != 0 && len > largest) || (budget != 0 && size + len > budget) {
                    break;
                }
                size += len;
                i += 1;
            }
            if size != 0 && (w.min == 0 || size >= w.min) {
                return Some(Allocated {
                    size,
                    entries: i as u32,
                    chunk,
                });
            }
            chunk_size /= 2;
        }
        None
    }
}
