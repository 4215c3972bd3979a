// SPDX-License-Identifier: GPL-2.0

//! DMA pools: many small, equally sized blocks of coherent DMA memory,
//! allocated and freed quickly, even in atomic context.
//!
//! C header: [`include/linux/dmapool.h`](srctree/include/linux/dmapool.h)

use super::{bindings, device, dma::DmaAddr};
use core::ptr::NonNull;
use kernel::{prelude::*, str::CStr, sync::Arc};

/// A pool of `size`-byte blocks for one device.
///
/// # Invariants
///
/// `pool` was made by `dma_pool_create` for a device that outlives it (the
/// pool holds a reference), with blocks of `size` bytes; every block
/// allocated from it holds an `Arc` of the pool, so it is destroyed last.
pub struct DmaPool {
    pool: NonNull<bindings::dma_pool>,
    size: usize,
    _dev: kernel::types::ARef<device::Device>,
}

// SAFETY: the C pool has its own lock; it may be used from any CPU.
unsafe impl Send for DmaPool {}
// SAFETY: as above.
unsafe impl Sync for DmaPool {}

impl DmaPool {
    /// A pool named `name` of `size`-byte blocks aligned to `align` bytes
    /// (at least 8, as blocks are written a 64-bit word at a time).
    pub fn new(
        dev: &device::Device,
        name: &'static CStr,
        size: usize,
        align: usize,
    ) -> Result<Arc<Self>> {
        if align < 8 || !align.is_power_of_two() {
            return Err(EINVAL);
        }
        // SAFETY: the device is valid; `name` is static as the pool keeps it.
        let pool =
            unsafe { bindings::dma_pool_create(name.as_char_ptr(), dev.as_raw(), size, align, 0) };
        let pool = NonNull::new(pool).ok_or(ENOMEM)?;
        // INVARIANT: created just now for `dev`, which `_dev` keeps alive.
        Ok(Arc::new(
            DmaPool {
                pool,
                size,
                _dev: dev.into(),
            },
            GFP_KERNEL,
        )?)
    }

    /// Takes a block without sleeping (for submission paths).
    pub fn alloc_atomic(self: &Arc<Self>) -> Result<PoolBlock> {
        let mut dma: bindings::dma_addr_t = 0;
        // SAFETY: the pool is live; `dma` is a valid out-pointer.
        let cpu = unsafe {
            bindings::dma_pool_alloc(self.pool.as_ptr(), bindings::NVME_RS_GFP_ATOMIC, &mut dma)
        };
        let cpu = NonNull::new(cpu.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: allocated just now from this pool.
        Ok(PoolBlock {
            pool: self.clone(),
            cpu,
            dma,
            words: self.size / 8,
        })
    }
}

impl Drop for DmaPool {
    fn drop(&mut self) {
        // SAFETY: no block is outstanding (each holds an `Arc` of the pool).
        unsafe { bindings::dma_pool_destroy(self.pool.as_ptr()) };
    }
}

/// A block from a [`DmaPool`], given back when dropped.
///
/// # Invariants
///
/// `cpu`/`dma` is a block of `pool.size` bytes allocated from `pool`;
/// `words` is `pool.size / 8`.
pub struct PoolBlock {
    pool: Arc<DmaPool>,
    cpu: NonNull<u8>,
    dma: DmaAddr,
    /// The block's size in 64-bit words, kept here rather than read through
    /// the pool for every word a PRP list writes.
    words: usize,
}

// SAFETY: the block is plain memory owned by this value.
unsafe impl Send for PoolBlock {}

impl PoolBlock {
    /// The address the device uses for the block.
    pub fn dma_handle(&self) -> DmaAddr {
        self.dma
    }

    /// Size of the block in bytes.
    pub fn size(&self) -> usize {
        self.pool.size
    }

    /// Writes the little-endian 64-bit word `index` of the block.
    #[inline]
    pub fn write_u64_at(&mut self, index: usize, word: u64) -> Result {
        if index >= self.words {
            return Err(EINVAL);
        }
        // SAFETY: the word is inside the block, which is 8-byte aligned
        // (`new` requires `align >= 8`).
        unsafe {
            self.cpu
                .as_ptr()
                .cast::<u64>()
                .add(index)
                .write_volatile(word.to_le())
        };
        Ok(())
    }

    /// Copies `data` to the block at `offset`.
    pub fn write_bytes(&mut self, offset: usize, data: &[u8]) -> Result {
        let end = offset.checked_add(data.len()).ok_or(EINVAL)?;
        if end > self.pool.size {
            return Err(EINVAL);
        }
        for (i, &byte) in data.iter().enumerate() {
            // SAFETY: `offset + i < size`, inside the block.
            unsafe { self.cpu.as_ptr().add(offset + i).write_volatile(byte) };
        }
        Ok(())
    }
}

impl Drop for PoolBlock {
    fn drop(&mut self) {
        // SAFETY: the block came from this pool (invariant), freed once.
        unsafe {
            bindings::dma_pool_free(self.pool.pool.as_ptr(), self.cpu.as_ptr().cast(), self.dma)
        };
    }
}
