// SPDX-License-Identifier: GPL-2.0

//! PCI drivers and devices: registration, device enabling, BAR mapping and
//! interrupt vectors.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! Resources (an enabled device, a mapped BAR, allocated vectors) are values
//! that give the resource back when dropped. A driver keeps them in its
//! per-device data, which the PCI core drops on remove, so everything
//! acquired in `probe` is released by the time `remove` returns.

use super::{bindings, device, io_mem::IoMem};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::{
    error::to_result,
    init::pin_init_from_closure,
    prelude::*,
    str::CStr,
    sync::Arc,
    types::{ARef, AlwaysRefCounted, ForeignOwnable, Opaque},
    ThisModule,
};

/// A PCI device (`struct pci_dev`).
///
/// # Invariants
///
/// References to a `Device` are only created for devices the PCI core keeps
/// alive for the reference's lifetime: during a driver callback, or through a
/// counted reference ([`ARef<Device>`]).
#[repr(transparent)]
pub struct Device(Opaque<bindings::pci_dev>);

// SAFETY: the C `pci_dev` may be used from any thread; its reference count
// is atomic.
unsafe impl Send for Device {}
// SAFETY: every method takes `&self` and the C functions they call do their
// own locking where needed.
unsafe impl Sync for Device {}

// SAFETY: `pci_dev_get` and `pci_dev_put` manage the embedded device's
// reference count; the device is freed only when it drops to zero.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: the device is valid because `self` references it.
        unsafe { bindings::pci_dev_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference taken by `inc_ref`.
        unsafe { bindings::pci_dev_put(obj.cast::<bindings::pci_dev>().as_ptr()) };
    }
}

impl Device {
    pub(crate) fn as_raw(&self) -> *mut bindings::pci_dev {
        self.0.get()
    }

    /// The generic device embedded in this PCI device.
    pub fn as_dev(&self) -> &device::Device {
        // SAFETY: `pdev->dev` lives as long as the PCI device, which outlives
        // `&self` by the type invariant. Computed here rather than by a C
        // helper: DMA mapping asks for it on every I/O.
        unsafe { device::Device::from_raw(core::ptr::addr_of_mut!((*self.as_raw()).dev)) }
    }

    /// Whether the device still answers on the bus. False once it has been
    /// surprise-removed; reads from it then return all ones.
    pub fn is_present(&self) -> bool {
        // SAFETY: the device is valid by the type invariant.
        unsafe { bindings::pci_device_is_present(self.as_raw()) }
    }

    /// Stops the device mastering the bus: no more DMA from it, so memory it
    /// was given can be reused even though it never completed the commands
    /// (a dead controller). Harmless on a disabled device.
    pub fn clear_master(&self) {
        // SAFETY: the device is valid (type invariant).
        unsafe { bindings::pci_clear_master(self.as_raw()) };
    }

    /// Unbinds the device from its driver, as after a failed probe or
    /// `unbind` in sysfs, for a controller given up on (C
    /// `nvme_remove_dead_ctrl` does it). Does nothing if no driver is bound.
    ///
    /// # Deadlocks
    ///
    /// Takes the device lock and runs the driver's remove: never call it
    /// from the driver's probe or remove, nor from anything they wait for.
    pub fn release_driver(&self) {
        // SAFETY: the device is valid (type invariant); the function takes
        // the locks it needs.
        unsafe { bindings::device_release_driver(self.as_dev().as_raw()) };
    }

    /// Saves the device's configuration space, to be put back by
    /// [`Self::restore_state`] after a reset of the slot has lost it.
    pub fn save_state(&self) -> Result {
        // SAFETY: the device is valid (type invariant).
        to_result(unsafe { bindings::pci_save_state(self.as_raw()) })
    }

    /// Writes back the configuration space [`Self::save_state`] saved;
    /// nothing if none was saved.
    pub fn restore_state(&self) {
        // SAFETY: the device is valid (type invariant).
        unsafe { bindings::pci_restore_state(self.as_raw()) };
    }

