// SPDX-License-Identifier: GPL-2.0

//! The Host Memory Buffer on PCIe (C `nvme_setup_host_mem`,
//! `nvme_set_host_mem`, `nvme_free_host_mem`): memory a DRAM-less
//! controller keeps its mapping tables in. What to allocate, in which
//! chunks, and whether a kept buffer is handed back is
//! `spec::host_memory`'s; this file owns the memory and sends the Set
//! Features commands.
//!
//! As in C 6.12 the buffer is set up after every bring-up (probe, each
//! reset, each resume that keeps the controller enabled), handed back
//! with Memory Return where the one from before is kept; disabled with
//! Set Features before a suspend that keeps the controller enabled; and
//! freed only once the controller can no longer use it: after a disable
//! through sysfs `hmb` that the controller confirmed, or at removal after
//! the shutdown. A reset or shutdown sends no Set Features first, as in
//! C: clearing `CC.EN` or the shutdown notification ends the controller's
//! use, and the memory stays to be handed back.
//!
//! No device this project is tested on has a Host Memory Buffer (QEMU's
//! controller reports HMPRE 0), so none of this talks to one; the pure
//! part is host-tested.

use super::registers::QueueMemory;
use crate::kernel_ext::device::Device;
use crate::kernel_ext::dma::{CoherentAllocation, DeviceMemory, MAX_ORDER_NR_PAGES};
use crate::nvme_core::admin::{AdminError, AdminQueue};
use crate::nvme_core::ctrl::Ctrl;
use crate::spec::command::Command;
use crate::spec::host_memory::{
    allocate, kept, limit_bytes, size_units, sizing, Allocated, ChunkAllocator, Descriptor,
    HostMemoryCaps, Kept, Platform, Sizing, DESCRIPTOR_SIZE, ENABLE, RETURN,
};
use crate::{dev_info, dev_warn};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::ARef;

/// A buffer for the controller: the descriptor list and the chunks it
/// describes. Dropping it frees them, so it may only be dropped once the
/// controller no longer uses it.
struct Buffer {
    /// The descriptor list, `DESCRIPTOR_SIZE` bytes per chunk.
    list: CoherentAllocation,
    chunks: KVec<DeviceMemory>,
    /// Bytes in all the chunks.
    size: u64,
}

impl Buffer {
    /// Set Features HMB with `bits` for this buffer.
    fn command(&self, bits: u32) -> Command {
        Command::set_host_memory_buffer(
            bits,
            size_units(self.size),
            self.list.dma_handle(),
            self.chunks.len() as u32,
        )
    }
}

/// Builds a [`Buffer`] as `spec::host_memory::allocate` asks.
struct Builder<'a> {
    dev: &'a Device,
    building: Option<Buffer>,
}

impl ChunkAllocator for Builder<'_> {
    fn start(&mut self, entries: u32) -> bool {
        let entries = entries as usize;
        let Ok(list) = CoherentAllocation::alloc(self.dev, entries * DESCRIPTOR_SIZE) else {
            return false;
        };
        // Room for every chunk now, as C's `kcalloc`, so adding one
        // cannot fail for want of it.
        let Ok(chunks) = KVec::with_capacity(entries, GFP_KERNEL) else {
            return false;
        };
        self.building = Some(Buffer {
            list,
            chunks,
            size: 0,
        });
        true
    }

    fn push(&mut self, len: u64) -> bool {
        let Some(buffer) = self.building.as_mut() else {
            return false;
        };
        let index = buffer.chunks.len();
        let Ok(bytes) = usize::try_from(len) else {
            return false;
        };
        let Ok(chunk) = DeviceMemory::alloc(self.dev, bytes) else {
            return false;
        };
        let descriptor = Descriptor {
            addr: chunk.dma_handle(),
            len,
        };
        if buffer
            .list
            .write_bytes(index * DESCRIPTOR_SIZE, &descriptor.to_bytes())
            .is_err()
            || buffer.chunks.push(chunk, GFP_KERNEL).is_err()
        {
            return false;
        }
        buffer.size += len;
        true
    }

    fn give_back(&mut self) {
        self.building = None;
    }
}

/// A controller's Host Memory Buffer, kept across resets and suspends.
#[pin_data]
pub struct HostMemory {
    ctrl: Arc<Ctrl>,
    /// The device the memory is allocated for.
    dev: ARef<Device>,
    /// What Identify Controller asked for at probe.
    caps: HostMemoryCaps,
    /// `max_host_mem_size_mb` in bytes.
    limit: u64,
    /// The buffer allocated, given to the controller or not. Every caller
    /// but probe holds the controller's admin lock, so this lock is only
    /// for the interior mutability; admin commands run under it.
    #[pin]
    buffer: Mutex<Option<Buffer>>,
}

// The controller may use the buffer until it is shut down.
impl QueueMemory for HostMemory {}

impl HostMemory {
    /// The Host Memory Buffer of controller `ctrl` on `dev`, at most
    /// `max_host_mem_size_mb` MiB; nothing is allocated yet.
    pub fn new(ctrl: Arc<Ctrl>, dev: &Device, max_host_mem_size_mb: u32) -> Result<Arc<Self>> {
        let caps = HostMemoryCaps::of(&ctrl.id);
        Arc::pin_init(
            pin_init!(HostMemory {
                ctrl,
                dev: dev.into(),
                caps,
                limit: limit_bytes(max_host_mem_size_mb),
                buffer <- new_mutex!(None),
            }),
            GFP_KERNEL,
        )
    }

