// SPDX-License-Identifier: GPL-2.0

//! A controller on PCIe: probe brings it up, identifies it, sets up its I/O
//! queues and adds a disk per namespace; dropping it undoes all of that in
//! reverse (C `nvme_probe`, `nvme_pci_enable`, `nvme_setup_io_queues`,
//! `nvme_remove`).

use super::admin_queue;
use super::cmb::Cmb;
use super::config::Config;
use super::host_memory::HostMemory;
use super::last_power_state::PowerStateToRestore;
use super::queue_set::{IoQueues, OnDevice, QueueIrqs, QueueSetConfig, MAX_SEGMENTS};
use super::recovery_watch::RecoveryWatch;
use super::registers::{Enabled, Registers, PAGE_SIZE};
use super::removal::Removal;
use super::request::NvmeOps;
use super::reset::{IoParts, Resetter};
use crate::kernel_ext::block::tag_set::{TagSet, TagSetConfig};
use crate::kernel_ext::chrdev::{NoFileOps, Node};
use crate::kernel_ext::pm_qos::LatencyToleranceRequest;
use crate::kernel_ext::sysfs::Link;
use crate::kernel_ext::{cpu, dmi, irq, pci};
use crate::nvme_core::admin::AdminQueue;
use crate::nvme_core::async_events::AsyncEvents;
use crate::nvme_core::char_dev::{
    ControllerNode, CONTROLLER_ATTRIBUTES, NVME_CLASS, NVME_SUBSYSTEM_CLASS, SUBSYSTEM_ATTRIBUTES,
};
use crate::nvme_core::ctrl::{Ctrl, CtrlSetup};
use crate::nvme_core::error_log::ErrorLog;
use crate::nvme_core::hwmon::{Hwmon, Sensors};
use crate::nvme_core::identify::{identify, ControllerInfo, NamespaceScan};
use crate::nvme_core::instance::Instance;
use crate::nvme_core::namespace::{DiskProfile, ONCS_WRITE_ZEROES};
use crate::nvme_core::namespaces::{DiskContext, NamespaceSet};
use crate::spec::apst::initial_latency_tolerance;
use crate::spec::cmb::cmb_queue_depth;
use crate::spec::command::{usable_queue_pairs, Command, SQE_SIZE};
use crate::spec::ctrl_state::State;
use crate::spec::effects::{
    Effects, LOG_ID as EFFECTS_LOG_ID, LOG_SIZE as EFFECTS_LOG_SIZE, LPA_EFFECTS_LOG,
};
use crate::spec::platform_quirks::{
    platform_wants_simple_suspend, vendor_combination_quirks, Platform,
};
use crate::spec::queue_plan::{io_queue_depth, plan, wanted_io_queues, wanted_vectors};
use crate::spec::quirks::{pci_quirks, Quirks};
use crate::spec::regs::{
    bar_size_for_queues, offset, shutdown_timeout_s, subsystem_reset_allowed, Cap, Version,
};
use crate::spec::shadow_doorbell::OACS_DOORBELL_BUFFER_CONFIG;
use crate::{dev_info, dev_warn};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;
use kernel::types::ARef;

/// Largest transfer the driver issues, whatever MDTS allows (C
/// `NVME_MAX_KB_SZ`): its PRP list takes up to `request::MAX_LIST_PAGES`
/// chained pages.
const MAX_TRANSFER: u32 = 8 << 20;

/// The I/O side of a controller.
///
/// Fields drop in declaration order, which is the teardown order: disks
/// first (waiting for their requests), then the queue interrupts, the tag
/// set, and the queues on the controller.
struct Io {
    namespaces: CloseOnDrop,
    _irqs: QueueIrqs,
    tags: Arc<TagSet<NvmeOps>>,
    _on_device: OnDevice,
    queues: Arc<IoQueues>,
}

/// Removes the namespaces' disks and nodes when dropped; the set itself
/// may be shared a little longer by a scan that is finishing. Then the
/// controller being deleted takes no more I/O.
struct CloseOnDrop(Arc<NamespaceSet<NvmeOps>>, Arc<Ctrl>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
        self.1.change_state(State::DeletingNoIo);
    }
}

/// Waits for the asynchronous event work when dropped.
struct FlushOnDrop(Arc<AsyncEvents>);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.0.flush();
    }
}