    /// The PCI vendor ID.
    pub fn vendor_id(&self) -> u16 {
        // SAFETY: the device is valid (type invariant); the field is set
        // at enumeration and never changes.
        unsafe { (*self.as_raw()).vendor }
    }

    /// The PCI device ID.
    pub fn device_id(&self) -> u16 {
        // SAFETY: as in `vendor_id`.
        unsafe { (*self.as_raw()).device }
    }

    /// The CPU physical address BAR `bar` starts at; 0 for an unassigned
    /// BAR or an index past the standard BARs.
    pub fn resource_start(&self, bar: u8) -> u64 {
        // SAFETY: the device is valid and `bar` one of its standard
        // resources, which the PCI core sets before probe.
        std_bar(bar).map_or(0, |bar| unsafe {
            bindings::nvme_rs_pci_resource_start(self.as_raw(), bar)
        })
    }

    /// The length of BAR `bar` in bytes; 0 as [`Self::resource_start`].
    pub fn resource_len(&self, bar: u8) -> u64 {
        // SAFETY: as in `resource_start`.
        std_bar(bar).map_or(0, |bar| unsafe {
            bindings::nvme_rs_pci_resource_len(self.as_raw(), bar)
        })
    }

    /// The address BAR `bar` starts at on the bus, as the device itself and
    /// its peers see it (C `pci_bus_address`); 0 as
    /// [`Self::resource_start`].
    pub fn bus_address(&self, bar: u8) -> u64 {
        // SAFETY: as in `resource_start`.
        std_bar(bar).map_or(0, |bar| unsafe {
            bindings::nvme_rs_pci_bus_address(self.as_raw(), bar)
        })
    }

    /// Forgets the configuration space [`Self::save_state`] saved. While a
    /// saved state is kept, the PCI core leaves the device's power state
    /// to its driver during system sleep; without one, it puts the device
    /// in D3 itself.
    pub fn discard_saved_state(&self) {
        // SAFETY: the device is valid (type invariant); a null state asks
        // `pci_load_saved_state` to only drop the saved one, which it
        // always does (it returns an error only for a non-null state).
        unsafe { bindings::pci_load_saved_state(self.as_raw(), core::ptr::null_mut()) };
    }

    /// Whether the link's Active State Power Management is enabled, so the
    /// link can go down while the device idles in a low power state.
    pub fn aspm_enabled(&self) -> bool {
        // SAFETY: the device is valid (type invariant).
        unsafe { bindings::nvme_rs_pcie_aspm_enabled(self.as_raw()) }
    }

    /// Enables the device's memory space; disabled again when the returned
    /// value is dropped.
    pub fn enable_mem(&self) -> Result<Enabled> {
        // SAFETY: the device is valid by the type invariant.
        to_result(unsafe { bindings::pci_enable_device_mem(self.as_raw()) })?;
        // INVARIANT: enabled just now.
        Ok(Enabled { dev: self.into() })
    }

    /// The largest streaming DMA mapping that does not cost extra (with an
    /// IOMMU, what its IOVA caches serve), as the block layer's transfer
    /// limit should respect it (C `dma_opt_mapping_size`).
    pub fn dma_opt_mapping_size(&self) -> usize {
        // SAFETY: the device is valid by the type invariant.
        unsafe { bindings::dma_opt_mapping_size(self.as_dev().as_raw()) }
    }

    /// Sets the DMA mask for streaming and coherent mappings to `bits` bits.
    pub fn set_dma_mask(&self, bits: u32) -> Result {
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        // SAFETY: the device is valid by the type invariant.
        to_result(unsafe {
            bindings::nvme_rs_dma_set_mask_and_coherent(self.as_dev().as_raw(), mask)
        })
    }
}

/// A device whose memory space is enabled.
///
/// # Invariants
///
/// `pci_enable_device_mem` succeeded on `dev`; `Drop` balances it.
pub struct Enabled {
    dev: ARef<Device>,
}

impl Enabled {
    /// Lets the device master the bus, so it can do DMA. Undone when the
    /// device is disabled.
    pub fn set_master(&self) {
        // SAFETY: the device is valid and enabled by the type invariant.
        unsafe { bindings::pci_set_master(self.dev.as_raw()) };
    }
}

