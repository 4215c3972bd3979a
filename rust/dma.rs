// SPDX-License-Identifier: GPL-2.0

//! Coherent DMA memory: memory both the CPU and a device access, without
//! explicit cache maintenance.
//!
//! C header: [`include/linux/dma-mapping.h`](srctree/include/linux/dma-mapping.h)

use super::{bindings, device, pci};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ARef;

/// A device bus address.
pub type DmaAddr = u64;

/// A coherent allocation of `len` bytes for a device.
///
/// The device may read and write the memory at any time, so the CPU side
/// never hands out references into it: every access is a volatile copy in or
/// out, bounds-checked against the length.
///
/// The memory is host memory from `dma_alloc_coherent`, or memory on a PCI
/// device offered to the peer-to-peer allocator (a Controller Memory
/// Buffer), which is as coherent: the CPU maps it uncached, and accesses to
/// it are the device's own bus cycles.
///
/// # Invariants
///
/// `cpu` and `dma` describe a live allocation of `len` bytes made as
/// `owner` says, freed only in `Drop`. `cpu` is page aligned.
pub struct CoherentAllocation {
    owner: Owner,
    cpu: *mut u8,
    dma: DmaAddr,
    len: usize,
}

/// Where a [`CoherentAllocation`] came from, and so how it is freed.
enum Owner {
    /// `dma_alloc_coherent` for this device.
    Host(ARef<device::Device>),
    /// `pci_alloc_p2pmem` from this device's peer-to-peer memory.
    PeerToPeer(ARef<pci::Device>),
}

impl CoherentAllocation {
    /// Allocates `len` zeroed bytes of coherent memory for `dev`.
    pub fn alloc(dev: &device::Device, len: usize) -> Result<Self> {
        if len == 0 {
            return Err(EINVAL);
        }
        let mut dma: bindings::dma_addr_t = 0;
        // SAFETY: the device is valid while `dev` is borrowed, `dma` is a
        // valid out-pointer, and GFP_KERNEL is right for process context,
        // which allocation callers are in.
        let cpu = unsafe {
            bindings::nvme_rs_dma_alloc_coherent(
                dev.as_raw(),
                len,
                &mut dma,
                bindings::NVME_RS_GFP_KERNEL,
            )
        };
        if cpu.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: the allocation just succeeded; `dma_alloc_coherent`
        // returns page-aligned memory, zeroed.
        Ok(CoherentAllocation {
            owner: Owner::Host(dev.into()),
            cpu: cpu.cast(),
            dma,
            len,
        })
    }

    /// Allocates `len` bytes of `pdev`'s own memory that it offered to the
    /// peer-to-peer allocator ([`pci::Device::add_p2p_resource`]), for
    /// `pdev` itself to use (C `pci_alloc_p2pmem`, then
    /// `pci_p2pmem_virt_to_bus`). `None` where there is none, not enough
    /// left, or no bus address for it; the caller then uses host memory.
    /// The contents are whatever the device memory held.
    pub fn alloc_peer_to_peer(pdev: &pci::Device, len: usize) -> Option<Self> {
        if len == 0 {
            return None;
        }
        // SAFETY: the device is valid while `pdev` is borrowed; the call
        // allocates from its own pool, or returns NULL.
        let cpu = unsafe { bindings::nvme_rs_pci_alloc_p2pmem(pdev.as_raw(), len) };
        if cpu.is_null() {
            return None;
        }
        // SAFETY: `cpu` is an allocation of `pdev`'s peer-to-peer memory,
        // live until freed below or in `Drop`.
        let dma = unsafe { bindings::nvme_rs_pci_p2pmem_virt_to_bus(pdev.as_raw(), cpu) };
        if dma == 0 {
            // SAFETY: the allocation just made, of `len` bytes, freed once.
            unsafe { bindings::nvme_rs_pci_free_p2pmem(pdev.as_raw(), cpu, len) };
            return None;
        }
        // INVARIANT: the allocation just succeeded; the allocator hands out
        // whole pages (its granule is PAGE_SIZE), so `cpu` is page aligned.
        Some(CoherentAllocation {
            owner: Owner::PeerToPeer(pdev.into()),
            cpu: cpu.cast(),
            dma,
            len,
        })
    }