/// A bound controller.
///
/// Fields drop in declaration order, which is the teardown order: user
/// admin commands, resets and namespace scans stop, the I/O side goes
/// while the admin queue still works, the temperature sensors and the
/// controller node (the disks' and sensors' parent) after it, the admin interrupt goes and then the asynchronous
/// event work it queues, the controller is shut down before any queue
/// memory is freed, and the device is disabled last.
pub struct Controller {
    user_admin: RevokeOnDrop,
    /// The deadline of PCIe error recovery.
    pub(super) recovery: Arc<RecoveryWatch>,
    _io: Option<Io>,
    _hwmon: Option<Hwmon>,
    /// The controller node's PM QoS latency tolerance request, and
    /// `power/pm_qos_latency_tolerance_us`, shown where APST is on (C
    /// hides it and drops the request in `nvme_uninit_ctrl`, before the
    /// node goes).
    _latency_tolerance: Option<LatencyToleranceRequest>,
    _subsystem: Subsystem,
    _node: Arc<Node<ControllerNode>>,
    _admin_irq: irq::Registration<admin_queue::Completions>,
    _events: FlushOnDrop,
    _vectors: pci::IrqVectors,
    pub(super) enabled: Enabled,
    /// The Host Memory Buffer, disabled and set up again around a
    /// suspend; `enabled` holds it until the shutdown.
    pub(super) host_memory: Arc<HostMemory>,
    _admin: Arc<admin_queue::Queue>,
    pci: Arc<pci::Enabled>,
    /// The device, for what belongs to PCI: power management, saved
    /// configuration space.
    pub(super) pdev: ARef<pci::Device>,
    /// The power state to restore on resume, after a suspend that kept
    /// the controller enabled.
    pub(super) power_state_to_restore: PowerStateToRestore,
    _instance: Instance,
}

/// The controller's NVM subsystem in sysfs (`nvme-subsysN`, linking to
/// `nvmeN`), which nvme-cli's topology scan requires. Every controller is
/// its own subsystem: nvme-rs does no multipath.
struct Subsystem {
    _link: Link,
    _node: Node<NoFileOps<Arc<Ctrl>>>,
}

impl Subsystem {
    fn add(shared: &Arc<Ctrl>, ctrl: &Node<ControllerNode>) -> Result<Self> {
        let node = Node::add(
            &NVME_SUBSYSTEM_CLASS,
            0,
            None,
            kernel::fmt!("nvme-subsys{}", shared.instance),
            shared.clone(),
            &SUBSYSTEM_ATTRIBUTES,
        )?;
        Ok(Subsystem {
            _link: node.link(ctrl.as_dev())?,
            _node: node,
        })
    }
}

/// Ends user access to the admin queue, waiting for a command in progress.
struct RevokeOnDrop(Arc<Ctrl>);

impl Drop for RevokeOnDrop {
    fn drop(&mut self) {
        self.0.revoke_admin();
    }
}

/// The command effects passthrough uses: from the Commands Supported and
/// Effects log if the controller has one (C `nvme_init_effects`). Filled
/// on the heap, where they stay: they are too large for probe's stack.
fn command_effects(admin: &admin_queue::Queue, info: &ControllerInfo) -> Result<KBox<Effects>> {
    let mut effects = KBox::new(Effects::EMPTY, GFP_KERNEL)?;
    if info.id.lpa & LPA_EFFECTS_LOG == 0 {
        effects.read_log(None);
        return Ok(effects);
    }
    let mut log = KVec::from_elem(0u8, EFFECTS_LOG_SIZE, GFP_KERNEL)?;
    admin.execute_read(
        Command::get_log_page(EFFECTS_LOG_ID, EFFECTS_LOG_SIZE as u32),
        &mut log,
    )?;
    effects.read_log(Some(&log));
    Ok(effects)
}

