// SPDX-License-Identifier: GPL-2.0

//! nvme-rs: an NVMe PCIe host driver in Rust.
//!
//! `spec` holds the NVMe wire formats as pure logic; `nvme_core` the
//! transport-independent controller logic; `pci` the PCIe transport;
//! `kernel_ext` (from the top-level `rust/` directory) the safe abstractions
//! over kernel C APIs, and the only place with `unsafe` code.

// `pin_init!` recurses once per field; the controller has more fields
// than the default limit of 128 allows for.
#![recursion_limit = "256"]

// The modules are public: they are the crate's interface, layered as the
// module doc says, and `spec` is also built on the host as a crate of its own.
#[path = "../../rust/mod.rs"]
pub mod kernel_ext;

#[forbid(unsafe_code)]
pub mod nvme_core;
#[forbid(unsafe_code)]
pub mod pci;
#[forbid(unsafe_code)]
pub mod spec;

use kernel::prelude::*;

module_param!(pub POLL_QUEUES: u32 = 0, "poll_queues",
    "Number of queues to use for polled I/O (io_uring IOPOLL, fio --hipri); default 0");
module_param!(pub IO_QUEUE_DEPTH: u32 = 1024, "io_queue_depth",
    "Entries per I/O queue, at least 2, at most the controller's CAP.MQES+1 and 4096; default 1024");
module_param!(pub SGL_THRESHOLD: u32 = 32768, "sgl_threshold",
    "Use SGLs when the average request segment size is at least this many bytes; 0 disables SGLs; default 32768");
module_param!(pub SHADOW_DOORBELLS: u32 = 1, "shadow_doorbells",
    "Use shadow doorbells (Doorbell Buffer Config) where the controller offers them, as emulated ones do; 0 disables; default 1");
module_param!(pub IO_TIMEOUT: u32 = 30, "io_timeout",
    "Seconds an I/O command may take before it is aborted (and, timing out again, the controller reset); default 30");
module_param!(pub ADMIN_TIMEOUT: u32 = 60, "admin_timeout",
    "Seconds an admin command may take before the controller is reset; default 60");
module_param!(pub SHUTDOWN_TIMEOUT: u8 = 5, "shutdown_timeout",
    "timeout in seconds for controller shutdown");
module_param!(pub MAX_RETRIES: u8 = 5, "max_retries",
    "max number of retries a command may have");
module_param!(pub NOACPI: readonly bool = false, "noacpi",
    "disable acpi bios quirks");
module_param!(pub ERROR_RECOVERY_TIMEOUT: u32 = 120, "error_recovery_timeout",
    "Seconds PCIe error recovery may hold a controller's I/O before the controller is given up and removed; 0 waits for ever, as the C driver; default 120");

module_param!(pub DEFAULT_PS_MAX_LATENCY_US: u32 = 100000, "default_ps_max_latency_us",
    "Deepest power state exit latency APST may use, in microseconds; 0 turns APST off; default 100000");
module_param!(pub APST_PRIMARY_TIMEOUT_MS: u32 = 100, "apst_primary_timeout_ms",
    "APST: idle milliseconds before a state of primary latency tolerance; 0 uses total latency / 20; default 100");
module_param!(pub APST_SECONDARY_TIMEOUT_MS: u32 = 2000, "apst_secondary_timeout_ms",
    "APST: idle milliseconds before a state of secondary latency tolerance; 0: none; default 2000");
module_param!(pub APST_PRIMARY_LATENCY_TOL_US: u32 = 15000, "apst_primary_latency_tol_us",
    "APST: total latency in microseconds a primary state may have; default 15000");
module_param!(pub APST_SECONDARY_LATENCY_TOL_US: u32 = 100000, "apst_secondary_latency_tol_us",
    "APST: total latency in microseconds a secondary state may have; default 100000");
module_param!(static nvme_core::apst::FORCE_APST: bool, "force_apst",
    "allow APST for newly enumerated devices even if quirked off");

module_param!(static nvme_core::identify::DISABLE_PI_OFFSETS: readonly bool, "disable_pi_offsets",
    "disable protection information if it has an offset");

module_param!(static pci::cmb::USE_CMB_SQES: readonly bool, "use_cmb_sqes",
    "use controller's memory buffer for I/O SQes");

module_param!(static pci::queue_set::USE_THREADED_INTERRUPTS: readonly bool, "use_threaded_interrupts",
    "reap I/O completions in the interrupts' kernel threads; default off");

module_param!(pub MAX_HOST_MEM_SIZE_MB: u32 = 128, "max_host_mem_size_mb",
    "Maximum Host Memory Buffer (HMB) size per controller (in MiB)");

module_param!(pub FAIL_REQUEST: charp, "fail_request",
    "setup fault injection attributes: <interval>,<probability>,<space>,<times> (debugfs fault_inject/ of each controller and disk)");

module! {
    type: NvmeModule,
    name: "nvme_rs",
    author: "The nvme-rs developers",
    description: "NVMe PCIe host driver written in Rust",
    license: "GPL",
    alias: ["pci:v*d*sv*sd*bc01sc08i02*"],
}

// Fields drop in declaration order: the driver (and every node) goes
// before the classes the nodes belong to.
/// Fields drop in declaration order: the driver goes first, removing every
/// controller, then the queue of controller removals is drained.
struct NvmeModule {
    _driver: Pin<KBox<kernel_ext::pci::Registration<pci::driver::NvmeDriver>>>,
    _removals: kernel_ext::workqueue::ModuleQueueGuard,
    _generic_class: kernel_ext::chrdev::ClassRegistration,
    _subsystem_class: kernel_ext::chrdev::ClassRegistration,
    _class: kernel_ext::chrdev::ClassRegistration,
}

impl kernel::Module for NvmeModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // Before the driver is registered: every probe reads them.
        if let Some(fail_request) = FAIL_REQUEST.get() {
            kernel_ext::fault_inject::set_default(fail_request);
        }
        pci::config::PARAMETERS.set(
            POLL_QUEUES.get(),
            IO_QUEUE_DEPTH.get(),
            SGL_THRESHOLD.get(),
            SHADOW_DOORBELLS.get() != 0,
            IO_TIMEOUT.get(),
            ADMIN_TIMEOUT.get(),
            ERROR_RECOVERY_TIMEOUT.get(),
            [
                DEFAULT_PS_MAX_LATENCY_US.get(),
                APST_PRIMARY_TIMEOUT_MS.get(),
                APST_SECONDARY_TIMEOUT_MS.get(),
                APST_PRIMARY_LATENCY_TOL_US.get(),
                APST_SECONDARY_LATENCY_TOL_US.get(),
            ],
            MAX_HOST_MEM_SIZE_MB.get(),
            SHUTDOWN_TIMEOUT.get(),
            MAX_RETRIES.get(),
            NOACPI.get(),
        );
        let class = nvme_core::char_dev::NVME_CLASS.register()?;
        let subsystem_class = nvme_core::char_dev::NVME_SUBSYSTEM_CLASS.register()?;
        let generic_class = nvme_core::char_dev::NVME_GENERIC_CLASS.register()?;
        let removals = pci::removal::REMOVALS.create(kernel::c_str!("nvme_rs_removal"))?;
        let driver = KBox::pin_init(
            kernel_ext::pci::Registration::new(
                kernel::c_str!("nvme_rs"),
                &pci::driver::ID_TABLE,
                module,
            ),
            GFP_KERNEL,
        )?;
        Ok(NvmeModule {
            _driver: driver,
            _removals: removals,
            _generic_class: generic_class,
            _subsystem_class: subsystem_class,
            _class: class,
        })
    }
}