    /// Whether the memory is a PCI device's peer-to-peer memory.
    pub fn is_peer_to_peer(&self) -> bool {
        matches!(self.owner, Owner::PeerToPeer(_))
    }

    /// The address the device uses for the start of the allocation.
    pub fn dma_handle(&self) -> DmaAddr {
        self.dma
    }

    /// Size in bytes.
    pub fn size(&self) -> usize {
        self.len
    }

    fn checked(&self, offset: usize, size: usize, align: usize) -> Result<*mut u8> {
        let end = offset.checked_add(size).ok_or(EINVAL)?;
        if end > self.len || offset % align != 0 {
            return Err(EINVAL);
        }
        // SAFETY: `offset + size <= len`, so the result is inside the allocation.
        Ok(unsafe { self.cpu.add(offset) })
    }

    /// Reads the little-endian `u16` at `offset`.
    pub fn read_u16(&self, offset: usize) -> Result<u16> {
        let p = self.checked(offset, 2, 2)?;
        // SAFETY: `p` is aligned and in bounds of the live allocation; the
        // read is volatile because the device may write concurrently.
        Ok(u16::from_le(unsafe { p.cast::<u16>().read_volatile() }))
    }

    /// Copies `out.len()` bytes starting at `offset` out of the allocation.
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) -> Result {
        let p = self.checked(offset, out.len(), 1)?;
        if offset % 8 == 0 && out.len() % 8 == 0 {
            // Completion queue entries: a word at a time, not a byte.
            for (i, word) in out.chunks_exact_mut(8).enumerate() {
                // SAFETY: `p` is 8-byte aligned (`cpu` is page aligned and
                // `offset % 8 == 0`) and `p + 8 * i + 8` is in bounds;
                // volatile because the device may write concurrently.
                let w = unsafe { p.add(8 * i).cast::<u64>().read_volatile() };
                word.copy_from_slice(&w.to_ne_bytes());
            }
            return Ok(());
        }
        for (i, byte) in out.iter_mut().enumerate() {
            // SAFETY: `p + i` is in bounds (checked above for the whole range);
            // volatile because the device may write concurrently.
            *byte = unsafe { p.add(i).read_volatile() };
        }
        Ok(())
    }

    /// Copies `data` into the allocation at `offset`. Eight-byte aligned
    /// copies of whole words (submission queue entries) are done a word at
    /// a time.
    pub fn write_bytes(&self, offset: usize, data: &[u8]) -> Result {
        let p = self.checked(offset, data.len(), 1)?;
        if offset % 8 == 0 && data.len() % 8 == 0 {
            for (i, word) in data.chunks_exact(8).enumerate() {
                let mut w = [0u8; 8];
                w.copy_from_slice(word);
                // SAFETY: `p` is 8-byte aligned (`cpu` is page aligned and
                // `offset % 8 == 0`) and `p + 8 * i + 8` is in bounds.
                unsafe {
                    p.add(8 * i)
                        .cast::<u64>()
                        .write_volatile(u64::from_ne_bytes(w))
                };
            }
        } else {
            for (i, &byte) in data.iter().enumerate() {
                // SAFETY: `p + i` is in bounds.
                unsafe { p.add(i).write_volatile(byte) };
            }
        }
        Ok(())
    }

    /// Zeroes the whole allocation, for example to reset a completion
    /// queue's phase tags before the controller reuses it.
    pub fn clear(&self) {
        for i in 0..self.len {
            // SAFETY: `i < len`, in bounds of the live allocation.
            unsafe { self.cpu.add(i).write_volatile(0) };
        }
    }
}

