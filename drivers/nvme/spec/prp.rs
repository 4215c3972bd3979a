// SPDX-License-Identifier: GPL-2.0

//! Physical Region Page (PRP) entries: how a command's two PRP fields and an
//! optional PRP list describe a data buffer made of DMA-mapped segments
//! (NVMe Base Specification 2.0, section 4.1.1).
//!
//! This mirrors the C driver's `nvme_pci_setup_prps` in
//! `drivers/nvme/host/pci.c`. [`walk_prps`] produces the entries; a list of
//! more entries than a memory page holds is chained over several pages as
//! [`PrpChain`] lays it out, the last entry of a full page pointing to the
//! next page.

/// A DMA-mapped piece of a data buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Bus address of the first byte.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
}

/// Why a list of segments cannot be described with PRPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrpError {
    /// There are no segments.
    Empty,
    /// Segment `index` has length zero.
    ZeroLength {
        /// The offending segment.
        index: usize,
    },
    /// Segment `index` breaks the PRP rules: a segment other than the first
    /// starts inside a page, or one other than the last ends inside one (or
    /// it runs past the end of the address space, or the page size is not a
    /// power of two).
    Gap {
        /// The offending segment.
        index: usize,
    },
    /// The transfer needs more list entries than the list slice holds.
    ListTooSmall {
        /// Entries the transfer needs.
        needed: usize,
    },
}

/// Where the second PRP field points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prp2 {
    /// The transfer fits in the page PRP1 points into: PRP2 is unused (0).
    None,
    /// The transfer touches exactly one more page: PRP2 is that page's
    /// address.
    Page(u64),
    /// The transfer touches more pages: PRP2 points to a list (the caller's
    /// DMA buffer) holding `entries` entries, one per page after the first.
    List {
        /// Entries written to the front of the list.
        entries: usize,
    },
}

/// The data pointer of a command using PRPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prps {
    /// The first PRP entry: the address of the first byte, which may carry
    /// an offset into its page.
    pub prp1: u64,
    /// What the second PRP entry holds.
    pub prp2: Prp2,
}

impl Prps {
    /// The value for the command's PRP2 field, given the bus address of the
    /// list buffer (used only for [`Prp2::List`]).
    pub const fn prp2_value(&self, list_addr: u64) -> u64 {
        match self.prp2 {
            Prp2::None => 0,
            Prp2::Page(addr) => addr,
            Prp2::List { .. } => list_addr,
        }
    }
}

/// Builds the PRPs for `segments`, in order, with memory page size
/// `page_size` (CC.MPS; a power of two of at least 4096).
///
/// PRP1 is the first segment's address, offset into its page included.
/// Every later page the data touches appears once, in order, as its
/// page-aligned address: in PRP2 if there is one such page, otherwise in
/// `list[0..entries]` with [`Prp2::List`] returned. The first segment may
/// start anywhere and every segment but the last must end on a page
/// boundary; every segment but the first must start on a page boundary.
/// The block layer's virtual boundary mask guarantees this for requests;
/// a violation returns [`PrpError::Gap`], never a wrong PRP.
///
/// The controller requires PRP1 to be dword aligned; the block layer's DMA
/// alignment for NVMe (4 bytes) guarantees that and it is not checked here.
/// The list must not cross a page boundary, since a list entry at the end
/// of a page would be read as a pointer to the next list: a list of at most
/// `page_size / 8` entries starting on a page boundary is always fine.
/// Lists are never chained: a transfer needing more entries than
/// `list.len()` returns [`PrpError::ListTooSmall`]. On error the contents
/// of `list` are unspecified.
pub fn build_prps(
    segments: &[Segment],
    page_size: u32,
    list: &mut [u64],
) -> Result<Prps, PrpError> {
    let walk = walk_prps(segments.iter().copied(), page_size, |i, addr| {
        if let Some(slot) = list.get_mut(i) {
            *slot = addr;
        }
    })?;
    walk.prps(list.len())
}

/// What [`walk_prps`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrpWalk {
    /// The first PRP: the first segment's address.
    pub prp1: u64,
    /// How many page addresses came after the first page.
    pub entries: usize,
    /// The first of those, if any.
    pub second: u64,
}