impl Drop for Enabled {
    fn drop(&mut self) {
        // SAFETY: balances the successful `pci_enable_device_mem` (invariant).
        unsafe { bindings::pci_disable_device(self.dev.as_raw()) };
    }
}

/// `bar` as C's BAR index, if it is one of the six standard BARs.
pub(crate) fn std_bar(bar: u8) -> Option<kernel::ffi::c_int> {
    (u32::from(bar) < bindings::NVME_RS_PCI_STD_NUM_BARS).then_some(kernel::ffi::c_int::from(bar))
}

/// A memory BAR, reserved for the driver and mapped.
///
/// Dereferences to [`IoMem`] for register access.
///
/// # Invariants
///
/// The device's memory regions are requested by this value and `io` maps
/// BAR `index`; `Drop` unmaps and releases them.
pub struct Bar {
    dev: ARef<Device>,
    io: IoMem,
}

impl Bar {
    /// Reserves the device's memory BARs under `name` and maps BAR `index`.
    /// Fails with `ENODEV` if the BAR is not memory or is shorter than
    /// `min_len` bytes.
    pub fn map(dev: &Device, index: u8, min_len: usize, name: &'static CStr) -> Result<Bar> {
        let bar = kernel::ffi::c_int::from(index);
        // SAFETY: the device is valid by the type invariant of `Device`, and
        // the PCI core sets its resources before probe and changes them only
        // while no driver is bound (C `pci_resource_flags` reads the field).
        let resources = unsafe { &(*dev.as_raw()).resource };
        // An index past the device's resources is no memory BAR either.
        let flags = resources.get(usize::from(index)).ok_or(ENODEV)?.flags;
        // SAFETY: the device is valid, and `bar` one of its resources.
        let len = unsafe { bindings::nvme_rs_pci_resource_len(dev.as_raw(), bar) } as usize;
        if flags & bindings::NVME_RS_IORESOURCE_MEM as kernel::ffi::c_ulong == 0 || len < min_len {
            return Err(ENODEV);
        }
        // SAFETY: the device is valid and `name` is a static C string, as the
        // resource tree keeps the pointer.
        to_result(unsafe {
            bindings::nvme_rs_pci_request_mem_regions(dev.as_raw(), name.as_char_ptr())
        })?;
        // SAFETY: the BAR is a memory BAR of `len` bytes, reserved above; a
        // length of 0 maps the whole BAR.
        let addr = unsafe { bindings::pci_iomap(dev.as_raw(), bar, 0) };
        if addr.is_null() {
            // SAFETY: balances the request just made.
            unsafe { bindings::nvme_rs_pci_release_mem_regions(dev.as_raw()) };
            return Err(ENOMEM);
        }
        // INVARIANT: regions requested, BAR mapped.
        Ok(Bar {
            dev: dev.into(),
            // SAFETY: `addr` maps `len` bytes until `Drop` unmaps it, and
            // `io` is dropped with `self`.
            io: unsafe { IoMem::new(addr, len) },
        })
    }
}

impl Deref for Bar {
    type Target = IoMem;

    fn deref(&self) -> &IoMem {
        &self.io
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // SAFETY: by the type invariant, the mapping and regions were made by
        // `map` and are released once, here.
        unsafe {
            bindings::pci_iounmap(self.dev.as_raw(), self.io.base());
            bindings::nvme_rs_pci_release_mem_regions(self.dev.as_raw());
        }
    }
}

/// One 32-bit register of a BAR, found in bounds once, when made, so that
/// writing it is a single MMIO store with nothing checked: for doorbells,
/// written on every I/O.
///
/// # Invariants
///
/// `addr` is a 4-byte aligned register inside the mapping of `_bar`, which
/// this value keeps mapped.
pub struct BarRegister32 {
    _bar: Arc<Bar>,
    addr: *mut kernel::ffi::c_void,
}

impl BarRegister32 {
    /// The register at byte `offset` of `bar`.
    pub fn new(bar: Arc<Bar>, offset: usize) -> Result<Self> {
        let addr = bar.io.checked(offset, 4)?;
        // INVARIANT: checked to be aligned and inside the mapping; `bar` is
        // kept.
        Ok(BarRegister32 { _bar: bar, addr })
    }