/// Maps BAR0 and reads `CAP`, checking the BAR holds the admin queue's
/// doorbells at the stride `CAP` gives.
fn map_registers(pdev: &pci::Device, quirks: Quirks) -> Result<(Arc<pci::Bar>, Registers)> {
    // The doorbell stride is in CAP, so map first with room for the first
    // doorbells at the smallest stride, then check the real need.
    let bar = pci::Bar::map(
        pdev,
        0,
        bar_size_for_queues(1, 4),
        kernel::c_str!("nvme_rs"),
    )?;
    let bar = Arc::new(bar, GFP_KERNEL)?;
    let regs = Registers::new(pdev, bar.clone(), quirks)?;
    if bar.size() < bar_size_for_queues(1, regs.cap().doorbell_stride()) {
        return Err(ENODEV);
    }
    Ok((bar, regs))
}

/// Adds the controller node `/dev/nvmeN`, whose sysfs directory the disks
/// and generic nodes go under, and its subsystem.
fn add_nodes(
    pdev: &pci::Device,
    instance: &Instance,
    shared: &Arc<Ctrl>,
) -> Result<(Arc<Node<ControllerNode>>, Subsystem)> {
    let node = Arc::new(
        Node::<ControllerNode>::add(
            &NVME_CLASS,
            instance.number(),
            Some(pdev.as_dev()),
            kernel::fmt!("{}", instance),
            shared.clone(),
            &CONTROLLER_ATTRIBUTES,
        )?,
        GFP_KERNEL,
    )?;
    let subsystem = Subsystem::add(shared, &node)?;
    Ok((node, subsystem))
}

/// Asks for `wanted` I/O queue pairs (Set Features, Number of Queues) and
/// returns how many the controller grants.
fn request_io_queues(admin: &admin_queue::Queue, wanted: u16) -> Result<u16> {
    let result = admin.execute_read(Command::set_queue_count(wanted), &mut [])?;
    Ok(usable_queue_pairs(wanted, result.result))
}

/// The quirks known before the controller answers, as C's
/// `nvme_pci_alloc_dev` gathers them: by PCI ID, by the drive and board
/// combination (DMI), and the simple suspend the platform asks for through
/// ACPI. Identify Controller may add some.
fn probe_quirks(pdev: &pci::Device, config: &Config) -> Quirks {
    let (vendor, device) = (pdev.vendor_id(), pdev.device_id());
    let platform = Platform {
        sys_vendor: dmi::system_info(dmi::Field::SysVendor),
        product_name: dmi::system_info(dmi::Field::ProductName),
        board_vendor: dmi::system_info(dmi::Field::BoardVendor),
        board_name: dmi::system_info(dmi::Field::BoardName),
    };
    let quirks = pci_quirks(vendor, device) | vendor_combination_quirks(vendor, device, &platform);
    if platform_wants_simple_suspend(quirks, config.noacpi, pdev.as_dev().acpi_storage_d3()) {
        // C's words: the firmware asks for D3 where the kernel manages
        // suspend itself.
        dev_info!(pdev.as_dev(), "platform quirk: setting simple suspend\n");
        return quirks | Quirks::SIMPLE_SUSPEND;
    }
    quirks
}