impl PrpWalk {
    /// The PRPs, given a list that holds up to `capacity` entries.
    pub fn prps(&self, capacity: usize) -> Result<Prps, PrpError> {
        let prp2 = match self.entries {
            0 => Prp2::None,
            1 => Prp2::Page(self.second),
            n if n > capacity => return Err(PrpError::ListTooSmall { needed: n }),
            n => Prp2::List { entries: n },
        };
        Ok(Prps {
            prp1: self.prp1,
            prp2,
        })
    }
}

/// The core of [`build_prps`], for callers that write list entries straight
/// into DMA memory: checks `segments` by the same rules and calls
/// `emit(i, addr)` for the `i`-th page address after the first page, in
/// order. Whether those form a list or PRP2 alone is [`PrpWalk::prps`]'s
/// decision.
pub fn walk_prps(
    mut segments: impl Iterator<Item = Segment>,
    page_size: u32,
    mut emit: impl FnMut(usize, u64),
) -> Result<PrpWalk, PrpError> {
    // Pages are powers of two (CC.MPS), so offsets are masks, not divisions,
    // which under emulation are calls.
    if !page_size.is_power_of_two() {
        return Err(PrpError::Gap { index: 0 });
    }
    let page = u64::from(page_size);
    let mask = page - 1;
    let first = segments.next().ok_or(PrpError::Empty)?;
    if first.len == 0 || first.addr.checked_add(u64::from(first.len)).is_none() {
        return Err(first_segment_error(first));
    }
    // The first segment's first page is PRP1's: its walk starts at the next
    // page boundary. Offsets into a segment, unlike addresses, cannot pass
    // the end of the address space, since segments are checked not to.
    let len = u64::from(first.len);
    let mut offset = page - (first.addr & mask);
    let mut count = 0usize;
    let mut second = 0;
    if offset < len {
        second = first.addr + offset;
    }
    while offset < len {
        emit(count, first.addr + offset);
        count += 1;
        offset += page;
    }
    let mut end = first.addr + len;
    let mut index = 1;
    let Some(mut seg) = next_segment(&mut segments, end, index, mask)? else {
        return Ok(PrpWalk {
            prp1: first.addr,
            entries: count,
            second,
        });
    };
    if count == 0 {
        second = seg.addr;
    }
    // A request of many segments is mostly one page each (user buffers are
    // pinned page by page), so the part per segment matters as much as the
    // part per page. A later segment is checked to start on a page boundary
    // and to hold data, so it has at least one page, every page a new entry.
    loop {
        let len = u64::from(seg.len);
        let mut offset = 0;
        loop {
            emit(count, seg.addr + offset);
            count += 1;
            offset += page;
            if offset >= len {
                break;
            }
        }
        end = seg.addr + len;
        index += 1;
        match next_segment(&mut segments, end, index, mask)? {
            Some(next) => seg = next,
            None => break,
        }
    }
    Ok(PrpWalk {
        prp1: first.addr,
        entries: count,
        second,
    })
}

/// The segment after one that ends at `previous_end`, which is segment
/// `index`, checked against every rule it could break with one test: the
/// segment before must end on a page boundary, as this one follows it; this
/// one must start on one; and it must hold data without running past the
/// end of the address space. `None` after the last segment.
#[inline]
fn next_segment(
    segments: &mut impl Iterator<Item = Segment>,
    previous_end: u64,
    index: usize,
    mask: u64,
) -> Result<Option<Segment>, PrpError> {
    let Some(seg) = segments.next() else {
        return Ok(None);
    };
    if (previous_end | seg.addr) & mask != 0
        || seg.len == 0
        || seg.addr.checked_add(u64::from(seg.len)).is_none()
    {
        return Err(later_segment_error(previous_end, seg, index, mask));
    }
    Ok(Some(seg))
}

/// Why the first segment, `seg`, which is empty or runs past the end of the
/// address space, cannot be described.
#[cold]
fn first_segment_error(seg: Segment) -> PrpError {
    if seg.len == 0 {
        PrpError::ZeroLength { index: 0 }
    } else {
        PrpError::Gap { index: 0 }
    }
}

/// Why segment `index`, `seg`, following one that ends at `previous_end`,
/// breaks the rules: the first rule broken, in the order segments are read.
#[cold]
fn later_segment_error(previous_end: u64, seg: Segment, index: usize, mask: u64) -> PrpError {
    if previous_end & mask != 0 {
        PrpError::Gap { index: index - 1 }
    } else if seg.len == 0 {
        PrpError::ZeroLength { index }
    } else {
        // It starts inside a page or runs past the end of the address space.
        PrpError::Gap { index }
    }
}