    /// Writes `value` to the register. Ordered after the CPU's earlier
    /// memory writes, as C's `writel`.
    #[inline]
    pub fn write(&self, value: u32) {
        // SAFETY: an aligned register inside a live mapping (type invariant).
        unsafe { bindings::nvme_rs_writel(value, self.addr) }
    }
}

// SAFETY: an MMIO register may be written from any thread; the mapping is
// kept alive by the `Arc` this value holds.
unsafe impl Send for BarRegister32 {}
// SAFETY: the only access, `write`, is a single MMIO store through `&self`.
unsafe impl Sync for BarRegister32 {}

/// Kinds of interrupt a device may use, most preferred first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqTypes(u32);

impl IrqTypes {
    /// MSI-X only.
    pub const MSIX: IrqTypes = IrqTypes(bindings::NVME_RS_PCI_IRQ_MSIX);
    /// MSI-X, else MSI, else the legacy INTx line.
    pub const ALL: IrqTypes = IrqTypes(
        bindings::NVME_RS_PCI_IRQ_MSIX
            | bindings::NVME_RS_PCI_IRQ_MSI
            | bindings::NVME_RS_PCI_IRQ_INTX,
    );
}

/// Interrupt vectors allocated to a device.
///
/// # Invariants
///
/// `count` vectors were allocated by `pci_alloc_irq_vectors_affinity` for
/// `dev`; `Drop` frees them. Every handler registered on one of them must be
/// freed before this value is dropped.
pub struct IrqVectors {
    dev: ARef<Device>,
    count: u32,
}

impl IrqVectors {
    /// Allocates between `min` and `max` vectors of the given types.
    ///
    /// With `pre_vectors > 0`, the vectors after the first `pre_vectors` are
    /// spread over the CPUs (managed affinity), as queue interrupts want;
    /// the first ones (an admin queue's, say) are left unmanaged.
    pub fn alloc(
        dev: &Device,
        min: u32,
        max: u32,
        types: IrqTypes,
        pre_vectors: u32,
    ) -> Result<IrqVectors> {
        let mut affinity = bindings::irq_affinity {
            pre_vectors,
            ..Default::default()
        };
        let (flags, affd) = if pre_vectors > 0 && max > pre_vectors {
            (
                types.0 | bindings::NVME_RS_PCI_IRQ_AFFINITY,
                &mut affinity as *mut bindings::irq_affinity,
            )
        } else {
            (types.0, core::ptr::null_mut())
        };
        // SAFETY: the device is valid; `affd` is null or points to an
        // `irq_affinity` that lives across the call (it is not kept).
        let ret = unsafe {
            bindings::pci_alloc_irq_vectors_affinity(dev.as_raw(), min, max, flags, affd)
        };
        let count = u32::try_from(to_result(ret).map(|()| ret)?).map_err(|_| EINVAL)?;
        // INVARIANT: `count` vectors were allocated.
        Ok(IrqVectors {
            dev: dev.into(),
            count,
        })
    }

    /// How many vectors were allocated.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The Linux IRQ number of vector `index`.
    pub fn irq(&self, index: u32) -> Result<u32> {
        if index >= self.count {
            return Err(EINVAL);
        }
        // SAFETY: the device is valid and `index` is an allocated vector.
        let irq = unsafe { bindings::pci_irq_vector(self.dev.as_raw(), index) };
        u32::try_from(irq).map_err(|_| Error::from_errno(irq))
    }
}

impl Drop for IrqVectors {
    fn drop(&mut self) {
        // SAFETY: balances the allocation (type invariant).
        unsafe { bindings::pci_free_irq_vectors(self.dev.as_raw()) };
    }
}

/// A PCI device ID table entry.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct DeviceId(bindings::pci_device_id);

impl DeviceId {
    const ANY: u32 = bindings::NVME_RS_PCI_ANY_ID;

