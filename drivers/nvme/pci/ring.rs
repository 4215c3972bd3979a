// SPDX-License-Identifier: GPL-2.0

//! The memory of one queue ring, submission or completion: `depth`
//! entries of `ENTRY` bytes in coherent DMA memory, addressed by entry
//! index (C `nvmeq->sq_cmds` and `nvmeq->cqes`). What the entries mean and
//! which index comes next are the queue's business (`spec::queue`).

use crate::kernel_ext::device::Device;
use crate::kernel_ext::dma::CoherentAllocation;
use crate::kernel_ext::pci;
use crate::spec::command::SQE_SIZE;
use crate::spec::completion::CQE_SIZE;
use kernel::prelude::*;

/// `depth` entries of `ENTRY` bytes the controller reads or writes.
///
/// # Invariants
///
/// `memory` holds `depth * ENTRY` bytes.
pub struct Ring<const ENTRY: usize> {
    memory: CoherentAllocation,
    depth: u16,
}

/// A submission ring: 64-byte commands.
pub type SubmissionRing = Ring<SQE_SIZE>;

/// A completion ring: 16-byte completions.
pub type CompletionMemory = Ring<CQE_SIZE>;

impl<const ENTRY: usize> Ring<ENTRY> {
    /// A zeroed ring of `depth` entries for `dev`'s controller.
    pub fn alloc(dev: &Device, depth: u16) -> Result<Self> {
        // INVARIANT: allocated at exactly that size.
        Ok(Ring {
            memory: CoherentAllocation::alloc(dev, usize::from(depth) * ENTRY)?,
            depth,
        })
    }

    /// Entries in the ring.
    pub fn depth(&self) -> u16 {
        self.depth
    }

    /// The ring's bus address, for the controller.
    pub fn dma_handle(&self) -> u64 {
        self.memory.dma_handle()
    }

    /// Zeroes every entry: after a controller reset, completion phase tags
    /// must all read as old again.
    pub fn clear(&self) {
        self.memory.clear();
    }

    /// Writes entry `index`. Inline: a submission's copy into the ring.
    #[inline]
    pub fn write(&self, index: u16, entry: &[u8; ENTRY]) -> Result {
        self.memory.write_bytes(usize::from(index) * ENTRY, entry)
    }

    /// Reads entry `index`.
    #[inline]
    pub fn read(&self, index: u16) -> Result<[u8; ENTRY]> {
        let mut entry = [0u8; ENTRY];
        self.memory
            .read_bytes(usize::from(index) * ENTRY, &mut entry)?;
        Ok(entry)
    }

    /// Reads the little-endian `u16` at byte `offset` of entry `index`: a
    /// completion's status and phase tag, looked at before the rest.
    #[inline]
    pub fn read_u16(&self, index: u16, offset: usize) -> Result<u16> {
        self.memory.read_u16(usize::from(index) * ENTRY + offset)
    }
}

impl SubmissionRing {
    /// A submission ring of `depth` entries in the controller's own
    /// memory, its Controller Memory Buffer once offered to the
    /// peer-to-peer allocator (C `nvme_alloc_sq_cmds`; completion rings
    /// stay in host memory, as C's); `None` where there is no room. Its
    /// entries start as whatever the buffer held: each is written before
    /// the controller is told of it.
    fn alloc_in_cmb(pdev: &pci::Device, depth: u16) -> Option<Self> {
        // INVARIANT: allocated at exactly that size.
        Some(Ring {
            memory: CoherentAllocation::alloc_peer_to_peer(pdev, usize::from(depth) * SQE_SIZE)?,
            depth,
        })
    }

    /// A submission ring of `depth` entries: in the Controller Memory
    /// Buffer if `in_cmb` and it has room, in host memory otherwise (C
    /// `nvme_alloc_sq_cmds`).
    pub fn alloc_placed(pdev: &pci::Device, depth: u16, in_cmb: bool) -> Result<Self> {
        match in_cmb.then(|| Self::alloc_in_cmb(pdev, depth)) {
            Some(Some(ring)) => Ok(ring),
            _ => Self::alloc(pdev.as_dev(), depth),
        }
    }

    /// Whether the ring is in the controller's memory.
    pub fn in_cmb(&self) -> bool {
        self.memory.is_peer_to_peer()
    }
}