impl Controller {
    /// Brings up the controller behind `pdev`: enables the device, maps
    /// BAR0, resets the controller, sets up the admin queue pair with its
    /// interrupt, enables the controller, identifies it, and sets up I/O,
    /// as `config` says.
    pub fn probe(pdev: &pci::Device, config: Config) -> Result<KBox<Self>> {
        let instance = Instance::alloc()?;
        let quirks = probe_quirks(pdev, &config);
        let pci = Arc::new(pdev.enable_mem()?, GFP_KERNEL)?;
        pci.set_master();
        pdev.set_dma_mask(if quirks.has(Quirks::DMA_ADDRESS_BITS_48) {
            48
        } else {
            64
        })?;
        let (bar, regs) = map_registers(pdev, quirks)?;
        let cap = regs.cap();
        let stride = cap.doorbell_stride();
        let version = Version(bar.read32(offset::VS)?);
        // As C's nvme_pci_enable, before the admin queue.
        let cmb = Cmb::map(pdev, &bar, cap, &instance);

        // Bring-up runs on a single vector; the full set, spread over the
        // CPUs, comes once the controller says how many queues it grants.
        regs.disable()?;
        // As C's nvme_init_ctrl, before the admin queue whose completions
        // it may fail.
        let errors = ErrorLog::new(kernel::fmt!("{}", instance))?;
        let admin = admin_queue::Queue::new(
            pdev,
            bar.clone(),
            stride,
            config.admin_timeout_ms,
            errors.clone(),
        )?;
        let vectors = pci::IrqVectors::alloc(pdev, 1, 1, pci::IrqTypes::ALL, 0)?;
        let admin_irq = admin.request_irq(&vectors, &instance)?;
        let mut enabled = regs.enable(admin.aqa(), admin.sq_addr(), admin.cq_addr(), &instance)?;

        let scan = NamespaceScan::new(version, cap.command_sets()).with_quirks(quirks);
        let info = identify(&*admin, pdev.as_dev(), &instance, version, scan)?;
        let shutdown_s = shutdown_timeout_s(info.id.rtd3_entry_us, config.shutdown_timeout_s);
        if shutdown_s != config.shutdown_timeout_s {
            dev_info!(
                pdev.as_dev(),
                "nvme{}: D3 entry latency set to {} seconds\n",
                instance.number(),
                shutdown_s
            );
        }
        enabled.set_shutdown_timeout_s(shutdown_s);
        // As C: no more than a DMA mapping handles cheaply, and MDTS.
        let driver_max = u32::try_from(pdev.dma_opt_mapping_size())
            .unwrap_or(u32::MAX)
            .min(MAX_TRANSFER);
        let max_transfer = info
            .id
            .max_transfer_bytes(cap.min_page_shift())
            .map_or(driver_max, |bytes| bytes.min(u64::from(driver_max)) as u32);
        let shared = Ctrl::new(
            CtrlSetup {
                instance: instance.number(),
                id: &info.id,
                scan: info.scan,
                dev: pdev.as_dev().into(),
                transport_name: "pcie",
                address: CString::try_from_fmt(kernel::fmt!("{}", pdev.as_dev().name()))?,
                effects: command_effects(&admin, &info)?,
                max_admin_bytes: max_transfer,
                apst: config.apst,
                subsystem_reset: subsystem_reset_allowed(cap, version),
                admin_timeout_ms: config.admin_timeout_ms,
                errors,
                cmb: cmb.registers,
            },
            admin.clone(),
        )?;
        shared.configure(&*admin)?;
        // After identify and before the I/O queues, as C's probe; freed
        // only after the controller is shut down.
        let host_memory =
            HostMemory::new(shared.clone(), pdev.as_dev(), config.max_host_mem_size_mb)?;
        enabled.hold_host_memory_until_shutdown(host_memory.clone());
        host_memory.setup_after_bring_up(&*admin)?;
        // Being brought up, as C's probe says before it enables the
        // controller; live once everything below is in place.
        shared.change_state(State::Connecting);
        let user_admin = RevokeOnDrop(shared.clone());
        let recovery = RecoveryWatch::new(shared.clone(), config.error_recovery_timeout_ms)?;
        let (node, subsystem) = add_nodes(pdev, &instance, &shared)?;
        // As C's nvme_add_ctrl and nvme_init_identify, whose outcomes it
        // ignores: the tolerance starts at default_ps_max_latency_us and
        // user space sees it only where APST is on.
        let latency_tolerance = node
            .init_latency_tolerance(initial_latency_tolerance(config.apst.max_latency_us))
            .ok();
        if let Some(request) = latency_tolerance.as_ref().filter(|_| shared.apst_enabled()) {
            let _ = request.expose();
        }
        let events = FlushOnDrop(AsyncEvents::new(
            shared.clone(),
            &*admin,
            node.as_dev().into(),
        )?);
        let hwmon = Sensors::register(&shared, node.as_dev());

        let wanted = wanted_io_queues(cpu::possible_cpus(), config.poll_queues);
        let granted = request_io_queues(&admin, wanted)?;
        // Swap the bring-up vector for the full set (C does the same).
        drop(admin_irq);
        drop(vectors);
        let vectors = pci::IrqVectors::alloc(
            pdev,
            1,
            wanted_vectors(granted, config.poll_queues),
            pci::IrqTypes::ALL,
            1,
        )?;
        let admin_irq = admin.request_irq(&vectors, &instance)?;

        let io_timeout_ms = config.io_timeout_ms;
        let ctx = IoContext {
            pdev,
            bar: &bar,
            admin: &admin,
            vectors: &vectors,
            info: &info,
            name: &instance,
            max_transfer,
            config,
            cap,
            cmb,
            shared: &shared,
            node: &node,
        };
        let io = ctx.setup(&mut enabled, granted)?;

        let ctrl = KBox::new(
            Controller {
                user_admin,
                recovery,
                _io: io,
                _hwmon: hwmon,
                _latency_tolerance: latency_tolerance,
                _subsystem: subsystem,
                _node: node,
                _admin_irq: admin_irq,
                _events: events,
                _vectors: vectors,
                enabled,
                host_memory,
                _admin: admin,
                pci,
                pdev: pdev.into(),
                power_state_to_restore: PowerStateToRestore::new(),
                _instance: instance,
            },
            GFP_KERNEL,
        )?;
        ctrl.go_live(pdev, &shared, wanted, io_timeout_ms)?;
        Ok(ctrl)
    }