/// PRP1 and PRP2 for a lone segment that ends within two pages of the page
/// it starts in, which needs no list (C `nvme_setup_prp_simple`): PRP2 is
/// the second page's address, or 0 if the segment stays in its first page.
/// `None` for a longer or empty segment, or a page size [`walk_prps`]
/// refuses (not a power of two): those go through the walk.
pub fn two_page_prps(seg: Segment, page_size: u32) -> Option<(u64, u64)> {
    if !page_size.is_power_of_two() {
        return None;
    }
    let page = u64::from(page_size);
    let offset = seg.addr & (page - 1);
    // A segment running past the end of the address space is refused, as
    // `walk_prps` refuses it.
    seg.addr.checked_add(u64::from(seg.len))?;
    let end = offset + u64::from(seg.len);
    if seg.len == 0 || end > 2 * page {
        return None;
    }
    if end <= page {
        return Some((seg.addr, 0));
    }
    // The second page starts inside the segment, below its end, so this
    // does not wrap.
    let second = seg.addr - offset + page;
    Some((seg.addr, second))
}

/// How a PRP list of `entries` entries lies over list pages of
/// `page_size` bytes (C `nvme_pci_setup_prps`): where a page fills up and
/// more entries follow, its last slot points to the next page instead, and
/// the entry that would have been there opens the next page. So every
/// page but the last holds `slots - 1` entries and the last up to `slots`,
/// `slots` being `page_size / 8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrpChain {
    /// Entries per list page, the link included.
    slots: usize,
    /// List pages.
    pages: usize,
}

impl PrpChain {
    /// The layout of `entries` list entries (at least 1) over pages of
    /// `page_size` bytes (at least 16); `None` otherwise.
    pub fn new(entries: usize, page_size: u32) -> Option<Self> {
        let slots = usize::try_from(page_size / 8).ok()?;
        if entries == 0 || slots < 2 {
            return None;
        }
        let pages = if entries <= slots {
            1
        } else {
            1 + (entries - slots).div_ceil(slots - 1)
        };
        Some(PrpChain { slots, pages })
    }

    /// List pages the entries take.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Where entry `i` goes: its page, and its slot in that page.
    pub fn position(&self, i: usize) -> (usize, usize) {
        let page = (i / (self.slots - 1)).min(self.pages - 1);
        (page, i - page * (self.slots - 1))
    }

    /// The slot of every page but the last that holds the next page's
    /// address.
    pub fn link_slot(&self) -> usize {
        self.slots - 1
    }
}

/// The offset of bus address `addr` into its page of `page_size` bytes; 0
/// for a zero page size (which [`walk_prps`] refuses).
pub fn offset_in_page(addr: u64, page_size: u32) -> u32 {
    // The remainder is below `page_size`, so it fits.
    addr.checked_rem(u64::from(page_size)).unwrap_or(0) as u32
}

