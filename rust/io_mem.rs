// SPDX-License-Identifier: GPL-2.0

//! Memory-mapped I/O with bounds-checked accessors.
//!
//! C header: [`include/asm-generic/io.h`](srctree/include/asm-generic/io.h)

use super::bindings;
use kernel::prelude::*;

/// A mapped MMIO region of `len` bytes at `addr`.
///
/// Accessors check each offset against the length and the access size's
/// alignment, so a bad offset is an `EINVAL`, never a stray access.
///
/// # Invariants
///
/// `addr` is the start of an MMIO mapping of at least `len` bytes that stays
/// mapped for the lifetime of this value (its owner, such as
/// [`super::pci::Bar`], unmaps it only when dropped).
pub struct IoMem {
    addr: usize,
    len: usize,
}

impl IoMem {
    /// # Safety
    ///
    /// `addr` must be an MMIO mapping of at least `len` bytes that outlives
    /// the returned value.
    pub(crate) unsafe fn new(addr: *mut kernel::ffi::c_void, len: usize) -> Self {
        // INVARIANT: guaranteed by the caller.
        IoMem {
            addr: addr as usize,
            len,
        }
    }

    pub(crate) fn base(&self) -> *mut kernel::ffi::c_void {
        self.addr as *mut kernel::ffi::c_void
    }

    /// Size of the region in bytes.
    pub fn size(&self) -> usize {
        self.len
    }

    pub(crate) fn checked(&self, offset: usize, size: usize) -> Result<*mut kernel::ffi::c_void> {
        let end = offset.checked_add(size).ok_or(EINVAL)?;
        if end > self.len || offset % size != 0 {
            return Err(EINVAL);
        }
        Ok((self.addr + offset) as *mut kernel::ffi::c_void)
    }

    /// Reads the 32-bit register at `offset`.
    pub fn read32(&self, offset: usize) -> Result<u32> {
        let addr = self.checked(offset, 4)?;
        // SAFETY: `addr` is 4-byte aligned and inside the mapping, which is
        // live by the type invariant.
        Ok(unsafe { bindings::nvme_rs_readl(addr) })
    }

    /// Writes the 32-bit register at `offset`.
    pub fn write32(&self, value: u32, offset: usize) -> Result {
        let addr = self.checked(offset, 4)?;
        // SAFETY: as in `read32`.
        unsafe { bindings::nvme_rs_writel(value, addr) };
        Ok(())
    }

    /// Reads the 64-bit register at `offset` as two 32-bit reads, low half first.
    pub fn read64_lo_hi(&self, offset: usize) -> Result<u64> {
        let addr = self.checked(offset, 8)?;
        // SAFETY: `addr` is 8-byte aligned and inside the live mapping.
        Ok(unsafe { bindings::nvme_rs_lo_hi_readq(addr) })
    }

    /// Writes the 64-bit register at `offset` as two 32-bit writes, low half first.
    pub fn write64_lo_hi(&self, value: u64, offset: usize) -> Result {
        let addr = self.checked(offset, 8)?;
        // SAFETY: as in `read64_lo_hi`.
        unsafe { bindings::nvme_rs_lo_hi_writeq(value, addr) };
        Ok(())
    }

    /// Writes the 64-bit register at `offset` as two 32-bit writes, high
    /// half first: for a register whose low half acts on the whole value
    /// when written (`CMBMSC`).
    pub fn write64_hi_lo(&self, value: u64, offset: usize) -> Result {
        let addr = self.checked(offset, 8)?;
        // SAFETY: as in `read64_lo_hi`.
        unsafe { bindings::nvme_rs_hi_lo_writeq(value, addr) };
        Ok(())
    }
}

// SAFETY: MMIO accessors may be used from any thread; the hardware registers
// carry no thread affinity, and the mapping is shared kernel memory.
unsafe impl Send for IoMem {}
// SAFETY: every accessor takes `&self` and is a single MMIO access.
unsafe impl Sync for IoMem {}