    /// The last phase of probe: makes resets, namespace scans and
    /// asynchronous events possible, and the controller live. Last, because
    /// from here a reset may touch any part, and a failure before must drop
    /// the parts in field order, not leave clones behind.
    fn go_live(
        &self,
        pdev: &pci::Device,
        shared: &Arc<Ctrl>,
        wanted: u16,
        io_timeout_ms: u32,
    ) -> Result {
        let mut irqs = KVec::with_capacity(self._vectors.count() as usize, GFP_KERNEL)?;
        for index in 0..self._vectors.count() {
            irqs.push(self._vectors.irq(index)?, GFP_KERNEL)?;
        }
        let resetter = Resetter {
            instance: self._instance.number(),
            pdev: pdev.into(),
            pci: self.pci.clone(),
            drain_timeout_ms: io_timeout_ms,
            shutdown_timeout_ms: self.enabled.shutdown_timeout_ms(),
            regs: self.enabled.registers(),
            admin: self._admin.clone(),
            irqs,
            io: self._io.as_ref().map(|io| IoParts {
                queues: io.queues.clone(),
                tags: io.tags.clone(),
                wanted,
            }),
            events: self._events.0.clone(),
            host_memory: self.host_memory.clone(),
            ctrl: shared.clone(),
            removal: Removal::new(pdev.into(), self._instance.number())?,
        };
        shared.set_transport(Arc::new(resetter, GFP_KERNEL)?);
        if let Some(io) = &self._io {
            shared.set_namespaces(io.namespaces.0.clone());
        }
        // What PCIe error recovery puts back after a reset of the slot (C
        // `nvme_pci_enable` saves it likewise).
        pdev.save_state()?;
        shared.change_state(State::Live);
        // The controller works without them; say so and go on.
        if let Err(err) = self._events.0.enable(&*self._admin) {
            dev_warn!(
                pdev.as_dev(),
                "{}: asynchronous events not enabled: {:?}\n",
                self._instance,
                err
            );
        }
        Ok(())
    }

    /// The controller's shared state.
    pub(super) fn shared(&self) -> &Arc<Ctrl> {
        &self.user_admin.0
    }
}

/// What setting up the I/O side needs from probe.
struct IoContext<'a> {
    pdev: &'a pci::Device,
    bar: &'a Arc<pci::Bar>,
    admin: &'a Arc<admin_queue::Queue>,
    vectors: &'a pci::IrqVectors,
    info: &'a ControllerInfo,
    name: &'a Instance,
    /// Largest transfer in bytes: MDTS, capped at `MAX_TRANSFER`.
    max_transfer: u32,
    /// The module parameters.
    config: Config,
    /// The controller's capabilities.
    cap: Cap,
    /// Its Controller Memory Buffer.
    cmb: Cmb,
    shared: &'a Arc<Ctrl>,
    /// The controller node, parent of the disks and generic nodes.
    node: &'a Arc<Node<ControllerNode>>,
}