/// The pages after the first that a transfer of `len` bytes starting at
/// offset `offset` into a page (taken modulo `page_size`) touches: the total
/// pages touched minus one. 0 and 1 mean no list is needed (PRP2 unused, or
/// PRP2 pointing at the second page); a value above 1 is the number of
/// entries [`build_prps`] writes to the list. A zero length or page size
/// gives 0.
pub fn prp_list_entries(offset: u32, len: u64, page_size: u32) -> usize {
    if len == 0 || page_size == 0 {
        return 0;
    }
    let page = u64::from(page_size);
    let span = u64::from(offset % page_size).saturating_add(len);
    let pages = span.div_ceil(page);
    usize::try_from(pages - 1).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u32 = 4096;

    /// The reference model: every page each segment touches, the first
    /// segment's first page replaced by its exact address, then the PRP
    /// split, written as plainly as possible.
    fn model(segments: &[Segment], page: u32) -> Result<(u64, Vec<u64>), PrpError> {
        if segments.is_empty() {
            return Err(PrpError::Empty);
        }
        let page = u64::from(page);
        let mut pages = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            if s.len == 0 {
                return Err(PrpError::ZeroLength { index: i });
            }
            let end = s.addr + u64::from(s.len);
            if i > 0 && s.addr % page != 0 {
                return Err(PrpError::Gap { index: i });
            }
            if i + 1 < segments.len() && end % page != 0 {
                return Err(PrpError::Gap { index: i });
            }
            let mut p = s.addr / page * page;
            while p < end {
                pages.push(p);
                p += page;
            }
        }
        Ok((segments[0].addr, pages[1..].to_vec()))
    }

    /// Builds with a list of `cap` entries and checks against the model.
    fn check(segments: &[Segment], page: u32, cap: usize) {
        let mut list = vec![0xdead_u64; cap];
        let got = build_prps(segments, page, &mut list);
        match model(segments, page) {
            Err(e) => assert_eq!(got, Err(e), "{segments:x?}"),
            Ok((prp1, rest)) => {
                let want = match rest.len() {
                    0 => Ok(Prp2::None),
                    1 => Ok(Prp2::Page(rest[0])),
                    n if n > cap => Err(PrpError::ListTooSmall { needed: n }),
                    n => Ok(Prp2::List { entries: n }),
                };
                match want {
                    Err(e) => assert_eq!(got, Err(e)),
                    Ok(prp2) => {
                        assert_eq!(got, Ok(Prps { prp1, prp2 }), "{segments:x?}");
                        if let Prp2::List { entries } = prp2 {
                            assert_eq!(&list[..entries], &rest[..]);
                            // Nothing beyond the entries is touched.
                            assert!(list[entries..].iter().all(|&x| x == 0xdead));
                        }
                    }
                }
                // A single segment's count agrees with prp_list_entries.
                if segments.len() == 1 {
                    let s = segments[0];
                    let n = prp_list_entries(s.addr as u32, u64::from(s.len), page);
                    assert_eq!(n, rest.len());
                }
            }
        }
    }

    /// A deterministic pseudo-random generator (64-bit LCG), so the tests
    /// need no crates and always run the same cases.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 16
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Lays `entries` entries (the values `0..entries`) out as `chain`
    /// says, links the pages (page `p` at address `1_000_000 + p`), then
    /// reads them back as the controller does: entry after entry, and at a
    /// page's last slot with more to come, on from the page it names.
    fn read_back(entries: usize, page: u32) -> (usize, Vec<u64>) {
        let chain = PrpChain::new(entries, page).unwrap();
        let slots = page as usize / 8;
        let mut pages = vec![vec![u64::MAX; slots]; chain.pages()];
        for i in 0..entries {
            let (p, s) = chain.position(i);
            assert_eq!(pages[p][s], u64::MAX, "entry {i} overwrites a slot");
            pages[p][s] = i as u64;
        }
        for p in 0..chain.pages() - 1 {
            assert_eq!(pages[p][chain.link_slot()], u64::MAX, "link slot used");
            pages[p][chain.link_slot()] = 1_000_000 + p as u64 + 1;
        }
        let mut read = Vec::new();
        let (mut p, mut s) = (0, 0);
        while read.len() < entries {
            if s == slots - 1 && read.len() + 1 < entries {
                p = (pages[p][s] - 1_000_000) as usize;
                s = 0;
                continue;
            }
            read.push(pages[p][s]);
            s += 1;
        }
        (chain.pages(), read)
    }

    #[test]
    fn chained_lists_read_back_in_order() {
        for page in [32u32, 64, 4096] {
            let slots = page as usize / 8;
            for entries in 1..=6 * slots {
                let (pages, read) = read_back(entries, page);
                assert_eq!(
                    read,
                    (0..entries as u64).collect::<Vec<_>>(),
                    "{entries} at {page}"
                );
                // As few pages as C allocates: one while a page holds them all,
                // then one more per `slots - 1` entries.
                let want = if entries <= slots {
                    1
                } else {
                    1 + (entries - slots).div_ceil(slots - 1)
                };
                assert_eq!(pages, want, "{entries} at {page}");
            }
        }
    }

    #[test]
    fn eight_mib_takes_five_list_pages() {
        // 8 MiB not page aligned touches 2049 pages: 2048 list entries,
        // C's NVME_MAX_NR_ALLOCATIONS (5) list pages.
        let entries = prp_list_entries(512, 8 << 20, PAGE);
        assert_eq!(entries, 2048);
        assert_eq!(PrpChain::new(entries, PAGE).unwrap().pages(), 5);
        assert_eq!(PrpChain::new(512, PAGE).unwrap().pages(), 1);
        assert_eq!(PrpChain::new(513, PAGE).unwrap().pages(), 2);
        assert_eq!(PrpChain::new(0, PAGE), None);
        assert_eq!(PrpChain::new(4, 8), None);
    }

    #[test]
    fn worked_examples() {
        let mut list = [0u64; 512];
        // 4 KiB read into one aligned page: PRP1 only.
        let one = [Segment {
            addr: 0x10_0000,
            len: 4096,
        }];
        assert_eq!(
            build_prps(&one, PAGE, &mut list),
            Ok(Prps {
                prp1: 0x10_0000,
                prp2: Prp2::None
            })
        );
        // 8 KiB at offset 0x200: touches three pages, so a list of two.
        let odd = [Segment {
            addr: 0x10_0200,
            len: 8192,
        }];
        assert_eq!(
            build_prps(&odd, PAGE, &mut list),
            Ok(Prps {
                prp1: 0x10_0200,
                prp2: Prp2::List { entries: 2 }
            })
        );
        assert_eq!(&list[..2], &[0x10_1000, 0x10_2000]);
        // 8 KiB aligned: exactly one more page, PRP2 is its address.
        let two = [Segment {
            addr: 0x10_0000,
            len: 8192,
        }];
        assert_eq!(
            build_prps(&two, PAGE, &mut list),
            Ok(Prps {
                prp1: 0x10_0000,
                prp2: Prp2::Page(0x10_1000)
            })
        );
        // Two scattered pages.
        let split = [
            Segment {
                addr: 0x7000_0800,
                len: 0x800,
            },
            Segment {
                addr: 0x3000_0000,
                len: 0x200,
            },
        ];
        assert_eq!(
            build_prps(&split, PAGE, &mut list),
            Ok(Prps {
                prp1: 0x7000_0800,
                prp2: Prp2::Page(0x3000_0000)
            })
        );
        // 2 MiB aligned: 512 pages, 511 list entries, fits a 4 KiB list page.
        let big = [Segment {
            addr: 0x4000_0000,
            len: 2 << 20,
        }];
        assert_eq!(
            build_prps(&big, PAGE, &mut list),
            Ok(Prps {
                prp1: 0x4000_0000,
                prp2: Prp2::List { entries: 511 }
            })
        );
        assert_eq!(list[510], 0x4000_0000 + 511 * 4096);
        // 2 MiB with an offset touches 513 pages: 512 entries would need a
        // chained list in C (the last slot is the chain pointer); here it is
        // ListTooSmall with a 511-entry list.
        let big = [Segment {
            addr: 0x4000_0010,
            len: 2 << 20,
        }];
        assert_eq!(
            build_prps(&big, PAGE, &mut list[..511]),
            Err(PrpError::ListTooSmall { needed: 512 })
        );
    }

    #[test]
    fn prp2_value() {
        let p = |prp2| Prps { prp1: 0, prp2 }.prp2_value(0xabc000);
        assert_eq!(p(Prp2::None), 0);
        assert_eq!(p(Prp2::Page(0x5000)), 0x5000);
        assert_eq!(p(Prp2::List { entries: 3 }), 0xabc000);
    }

    #[test]
    fn errors() {
        let mut list = [0u64; 8];
        assert_eq!(build_prps(&[], PAGE, &mut list), Err(PrpError::Empty));
        let zero = [
            Segment {
                addr: 0x1000,
                len: 4096,
            },
            Segment {
                addr: 0x3000,
                len: 0,
            },
        ];
        assert_eq!(
            build_prps(&zero, PAGE, &mut list),
            Err(PrpError::ZeroLength { index: 1 })
        );
        let zero = [Segment {
            addr: 0x1000,
            len: 0,
        }];
        assert_eq!(
            build_prps(&zero, PAGE, &mut list),
            Err(PrpError::ZeroLength { index: 0 })
        );
        // First segment ends inside a page, and another follows.
        let gap = [
            Segment {
                addr: 0x1000,
                len: 512,
            },
            Segment {
                addr: 0x3000,
                len: 512,
            },
        ];
        assert_eq!(
            build_prps(&gap, PAGE, &mut list),
            Err(PrpError::Gap { index: 0 })
        );
        // Second segment starts inside a page.
        let gap = [
            Segment {
                addr: 0x1000,
                len: 4096,
            },
            Segment {
                addr: 0x3200,
                len: 512,
            },
        ];
        assert_eq!(
            build_prps(&gap, PAGE, &mut list),
            Err(PrpError::Gap { index: 1 })
        );
        // A middle segment ending inside a page.
        let gap = [
            Segment {
                addr: 0x1800,
                len: 0x800,
            },
            Segment {
                addr: 0x5000,
                len: 0x1800,
            },
            Segment {
                addr: 0x9000,
                len: 0x1000,
            },
        ];
        assert_eq!(
            build_prps(&gap, PAGE, &mut list),
            Err(PrpError::Gap { index: 1 })
        );
        // Aligned for 4 KiB pages but not for 16 KiB ones.
        let seg = [
            Segment {
                addr: 0x1000,
                len: 0x1000,
            },
            Segment {
                addr: 0x8000,
                len: 0x1000,
            },
        ];
        assert!(build_prps(&seg, PAGE, &mut list).is_ok());
        assert_eq!(
            build_prps(&seg, 16384, &mut list),
            Err(PrpError::Gap { index: 0 })
        );
        // Past the end of the address space.
        let wrap = [Segment {
            addr: u64::MAX - 10,
            len: 100,
        }];
        assert_eq!(
            build_prps(&wrap, PAGE, &mut list),
            Err(PrpError::Gap { index: 0 })
        );
        // A page size that is zero or not a power of two is refused.
        let one = [Segment { addr: 0, len: 1 }];
        for page in [0, 3000, 4097] {
            assert_eq!(
                build_prps(&one, page, &mut list),
                Err(PrpError::Gap { index: 0 })
            );
        }
        // The list is too small: 10 pages need 9 entries.
        let ten = [Segment {
            addr: 0,
            len: 10 * 4096,
        }];
        assert_eq!(
            build_prps(&ten, PAGE, &mut list),
            Err(PrpError::ListTooSmall { needed: 9 })
        );
        // Two pages need no list at all, even an empty one.
        let two = [Segment {
            addr: 0,
            len: 2 * 4096,
        }];
        assert_eq!(
            build_prps(&two, PAGE, &mut []),
            Ok(Prps {
                prp1: 0,
                prp2: Prp2::Page(4096)
            })
        );
        // The error reports the first offending segment in order.
        let both = [
            Segment {
                addr: 0x1000,
                len: 0,
            },
            Segment {
                addr: 0x3200,
                len: 1,
            },
        ];
        assert_eq!(
            build_prps(&both, PAGE, &mut list),
            Err(PrpError::ZeroLength { index: 0 })
        );
    }

    #[test]
    fn end_of_address_space() {
        let mut list = [0u64; 4];
        // Data in the very last page: no second page, and no overflow. The
        // end is exclusive, so the last byte of the space itself cannot be
        // part of a segment.
        let last = [Segment {
            addr: u64::MAX - 4095,
            len: 4095,
        }];
        assert_eq!(
            build_prps(&last, PAGE, &mut list),
            Ok(Prps {
                prp1: u64::MAX - 4095,
                prp2: Prp2::None
            })
        );
        let two = [Segment {
            addr: u64::MAX - 8191,
            len: 8191,
        }];
        assert_eq!(
            build_prps(&two, PAGE, &mut list),
            Ok(Prps {
                prp1: u64::MAX - 8191,
                prp2: Prp2::Page(u64::MAX - 4095)
            })
        );
        let past = [Segment {
            addr: u64::MAX - 4095,
            len: 4096,
        }];
        assert_eq!(
            build_prps(&past, PAGE, &mut list),
            Err(PrpError::Gap { index: 0 })
        );
        // A later segment in the last page, and one running past it.
        let later = [
            Segment {
                addr: 0x1000,
                len: 0x1000,
            },
            Segment {
                addr: u64::MAX - 4095,
                len: 4095,
            },
        ];
        assert_eq!(
            build_prps(&later, PAGE, &mut list),
            Ok(Prps {
                prp1: 0x1000,
                prp2: Prp2::Page(u64::MAX - 4095)
            })
        );
        let past = [later[0], past[0]];
        assert_eq!(
            build_prps(&past, PAGE, &mut list),
            Err(PrpError::Gap { index: 1 })
        );
    }

    /// One segment: every offset at dword granularity in the first two
    /// pages' worth of interesting places, every length from 1 byte to
    /// 2 MiB in steps that hit each page boundary and its neighbours.
    #[test]
    fn single_segment_all_offsets_and_lengths() {
        for page in [4096u32, 16384] {
            let mut lens: Vec<u32> = (1..=64).collect();
            let mut k = 1;
            while k * page <= 2 << 20 {
                for d in [-3i64, -1, 0, 1, 4] {
                    lens.push((i64::from(k * page) + d) as u32);
                }
                k += 1;
            }
            lens.push(2 << 20);
            let offsets: Vec<u32> = (0..page)
                .step_by(4)
                .filter(|o| o % 508 == 0 || *o < 16 || page - o <= 16)
                .collect();
            for &off in &offsets {
                for &len in &lens {
                    let seg = [Segment {
                        addr: 0x8_0000_0000 + u64::from(off),
                        len,
                    }];
                    check(&seg, page, (page / 8) as usize);
                }
            }
        }
    }

    /// prp_list_entries against a page walk, for all offsets and lengths.
    #[test]
    fn list_entries_formula() {
        for page in [4096u32, 16384] {
            for off in (0..page).step_by(61).chain([page - 1]) {
                for len in (0u64..5 * u64::from(page))
                    .step_by(97)
                    .chain([(2 << 20) + 1])
                {
                    let mut touched = 0usize;
                    let mut p = 0u64;
                    let end = u64::from(off) + len;
                    while len > 0 && p < end {
                        if p + u64::from(page) > u64::from(off) {
                            touched += 1;
                        }
                        p += u64::from(page);
                    }
                    assert_eq!(prp_list_entries(off, len, page), touched.saturating_sub(1));
                    // The offset is taken modulo the page size.
                    assert_eq!(
                        prp_list_entries(off + 3 * page, len, page),
                        touched.saturating_sub(1)
                    );
                }
            }
        }
        assert_eq!(prp_list_entries(0, 4096, 4096), 0);
        assert_eq!(prp_list_entries(1, 4096, 4096), 1);
        assert_eq!(prp_list_entries(0, 8192, 4096), 1);
        assert_eq!(prp_list_entries(0, 8193, 4096), 2);
        assert_eq!(prp_list_entries(0, 2 << 20, 4096), 511);
        assert_eq!(prp_list_entries(512, 2 << 20, 4096), 512);
        assert_eq!(prp_list_entries(0, 0, 4096), 0);
        assert_eq!(prp_list_entries(0, 100, 0), 0);
        assert_eq!(
            prp_list_entries(4095, u64::MAX, 4096),
            (u64::MAX / 4096) as usize
        );
    }

    /// Many segments: random valid scatter lists (a first segment at any
    /// offset ending on a page boundary, whole-page middles, a last segment
    /// of any length) up to 2 MiB, plus random corruptions of them.
    #[test]
    fn many_segments_against_model() {
        let mut rng = Lcg(0x6e76_6d65_2d72_7321);
        let mut seen = [0usize; 5];
        for page in [4096u32, 16384] {
            let p = u64::from(page);
            for round in 0..20_000 {
                let nseg = 1 + rng.below(if round % 4 == 0 { 64 } else { 8 }) as usize;
                let mut segs = Vec::with_capacity(nseg);
                let mut total = 0u64;
                for i in 0..nseg {
                    // Scatter segments over a 64 GiB bus address space.
                    let base = rng.below(1 << 24) * p;
                    let (addr, len) = if nseg == 1 {
                        let off = rng.below(p / 4) * 4;
                        // Half short, to reach the no-list outcomes too.
                        let most = if rng.below(2) == 0 { 2 * p } else { 2 << 20 };
                        (base + off, 1 + rng.below(most))
                    } else if i == 0 {
                        let off = rng.below(p / 4) * 4;
                        let pages = 1 + rng.below(4);
                        (base + off, pages * p - off)
                    } else if i + 1 == nseg {
                        (base, 1 + rng.below(4 * p))
                    } else {
                        (base, (1 + rng.below(4)) * p)
                    };
                    total += len;
                    segs.push(Segment {
                        addr,
                        len: len as u32,
                    });
                }
                assert!(total <= (2 << 20) + 64 * 4 * p);
                // Lists of the usual page's worth, and tiny ones.
                let cap = if round % 3 == 0 {
                    rng.below(8) as usize
                } else {
                    (page / 8) as usize
                };
                assert!(model(&segs, page).is_ok(), "generated lists are valid");
                check(&segs, page, cap);
                let mut list = vec![0; cap];
                match build_prps(&segs, page, &mut list) {
                    Ok(Prps {
                        prp2: Prp2::None, ..
                    }) => seen[0] += 1,
                    Ok(Prps {
                        prp2: Prp2::Page(_),
                        ..
                    }) => seen[1] += 1,
                    Ok(Prps {
                        prp2: Prp2::List { .. },
                        ..
                    }) => seen[2] += 1,
                    Err(PrpError::ListTooSmall { .. }) => seen[3] += 1,
                    Err(e) => panic!("valid list refused: {e:?}"),
                }

                // Break one rule in a copy and check the error matches.
                let mut bad = segs.clone();
                let i = rng.below(nseg as u64) as usize;
                match rng.below(3) {
                    0 => bad[i].len = 0,
                    1 => bad[i].addr += 4 * (1 + rng.below(p / 4 - 1)),
                    _ => {
                        bad[i].len = bad[i]
                            .len
                            .saturating_sub(4 * (1 + rng.below(16) as u32))
                            .max(1)
                    }
                }
                check(&bad, page, (page / 8) as usize);
                if model(&bad, page).is_err() {
                    seen[4] += 1;
                }
            }
        }
        // Every outcome was exercised many times.
        assert!(seen.iter().all(|&n| n > 200), "{seen:?}");
    }

    /// The fast path agrees with the general walk wherever it applies, and
    /// applies exactly to the segments within two pages.
    #[test]
    fn two_page_prps_match_the_walk() {
        for page in [4096u32, 8192] {
            let p = u64::from(page);
            for base in [0u64, 0x10_0000, u64::MAX - 3 * p + 1] {
                for off in (0..p).step_by(509).chain([1, 4, p - 4, p - 1]) {
                    for len in
                        (0u32..3 * page)
                            .step_by(257)
                            .chain([1, page - 1, page, page + 1, 2 * page])
                    {
                        let seg = Segment {
                            addr: base + off,
                            len,
                        };
                        let fast = two_page_prps(seg, page);
                        let walk = walk_prps([seg].into_iter(), page, |_, _| {});
                        let within = len > 0 && off + u64::from(len) <= 2 * p;
                        match walk {
                            Ok(w) if within => {
                                let prps = w.prps(0).unwrap();
                                assert_eq!(fast, Some((prps.prp1, prps.prp2_value(0))), "{seg:?}");
                            }
                            _ => assert_eq!(fast, None, "{seg:?} {walk:?}"),
                        }
                    }
                }
            }
        }
        for page in [0, 3000, 4097] {
            let seg = Segment {
                addr: 0x1000,
                len: 8,
            };
            assert_eq!(two_page_prps(seg, page), None);
            assert!(walk_prps([seg].into_iter(), page, |_, _| {}).is_err());
        }
    }

    #[test]
    fn offset_in_page_is_the_remainder() {
        for page in [4096u32, 8192, 1 << 27] {
            for addr in [0u64, 1, 4095, 4096, 4097, 0x1_0000_0fff, u64::MAX] {
                assert_eq!(
                    u64::from(offset_in_page(addr, page)),
                    addr % u64::from(page)
                );
            }
        }
        assert_eq!(offset_in_page(0x1234, 0), 0);
    }

    /// Every small scatter list over a tiny address space: up to three
    /// segments, each at a few starts and lengths around page boundaries.
    #[test]
    fn small_lists_exhaustive() {
        let page = 4096u32;
        let starts = [0u64, 4, 0x800, 0xffc, 0x1000, 0x1004, 0x3000, 0x5ffc];
        let lens = [
            1u32, 4, 0x7fc, 0x800, 0xffc, 0x1000, 0x1004, 0x2000, 0x2ffc, 0x3000,
        ];
        let mut cases = 0;
        for &a0 in &starts {
            for &l0 in &lens {
                check(&[Segment { addr: a0, len: l0 }], page, 4);
                for &a1 in &starts {
                    for &l1 in &lens {
                        let two = [Segment { addr: a0, len: l0 }, Segment { addr: a1, len: l1 }];
                        check(&two, page, 4);
                        for &a2 in &starts[4..] {
                            for &l2 in &lens[..5] {
                                let three = [two[0], two[1], Segment { addr: a2, len: l2 }];
                                check(&three, page, 4);
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 8 * 10 * 8 * 10 * 4 * 5);
    }
}