    /// Gives the controller a buffer as C's `nvme_setup_host_mem` does:
    /// none where it asks for none or more than the limit allows; the one
    /// kept from before, handed back, where it is large enough; else a new
    /// one. Failing to allocate is not an error: the controller must work
    /// without. A controller refusing the buffer is an
    /// [`AdminError::Status`], after which the buffer is freed.
    pub fn setup(&self, admin: &dyn AdminQueue) -> Result<(), AdminError> {
        let name = self.ctrl.instance;
        let want = match sizing(&self.caps, self.limit) {
            Sizing::NotWanted => return Ok(()),
            Sizing::MinAboveLimit { min, limit } => {
                dev_warn!(
                    &self.dev,
                    "nvme{}: min host memory ({} MiB) above limit ({} MiB).\n",
                    name,
                    min >> 20,
                    limit >> 20
                );
                *self.buffer.lock() = None;
                return Ok(());
            }
            Sizing::Wanted(want) => want,
        };
        let mut buffer = self.buffer.lock();
        let mut bits = ENABLE;
        if let Some(kept_buffer) = buffer.as_ref() {
            match kept(kept_buffer.size, &want) {
                Kept::HandBack => bits |= RETURN,
                Kept::Replace => *buffer = None,
            }
        }
        if buffer.is_none() {
            let mut builder = Builder {
                dev: &self.dev,
                building: None,
            };
            let platform = Platform {
                page_size: kernel::page::PAGE_SIZE as u64,
                max_order_pages: MAX_ORDER_NR_PAGES as u64,
            };
            match allocate(&want, &self.caps, platform, &mut builder) {
                Some(Allocated { size, .. }) => {
                    dev_info!(
                        &self.dev,
                        "nvme{}: allocated {} MiB host memory buffer.\n",
                        name,
                        size >> 20
                    );
                    *buffer = builder.building.take();
                }
                None => {
                    dev_warn!(
                        &self.dev,
                        "nvme{}: failed to allocate host memory buffer.\n",
                        name
                    );
                    return Ok(());
                }
            }
        }
        let result = self.set(admin, buffer.as_ref(), bits);
        if result.is_err() {
            // Refused, or not known to be taken: the controller was reset
            // or had the buffer turned off, so it does not use it. C
            // leaves `hmb` as it was; with the buffer gone it shows 0.
            *buffer = None;
            self.ctrl.set_host_memory_enabled(false);
        }
        result
    }

    /// [`Self::setup`] after a bring-up (probe, reset): a controller that
    /// refuses the buffer goes on without, as in C; a command that could
    /// not be run fails the bring-up.
    pub fn setup_after_bring_up(&self, admin: &dyn AdminQueue) -> Result {
        match self.setup(admin) {
            Ok(()) | Err(AdminError::Status(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Tells the controller to stop using the buffer, which stays
    /// allocated (C `nvme_suspend`: host memory may not be reachable while
    /// the system sleeps). Only a command that could not be run fails.
    pub fn disable_for_suspend(&self, admin: &dyn AdminQueue) -> Result {
        if !self.ctrl.host_memory_enabled() {
            return Ok(());
        }
        let buffer = self.buffer.lock();
        match self.set(admin, buffer.as_ref(), 0) {
            Ok(()) | Err(AdminError::Status(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Sysfs `hmb` written (C `hmb_store`): enabling sets a buffer up as
    /// after a reset; disabling tells the controller and, once it agreed,
    /// frees the buffer. A controller refusing either is not the write's
    /// error, as in C.
    pub fn set_enabled(&self, admin: &dyn AdminQueue, enable: bool) -> Result {
        if enable == self.ctrl.host_memory_enabled() {
            return Ok(());
        }
        let result = if enable {
            self.setup(admin)
        } else {
            let mut buffer = self.buffer.lock();
            let result = self.set(admin, buffer.as_ref(), 0);
            if result.is_ok() {
                *buffer = None;
            }
            result
        };
        match result {
            Ok(()) | Err(AdminError::Status(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Set Features HMB with `bits` for `buffer` (C `nvme_set_host_mem`);
    /// on success the controller's `hmb` follows the enable bit.
    fn set(
        &self,
        admin: &dyn AdminQueue,
        buffer: Option<&Buffer>,
        bits: u32,
    ) -> Result<(), AdminError> {
        let cmd = buffer.map_or(Command::set_host_memory_buffer(bits, 0, 0, 0), |buffer| {
            buffer.command(bits)
        });
        let result = match admin.execute(cmd, 0) {
            Ok(cqe) if cqe.status().is_success() => Ok(()),
            Ok(cqe) => Err(AdminError::Status(cqe.status())),
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => self.ctrl.set_host_memory_enabled(bits & ENABLE != 0),
            Err(err) => dev_warn!(
                &self.dev,
                "nvme{}: failed to set host mem ({:?}, flags {:#x}).\n",
                self.ctrl.instance,
                err,
                bits
            ),
        }
        result
    }
}
