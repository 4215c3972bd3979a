// SPDX-License-Identifier: GPL-2.0

//! Scatter Gather List (SGL) descriptors: the alternative to PRPs for
//! describing a command's data buffer, one descriptor per DMA segment of any
//! alignment and length (NVMe Base Specification 2.0, section 4.1.2).
//!
//! This mirrors the C driver's `nvme_pci_setup_sgls`, `nvme_pci_sgl_set_data`,
//! `nvme_pci_sgl_set_seg` and `nvme_pci_use_sgls` in
//! `drivers/nvme/host/pci.c`; the descriptor layout is C's
//! `struct nvme_sgl_desc` in `srctree/include/linux/nvme.h`.

use super::prp::Segment;

/// SGL descriptor types (byte 15 bits 7:4; bits 3:0 hold the subtype, here
/// always 0h, "Address"). C `NVME_SGL_FMT_*_DESC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SglType {
    /// Data Block: a piece of the data buffer.
    DataBlock = 0x0,
    /// Segment: points to a list of descriptors that ends with another
    /// Segment or Last Segment descriptor.
    Segment = 0x2,
    /// Last Segment: points to the final list of descriptors.
    LastSegment = 0x3,
}

/// One SGL descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SglDescriptor {
    /// Bus address of the data block or descriptor list.
    pub addr: u64,
    /// Length in bytes of the data block or descriptor list.
    pub len: u32,
    /// What the descriptor points to.
    pub kind: SglType,
}

/// Size of an SGL descriptor in bytes.
pub const SGL_DESCRIPTOR_SIZE: usize = 16;

impl SglDescriptor {
    /// The 16 bytes the controller reads: address (little-endian u64),
    /// length (little-endian u32), three reserved bytes, then the type in
    /// bits 7:4 of the last byte with subtype 0 (address) in bits 3:0.
    pub fn to_bytes(&self) -> [u8; SGL_DESCRIPTOR_SIZE] {
        let [low, high] = self.to_words();
        let mut b = [0u8; SGL_DESCRIPTOR_SIZE];
        b[0..8].copy_from_slice(&low.to_le_bytes());
        b[8..16].copy_from_slice(&high.to_le_bytes());
        b
    }

    /// The same as two 64-bit words, to be stored little-endian one after
    /// the other: a list is written a word at a time, not a byte.
    pub const fn to_words(&self) -> [u64; 2] {
        [self.addr, self.len as u64 | ((self.kind as u64) << 4) << 56]
    }
}

/// Why a list of segments cannot be described with an SGL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SglError {
    /// There are no segments.
    Empty,
    /// Segment `index` has length zero.
    ZeroLength {
        /// The offending segment.
        index: usize,
    },
    /// The segments need more descriptors than the list slice holds.
    ListTooSmall {
        /// Descriptors the transfer needs.
        needed: usize,
    },
}

/// What goes in the command's data pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sgl {
    /// A single data block descriptor, carried in the command itself.
    Inline(SglDescriptor),
    /// `entries` data block descriptors were written to the front of the
    /// caller's list; the command carries the Last Segment descriptor that
    /// [`last_segment`] makes from the list's bus address and `entries`.
    List {
        /// Descriptors written.
        entries: usize,
    },
}

/// Builds the SGL for `segments`, in order: one Data Block descriptor per
/// segment, inline in the command for a single segment, otherwise in
/// `list[0..entries]`.
///
/// Lists are never chained (as in C, one list holds every descriptor): more
/// segments than `list.len()` return [`SglError::ListTooSmall`]. The list
/// written to the device is `entries * 16` bytes; see
/// [`list_to_bytes`] for the wire form. On error the contents of `list` are
/// unspecified.
pub fn build_sgl(segments: &[Segment], list: &mut [SglDescriptor]) -> Result<Sgl, SglError> {
    if segments.is_empty() {
        return Err(SglError::Empty);
    }
    if let Some(index) = segments.iter().position(|s| s.len == 0) {
        return Err(SglError::ZeroLength { index });
    }
    let data = |s: &Segment| SglDescriptor {
        addr: s.addr,
        len: s.len,
        kind: SglType::DataBlock,
    };
    if let [only] = segments {
        return Ok(Sgl::Inline(data(only)));
    }
    if segments.len() > list.len() {
        return Err(SglError::ListTooSmall {
            needed: segments.len(),
        });
    }
    for (slot, seg) in list.iter_mut().zip(segments) {
        *slot = data(seg);
    }
    Ok(Sgl::List {
        entries: segments.len(),
    })
}