    /// Matches any device whose class code, masked with `mask`, is `class`.
    pub const fn with_class(class: u32, mask: u32) -> Self {
        DeviceId(bindings::pci_device_id {
            vendor: Self::ANY,
            device: Self::ANY,
            subvendor: Self::ANY,
            subdevice: Self::ANY,
            class,
            class_mask: mask,
            driver_data: 0,
            override_only: 0,
        })
    }

    const fn end() -> Self {
        DeviceId(bindings::pci_device_id {
            vendor: 0,
            device: 0,
            subvendor: 0,
            subdevice: 0,
            class: 0,
            class_mask: 0,
            driver_data: 0,
            override_only: 0,
        })
    }
}

/// A zero-terminated table of device IDs, as the PCI core reads it.
#[repr(C)]
pub struct IdTable<const N: usize> {
    ids: [DeviceId; N],
    end: DeviceId,
}

impl<const N: usize> IdTable<N> {
    /// A table matching any of `ids`.
    pub const fn new(ids: [DeviceId; N]) -> Self {
        IdTable {
            ids,
            end: DeviceId::end(),
        }
    }

    fn as_ptr(&self) -> *const bindings::pci_device_id {
        // `repr(C)` places `end` right after the array, which terminates it.
        self.ids.as_ptr().cast()
    }
}

/// What is left of a device's link after a PCIe error (C
/// `pci_channel_state_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// The link works; the error may have cost a transaction.
    Normal,
    /// MMIO and DMA are blocked until the slot is reset.
    Frozen,
    /// The device cannot be recovered.
    PermanentFailure,
}

/// A driver's answer to a step of PCIe error recovery (C
/// `pci_ers_result_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErsResult {
    /// No opinion.
    None,
    /// The driver recovers without a reset.
    CanRecover,
    /// The slot must be reset.
    NeedReset,
    /// Give the device up.
    Disconnect,
    /// Recovered.
    Recovered,
}

impl ErsResult {
    fn to_raw(self) -> bindings::pci_ers_result_t {
        match self {
            ErsResult::None => bindings::NVME_RS_PCI_ERS_RESULT_NONE,
            ErsResult::CanRecover => bindings::NVME_RS_PCI_ERS_RESULT_CAN_RECOVER,
            ErsResult::NeedReset => bindings::NVME_RS_PCI_ERS_RESULT_NEED_RESET,
            ErsResult::Disconnect => bindings::NVME_RS_PCI_ERS_RESULT_DISCONNECT,
            ErsResult::Recovered => bindings::NVME_RS_PCI_ERS_RESULT_RECOVERED,
        }
    }
}

/// The data a driver keeps for a bound device, borrowed for a callback.
pub type Borrowed<'a, T> = <<T as Driver>::Data as ForeignOwnable>::Borrowed<'a>;

/// A PCI driver. Besides probe and remove, a driver may implement any of
/// the system sleep callbacks (C `struct dev_pm_ops`) and the PCIe error
/// recovery ones (C `struct pci_error_handlers`); those it does not
/// implement are left unset, so the PCI core does its default.
#[vtable]
pub trait Driver {
    /// What the driver keeps per bound device; dropped on remove.
    type Data: ForeignOwnable + Send + Sync;

    /// Binds to `dev`.
    fn probe(dev: &Device) -> Result<Self::Data>;

    /// Called when the device is being unbound, before `data` is dropped.
    fn remove(_data: &Self::Data) {}

