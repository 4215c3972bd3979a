// SPDX-License-Identifier: GPL-2.0

//! PCI peer-to-peer memory: part of a device's BAR offered to the kernel's
//! peer-to-peer allocator, which maps it as ZONE_DEVICE pages, so that the
//! device itself, or a peer, can be given memory that lives on the device.
//! [`dma::CoherentAllocation::alloc_peer_to_peer`] allocates from it.
//!
//! In a kernel without `CONFIG_PCI_P2PDMA` the registration fails with
//! `EOPNOTSUPP` and there is nothing to allocate.
//!
//! C header: [`include/linux/pci-p2pdma.h`](srctree/include/linux/pci-p2pdma.h)
//!
//! [`dma::CoherentAllocation::alloc_peer_to_peer`]: super::dma::CoherentAllocation::alloc_peer_to_peer

use super::{bindings, pci};
use kernel::error::to_result;
use kernel::prelude::*;

/// The alignment the kernel can map device memory at (C
/// `memremap_compat_align`): a peer-to-peer region's start and size must be
/// multiples of it.
pub fn compat_align() -> u64 {
    // SAFETY: a pure query of an architecture constant.
    (unsafe { bindings::nvme_rs_memremap_compat_align() }) as u64
}

impl pci::Device {
    /// Offers `size` bytes of BAR `bar`, from `offset` on, to the
    /// peer-to-peer allocator (C `pci_p2pdma_add_resource`). The region is
    /// device-managed: it goes when the bound driver is unbound (or its
    /// probe fails), and unmapping it waits until every allocation from it
    /// is freed, so an allocation kept past remove would hang the unbind.
    /// Call it only from the bound driver's probe.
    pub fn add_p2p_resource(&self, bar: u8, size: u64, offset: u64) -> Result {
        // A size of 0 means the rest of the BAR to C; a caller always
        // knows what it offers.
        let bar = pci::std_bar(bar).ok_or(EINVAL)?;
        if size == 0 {
            return Err(EINVAL);
        }
        let size = usize::try_from(size).map_err(|_| EINVAL)?;
        // SAFETY: the device is valid while `self` is borrowed; `bar` is a
        // standard BAR index, and C checks `size` and `offset` against it.
        // Registered for a device with no driver bound, the region would
        // only last until the next unbind; the C call takes care of its
        // own lifetime either way.
        to_result(unsafe {
            bindings::nvme_rs_pci_p2pdma_add_resource(self.as_raw(), bar, size, offset)
        })
    }

    /// Lets other drivers find and use the device's peer-to-peer memory
    /// (C `pci_p2pmem_publish`), for memory peers may both read and write.
    pub fn publish_p2p_memory(&self) {
        // SAFETY: the device is valid while `self` is borrowed; publishing
        // a device without peer-to-peer memory does nothing.
        unsafe { bindings::nvme_rs_pci_p2pmem_publish(self.as_raw(), true) };
    }
}