/// The Last Segment descriptor for a list at bus address `list_addr` holding
/// `entries` descriptors: its length is `entries * 16` bytes (saturating at
/// `u32::MAX`, far beyond any list a command can use).
pub fn last_segment(list_addr: u64, entries: usize) -> SglDescriptor {
    let bytes = entries.saturating_mul(SGL_DESCRIPTOR_SIZE);
    SglDescriptor {
        addr: list_addr,
        len: u32::try_from(bytes).unwrap_or(u32::MAX),
        kind: SglType::LastSegment,
    }
}

/// Writes the wire form of `descs` to `out`, 16 bytes each, and returns the
/// number of bytes written: as many whole descriptors as fit.
pub fn list_to_bytes(descs: &[SglDescriptor], out: &mut [u8]) -> usize {
    let mut written = 0;
    for (chunk, desc) in out.chunks_exact_mut(SGL_DESCRIPTOR_SIZE).zip(descs) {
        chunk.copy_from_slice(&desc.to_bytes());
        written += SGL_DESCRIPTOR_SIZE;
    }
    written
}

/// Whether to use SGLs rather than PRPs for a request, as the C driver's
/// `nvme_pci_use_sgls` decides for block I/O without metadata: the
/// controller supports SGLs for the NVM command set (Identify Controller
/// SGLS bits 1:0 non-zero), the queue is not the admin queue (which C
/// always drives with PRPs), and the average segment size, `total_len /
/// segments` rounded up as C's `DIV_ROUND_UP`, is at least `threshold`
/// bytes (the `sgl_threshold` module parameter, C default 32 KiB; 0 means
/// never). Zero segments never prefer SGLs. A user passthrough command
/// (`user_command`) always takes SGLs where the controller has them, so
/// the controller checks the buffer's length against the command's.
pub fn prefer_sgl(
    sgls: u32,
    is_admin: bool,
    user_command: bool,
    total_len: u64,
    segments: usize,
    threshold: u32,
) -> bool {
    if sgls & 0b11 == 0 || is_admin || segments == 0 {
        return false;
    }
    let segments = u64::try_from(segments).unwrap_or(u64::MAX);
    if threshold == 0 || total_len.div_ceil(segments) < u64::from(threshold) {
        return user_command;
    }
    true
}