    /// Called at system shutdown or reboot, when the device stays bound.
    fn shutdown(_data: Borrowed<'_, Self>) {}

    /// System suspend (to RAM or idle), before the PCI core puts the device
    /// in a low power state.
    fn suspend(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Resume from [`Self::suspend`], the device back in D0.
    fn resume(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Hibernation: before the memory image is made.
    fn freeze(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Hibernation: after the image is made, or its making failed.
    fn thaw(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Hibernation: before powering off, the image saved.
    fn poweroff(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Hibernation: after the image was restored at the next boot.
    fn restore(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A PCIe error was detected; `state` says what is left of the link.
    fn error_detected(_data: Borrowed<'_, Self>, _state: ChannelState) -> ErsResult {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// MMIO works again (after [`ErsResult::CanRecover`]).
    fn mmio_enabled(_data: Borrowed<'_, Self>) -> ErsResult {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The slot was reset; the device is as after power-up.
    fn slot_reset(_data: Borrowed<'_, Self>) -> ErsResult {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Recovery is over: normal operation may resume.
    fn error_resume(_data: Borrowed<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A function reset (FLR, or `reset` in sysfs) is about to happen.
    fn reset_prepare(_data: Borrowed<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The function reset is done; the configuration space is restored.
    fn reset_done(_data: Borrowed<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A registered PCI driver; unregistered when dropped.
///
/// # Invariants
///
/// `drv` is registered with the PCI core from initialisation until drop.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Driver> {
    #[pin]
    drv: Opaque<bindings::pci_driver>,
    _driver: PhantomData<T>,
}

// SAFETY: the registration is only used to unregister, which may happen from
// any thread.
unsafe impl<T: Driver> Send for Registration<T> {}
// SAFETY: no methods take `&self`.
unsafe impl<T: Driver> Sync for Registration<T> {}

impl<T: Driver + 'static> Registration<T> {
    /// Registers driver `T` as `name`, binding devices that match `ids`.
    pub fn new<const N: usize>(
        name: &'static CStr,
        ids: &'static IdTable<N>,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> {
        let register = move |slot: *mut Opaque<bindings::pci_driver>| {
            let drv = Opaque::raw_get(slot);
            // SAFETY: `drv` is valid for writes; zero is a valid `pci_driver`,
            // and the fields set below are all the core needs.
            unsafe {
                drv.write(Default::default());
                (*drv).name = name.as_char_ptr();
                (*drv).id_table = ids.as_ptr();
                (*drv).probe = Some(Self::probe_callback);
                (*drv).remove = Some(Self::remove_callback);
                (*drv).shutdown = Some(Self::shutdown_callback);
                if Self::HAS_PM_OPS {
                    (*drv).driver.pm = Self::pm_ops();
                }
                if Self::HAS_ERR_HANDLERS {
                    (*drv).err_handler = Self::err_handlers();
                }
            }
            // SAFETY: `drv` is initialised and pinned (it lives in the pinned
            // `Registration`), and `module` is this module.
            to_result(unsafe {
                bindings::__pci_register_driver(drv, module.as_ptr().cast(), name.as_char_ptr())
            })
        };
        // SAFETY: `register` fully initialises `drv` before registering it,
        // and on error returns with nothing registered and nothing to drop.
        let drv = unsafe { pin_init_from_closure(register) };
        // INVARIANT: registered by the initialiser above.
        try_pin_init!(Self {
            drv <- drv,
            _driver: PhantomData,
        })
    }

    extern "C" fn probe_callback(
        pdev: *mut bindings::pci_dev,
        _id: *const bindings::pci_device_id,
    ) -> kernel::ffi::c_int {
        // SAFETY: the PCI core passes a valid device that stays valid during
        // the callback; `Device` is a transparent wrapper of `pci_dev`.
        let dev = unsafe { &*pdev.cast::<Device>() };
        match T::probe(dev) {
            Ok(data) => {
                // SAFETY: `pdev` is valid, and its driver data is the
                // driver's to set during probe (C `pci_set_drvdata` writes
                // the field); the pointer is taken back in `remove_callback`.
                unsafe { (*pdev).dev.driver_data = data.into_foreign() as _ };
                0
            }
            Err(err) => err.to_errno(),
        }
    }

    extern "C" fn remove_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: `pdev` is valid during the callback (C `pci_get_drvdata`
        // reads the field).
        let ptr = unsafe { (*pdev).dev.driver_data };
        // SAFETY: remove is only called for devices whose probe succeeded,
        // which stored `into_foreign`'s result; remove runs once, so this is
        // the only `from_foreign` for it.
        let data = unsafe { T::Data::from_foreign(ptr) };
        T::remove(&data);
        drop(data);
    }

    extern "C" fn shutdown_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: `pdev` is valid during the callback (C `pci_get_drvdata`
        // reads the field).
        let ptr = unsafe { (*pdev).dev.driver_data };
        if ptr.is_null() {
            return;
        }
        // SAFETY: `ptr` came from `into_foreign` in probe and is only taken
        // back by remove, which the driver core does not run concurrently
        // with shutdown.
        let data = unsafe { T::Data::borrow(ptr) };
        T::shutdown(data);
    }
}

/// The data of the driver bound to `dev`, for a callback that runs only
/// while it is bound; `None` if there is none.
///
/// # Safety
///
/// `dev` is a valid PCI device's generic device, bound to driver `T`,
/// whose remove does not run until the returned borrow ends.
unsafe fn bound_data<'a, T: Driver>(dev: *mut bindings::device) -> Option<Borrowed<'a, T>> {
    // SAFETY: `dev` is valid (the caller's guarantee; C `dev_get_drvdata`
    // reads the field).
    let ptr = unsafe { (*dev).driver_data };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the driver data of a device bound to `T` came from
    // `into_foreign` in `probe_callback`; remove, which takes it back,
    // does not run meanwhile (the caller's guarantee).
    Some(unsafe { T::Data::borrow(ptr) })
}

/// The generic device of `pdev`.
///
/// # Safety
///
/// `pdev` is a valid PCI device.
unsafe fn generic(pdev: *mut bindings::pci_dev) -> *mut bindings::device {
    // SAFETY: `pdev` is valid (the caller's guarantee).
    unsafe { core::ptr::addr_of_mut!((*pdev).dev) }
}

impl<T: Driver + 'static> Registration<T> {
    const HAS_PM_OPS: bool = T::HAS_SUSPEND
        || T::HAS_RESUME
        || T::HAS_FREEZE
        || T::HAS_THAW
        || T::HAS_POWEROFF
        || T::HAS_RESTORE;

    const HAS_ERR_HANDLERS: bool = T::HAS_ERROR_DETECTED
        || T::HAS_MMIO_ENABLED
        || T::HAS_SLOT_RESET
        || T::HAS_ERROR_RESUME
        || T::HAS_RESET_PREPARE
        || T::HAS_RESET_DONE;

    const PM_OPS: bindings::dev_pm_ops = bindings::dev_pm_ops {
        suspend: if T::HAS_SUSPEND {
            Some(Self::pm_callback::<{ PmStep::Suspend as u8 }>)
        } else {
            None
        },
        resume: if T::HAS_RESUME {
            Some(Self::pm_callback::<{ PmStep::Resume as u8 }>)
        } else {
            None
        },
        freeze: if T::HAS_FREEZE {
            Some(Self::pm_callback::<{ PmStep::Freeze as u8 }>)
        } else {
            None
        },
        thaw: if T::HAS_THAW {
            Some(Self::pm_callback::<{ PmStep::Thaw as u8 }>)
        } else {
            None
        },
        poweroff: if T::HAS_POWEROFF {
            Some(Self::pm_callback::<{ PmStep::Poweroff as u8 }>)
        } else {
            None
        },
        restore: if T::HAS_RESTORE {
            Some(Self::pm_callback::<{ PmStep::Restore as u8 }>)
        } else {
            None
        },
        // SAFETY: all-zero is a valid `dev_pm_ops`: every other callback
        // unset.
        ..unsafe { core::mem::zeroed() }
    };

    const ERR_HANDLERS: bindings::pci_error_handlers = bindings::pci_error_handlers {
        error_detected: if T::HAS_ERROR_DETECTED {
            Some(Self::error_detected_callback)
        } else {
            None
        },
        mmio_enabled: if T::HAS_MMIO_ENABLED {
            Some(Self::mmio_enabled_callback)
        } else {
            None
        },
        slot_reset: if T::HAS_SLOT_RESET {
            Some(Self::slot_reset_callback)
        } else {
            None
        },
        reset_prepare: if T::HAS_RESET_PREPARE {
            Some(Self::reset_prepare_callback)
        } else {
            None
        },
        reset_done: if T::HAS_RESET_DONE {
            Some(Self::reset_done_callback)
        } else {
            None
        },
        resume: if T::HAS_ERROR_RESUME {
            Some(Self::error_resume_callback)
        } else {
            None
        },
        // SAFETY: all-zero is a valid `pci_error_handlers`: every other
        // callback unset.
        ..unsafe { core::mem::zeroed() }
    };

    /// The sleep callbacks, in static memory as the driver core keeps the
    /// pointer.
    const fn pm_ops() -> &'static bindings::dev_pm_ops {
        &Self::PM_OPS
    }

    /// The error callbacks, in static memory likewise.
    const fn err_handlers() -> &'static bindings::pci_error_handlers {
        &Self::ERR_HANDLERS
    }

    extern "C" fn pm_callback<const STEP: u8>(dev: *mut bindings::device) -> kernel::ffi::c_int {
        // SAFETY: the driver core runs a driver's sleep callbacks on its
        // bound devices, under the device lock, which remove also takes.
        let Some(data) = (unsafe { bound_data::<T>(dev) }) else {
            return 0;
        };
        let result = match STEP {
            s if s == PmStep::Suspend as u8 => T::suspend(data),
            s if s == PmStep::Resume as u8 => T::resume(data),
            s if s == PmStep::Freeze as u8 => T::freeze(data),
            s if s == PmStep::Thaw as u8 => T::thaw(data),
            s if s == PmStep::Poweroff as u8 => T::poweroff(data),
            _ => T::restore(data),
        };
        match result {
            Ok(()) => 0,
            Err(err) => err.to_errno(),
        }
    }

    extern "C" fn error_detected_callback(
        pdev: *mut bindings::pci_dev,
        state: bindings::pci_channel_state_t,
    ) -> bindings::pci_ers_result_t {
        let state = match state {
            bindings::NVME_RS_PCI_CHANNEL_IO_NORMAL => ChannelState::Normal,
            bindings::NVME_RS_PCI_CHANNEL_IO_FROZEN => ChannelState::Frozen,
            _ => ChannelState::PermanentFailure,
        };
        // SAFETY: the PCI core runs error callbacks on a valid device, under
        // its device lock and only while a driver is bound (it checks).
        match unsafe { bound_data::<T>(generic(pdev)) } {
            Some(data) => T::error_detected(data, state).to_raw(),
            None => ErsResult::None.to_raw(),
        }
    }

    extern "C" fn mmio_enabled_callback(
        pdev: *mut bindings::pci_dev,
    ) -> bindings::pci_ers_result_t {
        // SAFETY: as in `error_detected_callback`.
        match unsafe { bound_data::<T>(generic(pdev)) } {
            Some(data) => T::mmio_enabled(data).to_raw(),
            None => ErsResult::None.to_raw(),
        }
    }

    extern "C" fn slot_reset_callback(pdev: *mut bindings::pci_dev) -> bindings::pci_ers_result_t {
        // SAFETY: as in `error_detected_callback`.
        match unsafe { bound_data::<T>(generic(pdev)) } {
            Some(data) => T::slot_reset(data).to_raw(),
            None => ErsResult::None.to_raw(),
        }
    }

    extern "C" fn error_resume_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: as in `error_detected_callback`.
        if let Some(data) = unsafe { bound_data::<T>(generic(pdev)) } {
            T::error_resume(data);
        }
    }

    extern "C" fn reset_prepare_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: the PCI core calls reset_prepare and reset_done on a valid
        // device with its device lock held, which remove also takes.
        if let Some(data) = unsafe { bound_data::<T>(generic(pdev)) } {
            T::reset_prepare(data);
        }
    }

    extern "C" fn reset_done_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: as in `reset_prepare_callback`.
        if let Some(data) = unsafe { bound_data::<T>(generic(pdev)) } {
            T::reset_done(data);
        }
    }
}

/// Which sleep callback [`Registration::pm_callback`] stands for.
#[repr(u8)]
enum PmStep {
    Suspend,
    Resume,
    Freeze,
    Thaw,
    Poweroff,
    Restore,
}

#[pinned_drop]
impl<T: Driver> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by the type invariant; unregistering unbinds
        // every device, running `remove` for each.
        unsafe { bindings::pci_unregister_driver(self.drv.get()) };
    }
}