impl IoContext<'_> {
    /// Sets up the I/O side on the `granted` I/O queue pairs, as many of
    /// them as the vectors allow; `None` if the controller granted none.
    fn setup(&self, enabled: &mut Enabled, granted: u16) -> Result<Option<Io>> {
        let config = &self.config;
        let Some(plan) = plan(granted, config.poll_queues, self.vectors.count()) else {
            dev_warn!(
                self.pdev.as_dev(),
                "{}: no I/O queues granted; admin only\n",
                self.name
            );
            return Ok(None);
        };
        let stride = self.cap.doorbell_stride();
        if self.bar.size() < bar_size_for_queues(1 + plan.total() as u16, stride) {
            return Err(ENODEV);
        }
        let depth = io_queue_depth(config.io_queue_depth, self.cap.max_queue_entries());
        // As C: with the submission rings in the CMB, the queues are as
        // deep as an equal share of it allows; too shallow, and they stay
        // in host memory at their full depth.
        let cmb_depth = self.cmb.room_for_submission_queues().and_then(|room| {
            cmb_queue_depth(room, plan.total(), depth, SQE_SIZE as u32, PAGE_SIZE)
        });
        let queue_config = QueueSetConfig {
            plan,
            vectors: self.vectors.count(),
            depth: cmb_depth.unwrap_or(depth),
            sqs_in_cmb: cmb_depth.is_some(),
            stride,
            sgls: self.info.id.sgls,
            sgl_threshold: config.sgl_threshold,
            shadow_doorbells: config.shadow_doorbells
                && self.info.id.oacs & OACS_DOORBELL_BUFFER_CONFIG != 0,
        };
        self.setup_queues(enabled, queue_config).map(Some)
    }

    /// Creates the I/O queues on the controller, the tag set over them, their
    /// interrupt handlers, and a disk per usable namespace.
    fn setup_queues(&self, enabled: &mut Enabled, config: QueueSetConfig) -> Result<Io> {
        let (pdev, info, name) = (self.pdev, self.info, self.name);
        let queues = IoQueues::new(
            pdev,
            self.bar,
            &config,
            self.shared.clone(),
            enabled.registers(),
        )?;
        enabled.hold_until_shutdown(queues.clone());
        let on_device = queues.create_on_device(self.admin, name)?;
        if queues.shadow_doorbells_active() {
            dev_info!(pdev.as_dev(), "{}: shadow doorbells on\n", name);
        }

        let plan = config.plan;
        let tags = Arc::pin_init(
            TagSet::new(
                queues.clone(),
                TagSetConfig {
                    hw_queues: plan.total(),
                    maps: if plan.poll_queues > 0 { 3 } else { 2 },
                    // A queue of `depth` entries holds `depth - 1` commands.
                    depth: u32::from(config.depth) - 1,
                    timeout_ms: self.config.io_timeout_ms,
                },
            ),
            GFP_KERNEL,
        )?;
        let irqs = queues.request_irqs(&tags, self.vectors, name)?;

        let profile = DiskProfile {
            max_transfer: self.max_transfer,
            max_segments: MAX_SEGMENTS,
            page_size: PAGE_SIZE,
            poll: plan.poll_queues > 0,
            // C `nvme_init_non_mdts_limits`: as large as a transfer, or
            // WZSL where the controller sets it.
            max_zeroes_sectors: if info.id.oncs & ONCS_WRITE_ZEROES == 0
                || info.scan.quirks().has(Quirks::DISABLE_WRITE_ZEROES)
            {
                0
            } else {
                info.nvm
                    .write_zeroes_sectors(self.cap.min_page_shift())
                    .unwrap_or(self.max_transfer >> 9)
            },
            discard_ranges: info.nvm.dmrl,
            discard_range_blocks: info.nvm.dmrsl,
        };
        let namespaces = CloseOnDrop(
            NamespaceSet::new(
                name.name(),
                DiskContext {
                    tags: tags.clone(),
                    parent: self.node.clone(),
                    profile,
                    shared: self.shared.clone(),
                },
                &info.namespaces,
            )?,
            self.shared.clone(),
        );
        dev_info!(
            pdev.as_dev(),
            "{}: {} I/O queues ({} interrupt, {} polled) of {} entries, {} disks\n",
            name,
            plan.total(),
            plan.interrupt_queues,
            plan.poll_queues,
            config.depth,
            namespaces.0.count()
        );
        if config.sqs_in_cmb {
            dev_info!(
                pdev.as_dev(),
                "{}: {} of {} submission queues in the CMB\n",
                name,
                queues.sqs_in_cmb(),
                plan.total()
            );
        }
        Ok(Io {
            namespaces,
            _irqs: irqs,
            tags,
            _on_device: on_device,
            queues,
        })
    }
}