impl Drop for CoherentAllocation {
    fn drop(&mut self) {
        match &self.owner {
            // SAFETY: by the type invariant, this is a live allocation of
            // `len` bytes for `dev`; it is freed exactly once, here.
            Owner::Host(dev) => unsafe {
                bindings::nvme_rs_dma_free_coherent(
                    dev.as_raw(),
                    self.len,
                    self.cpu.cast(),
                    self.dma,
                )
            },
            // SAFETY: by the type invariant, this is a live allocation of
            // `len` bytes of `pdev`'s peer-to-peer memory; freed once, here.
            Owner::PeerToPeer(pdev) => unsafe {
                bindings::nvme_rs_pci_free_p2pmem(pdev.as_raw(), self.cpu.cast(), self.len)
            },
        }
    }
}

// SAFETY: the allocation is plain memory owned by this value; all accesses
// go through `&self` methods doing single volatile accesses.
unsafe impl Send for CoherentAllocation {}
// SAFETY: as above.
unsafe impl Sync for CoherentAllocation {}

/// The largest block the page allocator hands out at once, in pages (C
/// `MAX_ORDER_NR_PAGES`): what one DMA allocation can be at most.
pub const MAX_ORDER_NR_PAGES: usize = bindings::NVME_RS_MAX_ORDER_NR_PAGES;

/// What [`DeviceMemory`] is allocated and freed with: no kernel mapping,
/// and no warning when it fails, as the caller tries smaller sizes then.
const DEVICE_MEMORY_ATTRS: kernel::ffi::c_ulong =
    bindings::NVME_RS_DMA_ATTR_NO_KERNEL_MAPPING | bindings::NVME_RS_DMA_ATTR_NO_WARN;

/// DMA memory for the device alone, `len` bytes: the CPU never reads or
/// writes it, so the kernel need not map it (C `dma_alloc_attrs` with
/// `DMA_ATTR_NO_KERNEL_MAPPING | DMA_ATTR_NO_WARN`, as for an NVMe Host
/// Memory Buffer). Only its bus address is handed out.
///
/// # Invariants
///
/// `cookie` and `dma` describe a live `dma_alloc_attrs` allocation of
/// `len` bytes for `dev` with [`DEVICE_MEMORY_ATTRS`], freed only in
/// `Drop`. `cookie` is opaque: it is never dereferenced, only given back.
pub struct DeviceMemory {
    dev: ARef<device::Device>,
    cookie: *mut kernel::ffi::c_void,
    dma: DmaAddr,
    len: usize,
}

impl DeviceMemory {
    /// Allocates `len` bytes for `dev`; `ENOMEM`, without a warning in the
    /// log, where there is no such block.
    pub fn alloc(dev: &device::Device, len: usize) -> Result<Self> {
        if len == 0 {
            return Err(EINVAL);
        }
        let mut dma: bindings::dma_addr_t = 0;
        // SAFETY: the device is valid while `dev` is borrowed, `dma` is a
        // valid out-pointer, and GFP_KERNEL is right for process context,
        // which allocation callers are in. The attributes only change how
        // the memory is mapped and whether a failure warns.
        let cookie = unsafe {
            bindings::dma_alloc_attrs(
                dev.as_raw(),
                len,
                &mut dma,
                bindings::NVME_RS_GFP_KERNEL,
                DEVICE_MEMORY_ATTRS,
            )
        };
        if cookie.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: the allocation just succeeded with these attributes.
        Ok(DeviceMemory {
            dev: dev.into(),
            cookie,
            dma,
            len,
        })
    }

    /// The address the device uses for the start of the memory.
    pub fn dma_handle(&self) -> DmaAddr {
        self.dma
    }

    /// Size in bytes.
    pub fn size(&self) -> usize {
        self.len
    }
}

impl Drop for DeviceMemory {
    fn drop(&mut self) {
        // SAFETY: by the type invariant, this is a live allocation of `len`
        // bytes for `dev` made with the same attributes; it is freed
        // exactly once, here.
        unsafe {
            bindings::dma_free_attrs(
                self.dev.as_raw(),
                self.len,
                self.cookie,
                self.dma,
                DEVICE_MEMORY_ATTRS,
            )
        };
    }
}

