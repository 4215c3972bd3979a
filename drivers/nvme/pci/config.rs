// SPDX-License-Identifier: GPL-2.0

//! What the module parameters configure, as one value: the crate root,
//! which declares the parameters, stores them here once at module init,
//! before the driver is registered; each probe reads them once and passes
//! them down.

use crate::spec::apst::ApstParams;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};

/// A controller's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Polled I/O queues wanted (`poll_queues`).
    pub poll_queues: u32,
    /// Entries per I/O queue wanted (`io_queue_depth`), before the
    /// controller's limits.
    pub io_queue_depth: u32,
    /// Average segment size from which SGLs are used (`sgl_threshold`);
    /// 0: never.
    pub sgl_threshold: u32,
    /// Use shadow doorbells where the controller has them
    /// (`shadow_doorbells`).
    pub shadow_doorbells: bool,
    /// How long an I/O command may take before it is aborted, at least 1 s
    /// (`io_timeout`).
    pub io_timeout_ms: u32,
    /// How long an admin command may take before the controller is reset,
    /// at least 1 s (`admin_timeout`).
    pub admin_timeout_ms: u32,
    /// How long PCIe error recovery may hold the controller before it is
    /// given up; 0: for ever (`error_recovery_timeout`).
    pub error_recovery_timeout_ms: u32,
    /// What bounds the APST table (`default_ps_max_latency_us` and the
    /// `apst_*` parameters).
    pub apst: ApstParams,
    /// Largest Host Memory Buffer in MiB (`max_host_mem_size_mb`).
    pub max_host_mem_size_mb: u32,
    /// Shortest wait for a normal shutdown in seconds, where RTD3E asks
    /// for less or nothing (`shutdown_timeout`).
    pub shutdown_timeout_s: u32,
    /// Ignore the platform firmware's ACPI requests (`noacpi`).
    pub noacpi: bool,
}

/// The parameters as they were at module init.
pub static PARAMETERS: Parameters = Parameters::new();

/// A [`Config`] stored once and read from any thread.
pub struct Parameters {
    poll_queues: AtomicU32,
    io_queue_depth: AtomicU32,
    sgl_threshold: AtomicU32,
    shadow_doorbells: AtomicBool,
    io_timeout_s: AtomicU32,
    admin_timeout_s: AtomicU32,
    error_recovery_timeout_s: AtomicU32,
    /// `ApstParams`' fields, in its order.
    apst: [AtomicU32; 5],
    max_host_mem_size_mb: AtomicU32,
    shutdown_timeout_s: AtomicU8,
    max_retries: AtomicU8,
    noacpi: AtomicBool,
}

impl Parameters {
    const fn new() -> Self {
        Parameters {
            poll_queues: AtomicU32::new(0),
            io_queue_depth: AtomicU32::new(1024),
            sgl_threshold: AtomicU32::new(32768),
            shadow_doorbells: AtomicBool::new(true),
            io_timeout_s: AtomicU32::new(30),
            admin_timeout_s: AtomicU32::new(60),
            error_recovery_timeout_s: AtomicU32::new(120),
            apst: [
                AtomicU32::new(ApstParams::DEFAULT.max_latency_us as u32),
                AtomicU32::new(ApstParams::DEFAULT.primary_timeout_ms as u32),
                AtomicU32::new(ApstParams::DEFAULT.secondary_timeout_ms as u32),
                AtomicU32::new(ApstParams::DEFAULT.primary_latency_tol_us as u32),
                AtomicU32::new(ApstParams::DEFAULT.secondary_latency_tol_us as u32),
            ],
            max_host_mem_size_mb: AtomicU32::new(128),
            shutdown_timeout_s: AtomicU8::new(5),
            max_retries: AtomicU8::new(crate::spec::status::MAX_RETRIES),
            noacpi: AtomicBool::new(false),
        }
    }

    /// Stores the parameters' values, the timeouts in seconds. Module init
    /// calls it before registering the driver, so every probe sees them.
    pub fn set(
        &self,
        poll_queues: u32,
        io_queue_depth: u32,
        sgl_threshold: u32,
        shadow_doorbells: bool,
        io_timeout_s: u32,
        admin_timeout_s: u32,
        error_recovery_timeout_s: u32,
        apst: [u32; 5],
        max_host_mem_size_mb: u32,
        shutdown_timeout_s: u8,
        max_retries: u8,
        noacpi: bool,
    ) {
        self.poll_queues.store(poll_queues, Ordering::Relaxed);
        self.io_queue_depth.store(io_queue_depth, Ordering::Relaxed);
        self.sgl_threshold.store(sgl_threshold, Ordering::Relaxed);
        self.shadow_doorbells
            .store(shadow_doorbells, Ordering::Relaxed);
        self.io_timeout_s.store(io_timeout_s, Ordering::Relaxed);
        self.admin_timeout_s
            .store(admin_timeout_s, Ordering::Relaxed);
        self.error_recovery_timeout_s
            .store(error_recovery_timeout_s, Ordering::Relaxed);
        for (stored, value) in self.apst.iter().zip(apst) {
            stored.store(value, Ordering::Relaxed);
        }
        self.max_host_mem_size_mb
            .store(max_host_mem_size_mb, Ordering::Relaxed);
        self.shutdown_timeout_s
            .store(shutdown_timeout_s, Ordering::Relaxed);
        self.max_retries.store(max_retries, Ordering::Relaxed);
        self.noacpi.store(noacpi, Ordering::Relaxed);
    }

    /// How many times a failed block I/O command may be retried
    /// (`max_retries`). Read at each failure, as C reads its parameter, so
    /// it needs no path to the request.
    pub fn max_retries(&self) -> u8 {
        self.max_retries.load(Ordering::Relaxed)
    }

    /// The configuration, for one probe.
    pub fn config(&self) -> Config {
        let ms = |s: &AtomicU32| s.load(Ordering::Relaxed).max(1).saturating_mul(1000);
        Config {
            poll_queues: self.poll_queues.load(Ordering::Relaxed),
            io_queue_depth: self.io_queue_depth.load(Ordering::Relaxed),
            sgl_threshold: self.sgl_threshold.load(Ordering::Relaxed),
            shadow_doorbells: self.shadow_doorbells.load(Ordering::Relaxed),
            io_timeout_ms: ms(&self.io_timeout_s),
            admin_timeout_ms: ms(&self.admin_timeout_s),
            error_recovery_timeout_ms: self
                .error_recovery_timeout_s
                .load(Ordering::Relaxed)
                .saturating_mul(1000),
            apst: {
                let [max, primary, secondary, primary_tol, secondary_tol] = self
                    .apst
                    .each_ref()
                    .map(|v| u64::from(v.load(Ordering::Relaxed)));
                ApstParams {
                    max_latency_us: max,
                    primary_timeout_ms: primary,
                    secondary_timeout_ms: secondary,
                    primary_latency_tol_us: primary_tol,
                    secondary_latency_tol_us: secondary_tol,
                }
            },
            max_host_mem_size_mb: self.max_host_mem_size_mb.load(Ordering::Relaxed),
            shutdown_timeout_s: u32::from(self.shutdown_timeout_s.load(Ordering::Relaxed)),
            noacpi: self.noacpi.load(Ordering::Relaxed),
        }
    }
}