/// C's fast path for a request of one data segment (`nvme_map_data`),
/// decided before [`prefer_sgl`]: a segment that ends within two pages of
/// the page it starts in takes PRP1 and PRP2 (`false`) whatever the
/// request is; a longer one on an I/O queue takes a single SGL descriptor
/// (`true`) when the controller has SGLs and `threshold` is not 0. `None`:
/// the general rule decides.
pub fn single_segment_prefers_sgl(
    sgls: u32,
    is_admin: bool,
    offset_in_page: u32,
    len: u32,
    page_size: u32,
    threshold: u32,
) -> Option<bool> {
    if u64::from(offset_in_page) + u64::from(len) <= 2 * u64::from(page_size) {
        return Some(false);
    }
    if !is_admin && threshold != 0 && sgls & 0b11 != 0 {
        return Some(true);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_values_match_the_spec() {
        // NVMe Base 2.0, "SGL Descriptor Type"; C NVME_SGL_FMT_*_DESC.
        assert_eq!(SglType::DataBlock as u8, 0x0);
        assert_eq!(SglType::Segment as u8, 0x2);
        assert_eq!(SglType::LastSegment as u8, 0x3);
    }

    #[test]
    fn descriptor_layout() {
        let d = SglDescriptor {
            addr: 0x0102_0304_0506_0708,
            len: 0x1122_3344,
            kind: SglType::DataBlock,
        };
        assert_eq!(
            d.to_bytes(),
            [
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x44, 0x33, 0x22, 0x11, 0, 0, 0,
                0x00
            ]
        );
        let d = SglDescriptor {
            kind: SglType::Segment,
            ..d
        };
        assert_eq!(d.to_bytes()[15], 0x20);
        let d = SglDescriptor {
            kind: SglType::LastSegment,
            ..d
        };
        assert_eq!(d.to_bytes()[15], 0x30);
        assert_eq!(&d.to_bytes()[12..15], &[0, 0, 0], "reserved");
    }

    #[test]
    fn single_segment_is_inline() {
        let mut list: [SglDescriptor; 0] = [];
        let seg = [Segment {
            addr: 0x1234_5673,
            len: 77,
        }];
        assert_eq!(
            build_sgl(&seg, &mut list),
            Ok(Sgl::Inline(SglDescriptor {
                addr: 0x1234_5673,
                len: 77,
                kind: SglType::DataBlock
            }))
        );
    }

    #[test]
    fn every_segment_count_against_model() {
        let filler = SglDescriptor {
            addr: 0xdead,
            len: 0xdead,
            kind: SglType::Segment,
        };
        for n in 1..=300usize {
            // Odd addresses and lengths: SGLs have no page rules.
            let segs: Vec<Segment> = (0..n)
                .map(|i| Segment {
                    addr: 0x1_0000_0001 + (i as u64) * 0x1_0003,
                    len: 1 + (i as u32 * 7919) % 70_000,
                })
                .collect();
            for cap in [0usize, 1, n - 1, n, n + 5, 256] {
                let mut list = vec![filler; cap];
                let got = build_sgl(&segs, &mut list);
                if n == 1 {
                    assert_eq!(
                        got,
                        Ok(Sgl::Inline(SglDescriptor {
                            addr: segs[0].addr,
                            len: segs[0].len,
                            kind: SglType::DataBlock
                        }))
                    );
                } else if n > cap {
                    assert_eq!(got, Err(SglError::ListTooSmall { needed: n }));
                } else {
                    assert_eq!(got, Ok(Sgl::List { entries: n }));
                    for (d, s) in list.iter().zip(&segs) {
                        assert_eq!(d.addr, s.addr);
                        assert_eq!(d.len, s.len);
                        assert_eq!(d.kind, SglType::DataBlock);
                    }
                    assert!(list[n..].iter().all(|&d| d == filler));
                    // The list's total length equals the segments'.
                    let sum: u64 = list[..n].iter().map(|d| u64::from(d.len)).sum();
                    assert_eq!(sum, segs.iter().map(|s| u64::from(s.len)).sum::<u64>());
                }
            }
        }
    }

    #[test]
    fn errors() {
        let mut list = [last_segment(0, 0); 4];
        assert_eq!(build_sgl(&[], &mut list), Err(SglError::Empty));
        let segs = [
            Segment { addr: 0, len: 1 },
            Segment { addr: 0x10, len: 0 },
            Segment { addr: 0x20, len: 0 },
        ];
        assert_eq!(
            build_sgl(&segs, &mut list),
            Err(SglError::ZeroLength { index: 1 })
        );
        assert_eq!(
            build_sgl(&segs[1..2], &mut list),
            Err(SglError::ZeroLength { index: 0 })
        );
        // A zero length is reported before a too-small list.
        assert_eq!(
            build_sgl(&segs, &mut []),
            Err(SglError::ZeroLength { index: 1 })
        );
    }

    #[test]
    fn last_segment_descriptor() {
        // C nvme_pci_sgl_set_seg: length = entries * sizeof(struct nvme_sgl_desc).
        let d = last_segment(0xfeed_0000, 3);
        assert_eq!(
            d,
            SglDescriptor {
                addr: 0xfeed_0000,
                len: 48,
                kind: SglType::LastSegment
            }
        );
        assert_eq!(d.to_bytes()[15], 0x30);
        // A full 4 KiB list page holds 256 descriptors.
        assert_eq!(last_segment(0, 256).len, 4096);
        for n in 0..1000usize {
            assert_eq!(last_segment(0, n).len as usize, n * 16);
        }
        assert_eq!(last_segment(0, usize::MAX).len, u32::MAX);
        assert_eq!(last_segment(0, (u32::MAX / 16) as usize + 1).len, u32::MAX);
    }

    #[test]
    fn list_bytes() {
        let descs = [
            SglDescriptor {
                addr: 1,
                len: 2,
                kind: SglType::DataBlock,
            },
            SglDescriptor {
                addr: 3,
                len: 4,
                kind: SglType::DataBlock,
            },
        ];
        let mut out = [0xffu8; 40];
        assert_eq!(list_to_bytes(&descs, &mut out), 32);
        assert_eq!(&out[0..16], &descs[0].to_bytes());
        assert_eq!(&out[16..32], &descs[1].to_bytes());
        assert_eq!(&out[32..], &[0xff; 8]);
        // Only whole descriptors are written.
        let mut short = [0u8; 20];
        assert_eq!(list_to_bytes(&descs, &mut short), 16);
    }

    #[test]
    fn single_segment_fast_path_as_c() {
        const P: u32 = 4096;
        // Within two pages: PRPs, even for user commands on SGL controllers.
        assert_eq!(
            single_segment_prefers_sgl(1, false, 0, 511, P, 32768),
            Some(false)
        );
        assert_eq!(
            single_segment_prefers_sgl(1, false, 4095, 4097, P, 32768),
            Some(false)
        );
        assert_eq!(
            single_segment_prefers_sgl(1, false, 0, 8192, P, 0),
            Some(false)
        );
        // Beyond: one SGL descriptor where SGLs are usable on the queue.
        assert_eq!(
            single_segment_prefers_sgl(1, false, 1, 8192, P, 32768),
            Some(true)
        );
        assert_eq!(
            single_segment_prefers_sgl(2, false, 0, 65536, P, 1),
            Some(true)
        );
        // Otherwise the general rule.
        assert_eq!(
            single_segment_prefers_sgl(0, false, 0, 65536, P, 32768),
            None
        );
        assert_eq!(
            single_segment_prefers_sgl(1, true, 0, 65536, P, 32768),
            None
        );
        assert_eq!(single_segment_prefers_sgl(1, false, 0, 65536, P, 0), None);
    }

    #[test]
    fn prefer_sgl_as_c_decides() {
        const T: u32 = 32 * 1024;
        // One 128 KiB segment on an I/O queue of an SGL-capable controller.
        assert!(prefer_sgl(1, false, false, 128 * 1024, 1, T));
        // SGLS values 01b (no alignment rule) and 10b (dword alignment) both count.
        assert!(prefer_sgl(0b10, false, false, 128 * 1024, 1, T));
        assert!(prefer_sgl(0b11, false, false, 128 * 1024, 1, T));
        // SGLS bits 1:0 zero: unsupported even with other bits set.
        assert!(!prefer_sgl(0xffff_fffc, false, false, 128 * 1024, 1, T));
        // Never on the admin queue.
        assert!(!prefer_sgl(1, true, false, 128 * 1024, 1, T));
        // Threshold 0 disables SGLs.
        assert!(!prefer_sgl(1, false, false, 128 * 1024, 1, 0));
        // 32 4 KiB segments average 4 KiB, below the threshold: PRPs.
        assert!(!prefer_sgl(1, false, false, 128 * 1024, 32, T));
        // Exactly at the threshold counts; one byte below does not.
        assert!(prefer_sgl(1, false, false, 64 * 1024, 2, T));
        assert!(!prefer_sgl(1, false, false, 64 * 1024 - 2, 2, T));
        // C rounds the average up: 65535 / 2 = 32767.5 rounds to 32768.
        assert!(prefer_sgl(1, false, false, 64 * 1024 - 1, 2, T));
        assert!(!prefer_sgl(1, false, false, 0, 0, T));
        assert!(!prefer_sgl(1, false, false, 100, 0, 1));
        // User commands: SGLs whenever the controller has them, on I/O queues.
        assert!(prefer_sgl(1, false, true, 4096, 1, T));
        assert!(prefer_sgl(1, false, true, 128 * 1024, 32, 0));
        assert!(!prefer_sgl(0, false, true, 4096, 1, T));
        assert!(!prefer_sgl(1, true, true, 4096, 1, T));
        assert!(!prefer_sgl(1, false, true, 0, 0, T));

        // Against a reference over many sizes.
        for segments in 1..=64usize {
            for total in (0..(4u64 << 20)).step_by(4093) {
                for threshold in [1u32, 512, 4096, T, 1 << 20] {
                    // C's DIV_ROUND_UP, spelled another way.
                    let n = segments as u64;
                    let avg = total / n + u64::from(total % n != 0);
                    assert_eq!(
                        prefer_sgl(1, false, false, total, segments, threshold),
                        avg >= u64::from(threshold)
                    );
                }
            }
        }
    }
}