// SAFETY: the CPU never accesses the memory; the value only owns it, and
// freeing it works from any thread in process context.
unsafe impl Send for DeviceMemory {}
// SAFETY: `&DeviceMemory` gives only the bus address and the size.
unsafe impl Sync for DeviceMemory {}

/// One 32-bit word of a coherent allocation, found in bounds once, when
/// made, so that reading and writing it are single volatile accesses with
/// nothing checked: for shadow doorbells, written on every I/O.
///
/// # Invariants
///
/// `word` points to a 4-byte aligned word inside the live allocation
/// `_alloc`, which this value keeps alive.
pub struct CoherentWord {
    _alloc: Arc<CoherentAllocation>,
    word: *mut u32,
}

impl CoherentWord {
    /// Word `index` (counted in 32-bit words) of `alloc`.
    pub fn new(alloc: Arc<CoherentAllocation>, index: usize) -> Result<Self> {
        if index >= alloc.len / 4 {
            return Err(EINVAL);
        }
        // SAFETY: `index * 4 + 4 <= len`: inside the allocation.
        let word = unsafe { alloc.cpu.cast::<u32>().add(index) };
        // INVARIANT: in bounds, as just checked, and 4-byte aligned, as
        // `cpu` is page aligned; `alloc` is kept.
        Ok(CoherentWord {
            _alloc: alloc,
            word,
        })
    }

    /// Reads the word, little-endian.
    #[inline]
    pub fn read(&self) -> u32 {
        // SAFETY: aligned and inside the live allocation (type invariant);
        // volatile because the device may write concurrently.
        u32::from_le(unsafe { self.word.read_volatile() })
    }

    /// Writes `value` to the word, little-endian, in one store.
    #[inline]
    pub fn write(&self, value: u32) {
        // SAFETY: aligned and inside the live allocation (type invariant);
        // volatile because the device reads it concurrently.
        unsafe { self.word.write_volatile(value.to_le()) }
    }
}

// SAFETY: the word is plain memory kept alive by the `Arc` this value
// holds; every access is a single volatile load or store through `&self`.
unsafe impl Send for CoherentWord {}
// SAFETY: as above.
unsafe impl Sync for CoherentWord {}

/// Orders all the CPU's earlier memory writes before its later ones as the
/// device sees them (C `wmb()`): a queue entry before the shadow doorbell
/// that announces it.
#[inline]
pub fn write_barrier() {
    // x86-64's `wmb()`, inline rather than an out-of-line call per doorbell.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a fence instruction; as a compiler barrier too (no `nomem`).
    unsafe {
        core::arch::asm!("sfence", options(nostack, preserves_flags))
    };
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: a barrier has no preconditions.
    unsafe {
        bindings::nvme_rs_wmb()
    };
}

/// Orders all the CPU's earlier memory accesses before its later ones (C
/// `mb()`): a shadow doorbell write before the event index read that
/// decides whether the device must be told.
#[inline]
pub fn full_barrier() {
    // x86-64's `mb()`, inline rather than an out-of-line call per doorbell.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a fence instruction; as a compiler barrier too (no `nomem`).
    unsafe {
        core::arch::asm!("mfence", options(nostack, preserves_flags))
    };
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: a barrier has no preconditions.
    unsafe {
        bindings::nvme_rs_mb()
    };
}

/// Orders the CPU's reads of DMA memory: reads after the barrier see data at
/// least as new as reads before it (C `dma_rmb()`). Used after seeing a new
/// completion's phase tag and before reading the rest of the entry.
#[inline]
pub fn read_barrier() {
    // On x86-64 `dma_rmb()` is only a compiler barrier: loads are not
    // reordered with other loads. Inline, as it runs for every completion.
    #[cfg(target_arch = "x86_64")]
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: a barrier has no preconditions.
    unsafe {
        bindings::nvme_rs_dma_rmb()
    };
}
