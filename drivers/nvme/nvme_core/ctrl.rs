// SPDX-License-Identifier: GPL-2.0

//! The controller, whatever its transport (C's `struct nvme_ctrl` as
//! `core.c` uses it): what its nodes, namespaces, resets and timeouts all
//! reach. Its identity, its state, the admin lock that user commands,
//! resets and teardown take turns under, resets and giving up through the
//! [`Transport`], namespace scans, re-identifying after a reset, and
//! running a command with the effects its opcode has. Passthrough is in
//! `passthru`; the namespaces are reached through [`Namespaces`].

use super::admin::AdminQueue;
use super::apst::configure_apst;
use super::error_log::ErrorLog;
use super::host_behavior::configure_host_behavior;
use super::identify::{identify_namespaces, Namespace, NamespaceScan};
use super::instance::Name;
use super::state::CtrlState;
use super::transport::{Disable, Transport};
use crate::kernel_ext::device::Device;
use crate::spec::apst::{initial_latency_tolerance, ps_max_latency_us, ApstParams};
use crate::spec::cmb::CmbRegisters;
use crate::spec::command::{abort_succeeded, Command, IdentifyCns, IDENTIFY_DATA_SIZE};
use crate::spec::ctrl_state::State;
use crate::spec::effects::{Effects, Handling};
use crate::spec::identify::{AsciiField, IdentifyController};
use crate::spec::quirks::Quirks;
use crate::{dev_err, dev_info, dev_warn};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};
use kernel::types::ARef;

/// A controller's namespaces as the controller drives them.
pub trait Namespaces: Send + Sync {
    /// Makes the disks those of the namespaces `identify` returns, in
    /// ascending NSID order (C `nvme_scan_work`); fails with `ENODEV` once
    /// the namespaces are being torn down.
    fn rescan(&self, identify: &mut dyn FnMut() -> Result<KVec<Namespace>>) -> Result;

    /// Runs `f` once with every namespace's request queue frozen: no block
    /// or passthrough request of theirs exists meanwhile. `f` must not wait
    /// for the namespaces' I/O.
    fn while_frozen(&self, f: &mut dyn FnMut()) -> Result;

    /// Runs the ioctl `cmd` with argument `arg` on the controller's only
    /// namespace, as on its generic node, calling `found` first (C
    /// `nvme_dev_user_cmd`); or says why not.
    fn single_ioctl(&self, writable: bool, cmd: u32, arg: usize, found: &mut dyn FnMut())
        -> Single;
}

/// What [`Namespaces::single_ioctl`] did.
pub enum Single {
    /// The controller has one namespace; what its ioctl returned.
    Ran(Result<i32>),
    /// The controller has no namespace.
    None,
    /// The controller has several namespaces.
    Several,
}

/// Largest admin passthrough transfer: its data goes through one
/// physically contiguous bounce buffer (`passthru`), and the page
/// allocator hands out at most 4 MiB at once (order 10). C maps the user's
/// pages instead and allows up to the transfer limit (8 MiB).
pub const MAX_ADMIN_BOUNCE: u32 = 4 << 20;

/// What a transport tells the core about a controller it brought up, for
/// [`Ctrl::new`].
pub struct CtrlSetup<'a> {
    /// The `N` of `nvmeN`.
    pub instance: u32,
    /// Identify Controller as bring-up read it (borrowed: copied once,
    /// into the controller).
    pub id: &'a IdentifyController,
    /// How its namespaces are identified.
    pub scan: NamespaceScan,
    /// The device the controller is, for logging and bounce buffers.
    pub dev: ARef<Device>,
    /// The transport's name for sysfs `transport` (C `nvme_ctrl_ops.name`).
    pub transport_name: &'static str,
    /// The controller's address on its transport, for sysfs `address`.
    pub address: CString,
    /// Effects of each opcode, from the controller's log or the defaults.
    pub effects: KBox<Effects>,
    /// Largest admin passthrough transfer in bytes: the transport's
    /// transfer limit, but at most [`MAX_ADMIN_BOUNCE`].
    pub max_admin_bytes: u32,
    /// What bounds the APST table, sent again after every reset.
    pub apst: ApstParams,
    /// The controller may reset its NVM subsystem
    /// ([`crate::spec::regs::subsystem_reset_allowed`]).
    pub subsystem_reset: bool,
    /// The admin command timeout in milliseconds, how long a firmware
    /// activation may take where Identify gives no MTFA.
    pub admin_timeout_ms: u32,
    /// The controller's fault injection and passthrough logging, shared
    /// with its admin queue.
    pub errors: Arc<ErrorLog>,
    /// Its Controller Memory Buffer registers as bring-up read them, for
    /// sysfs `cmb` (PCIe; zero where there is none).
    pub cmb: CmbRegisters,
}

/// A controller: the admin queue for as long as it is bound, its state,
/// and what the permission check and sysfs need.
#[pin_data]
pub struct Ctrl {
    /// The `N` of `nvmeN`.
    pub instance: u32,
    /// Identify Controller as probe read it.
    pub id: IdentifyController,
    /// How its namespaces are identified.
    scan: NamespaceScan,
    /// Where the controller is in its life: sysfs `state`, and whether a
    /// reset may start.
    state: CtrlState,
    /// The firmware revision, for sysfs: it changes when a reset activates
    /// new firmware.
    #[pin]
    firmware: Mutex<AsciiField<8>>,
    /// The device the controller is, for logging and bounce buffers.
    pub dev: ARef<Device>,
    /// The transport's name, for sysfs.
    pub transport_name: &'static str,
    /// The controller's address on its transport, for sysfs.
    pub address: CString,
    /// What bounds the APST table, but for the deepest exit latency.
    apst: ApstParams,
    /// The deepest exit latency APST may use, in microseconds (C
    /// `ctrl->ps_max_latency_us`): `default_ps_max_latency_us` at first,
    /// then what the PM QoS latency tolerance says.
    ps_max_latency_us: AtomicU64,
    /// APST is on for the controller (C `ctrl->apst_enabled`), as the last
    /// bring-up found.
    apst_enabled: AtomicBool,
    /// `NVME_IOCTL_SUBSYS_RESET` may reset the NVM subsystem.
    subsystem_reset: bool,
    /// The admin command timeout in milliseconds.
    pub(super) admin_timeout_ms: u32,
    /// Effects of each opcode, for the permission check and for what a
    /// passthrough command needs around it.
    pub(super) effects: KBox<Effects>,
    /// A command said the controller's capabilities changed (logged once).
    capabilities_changed: AtomicBool,
    /// Largest admin transfer in bytes.
    pub(super) max_admin_bytes: u32,
    /// The disks and generic nodes, once probe made them and until
    /// teardown starts.
    #[pin]
    namespaces: Mutex<Option<Arc<dyn Namespaces>>>,
    /// The admin queue, `None` once the controller is going away. Resets
    /// and the driver's own command sequences hold it; user commands and
    /// Aborts only clone the queue under it (teardown drains the queue).
    #[pin]
    pub(super) admin: Mutex<Option<Arc<dyn AdminQueue>>>,
    /// The transport's side of resets, once probe is done and until
    /// teardown starts.
    #[pin]
    transport: Mutex<Option<Arc<dyn Transport>>>,
    /// Resets attempted so far, so that timeouts racing each other reset
    /// the controller once, not once each.
    resets: AtomicU32,
    /// The controller was last told to use a Host Memory Buffer (sysfs
    /// `hmb`, C `dev->hmb`); the transport, which owns the buffer, keeps
    /// it up to date.
    host_memory_enabled: AtomicBool,
    /// Fault injection in admin completions and sysfs
    /// `passthru_err_log_enabled` (C `ctrl->fault_inject`,
    /// `ctrl->passthru_err_log_enabled`).
    pub errors: Arc<ErrorLog>,
    /// Its Controller Memory Buffer registers, for sysfs `cmb`, `cmbloc`
    /// and `cmbsz`.
    pub cmb: CmbRegisters,
}

/// The admin lock held: user admin commands and resets wait.
pub(super) type AdminGuard<'a> = kernel::sync::lock::Guard<
    'a,
    Option<Arc<dyn AdminQueue>>,
    kernel::sync::lock::mutex::MutexBackend,
>;

impl Ctrl {
    /// The controller `setup` describes, whose admin queue is `admin`.
    pub fn new(setup: CtrlSetup<'_>, admin: Arc<dyn AdminQueue>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Ctrl {
                instance: setup.instance,
                id: *setup.id,
                scan: setup.scan,
                state: CtrlState::new(),
                firmware <- new_mutex!(setup.id.firmware),
                dev: setup.dev,
                transport_name: setup.transport_name,
                address: setup.address,
                apst: setup.apst,
                ps_max_latency_us: AtomicU64::new(ps_max_latency_us(
                    initial_latency_tolerance(setup.apst.max_latency_us)
                )),
                apst_enabled: AtomicBool::new(false),
                subsystem_reset: setup.subsystem_reset,
                admin_timeout_ms: setup.admin_timeout_ms,
                effects: setup.effects,
                capabilities_changed: AtomicBool::new(false),
                max_admin_bytes: setup.max_admin_bytes.min(MAX_ADMIN_BOUNCE),
                namespaces <- new_mutex!(None),
                admin <- new_mutex!(Some(admin)),
                transport <- new_mutex!(None),
                resets: AtomicU32::new(0),
                host_memory_enabled: AtomicBool::new(false),
                errors: setup.errors,
                cmb: setup.cmb,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// The controller's quirks (C `ctrl->quirks`).
    pub fn quirks(&self) -> Quirks {
        self.scan.quirks()
    }

    /// The controller's state.
    pub fn state(&self) -> State {
        self.state.get()
    }

    /// Changes the controller's state to `to` where the state machine
    /// allows it; returns whether it changed.
    pub fn change_state(&self, to: State) -> bool {
        self.state.change(to)
    }

    /// Stops user admin commands and resets for good, waiting for one in
    /// progress: the controller is being deleted.
    pub fn revoke_admin(&self) {
        let mut admin = self.admin.lock();
        // Waits for a reset in progress (it holds the admin lock), so a
        // reset's own changes cannot follow this one.
        self.state.change(State::Deleting);
        // Never the set's last reference (the controller's I/O side holds
        // it until later in teardown), so no disk is deleted, and no I/O
        // waited for, under the admin lock.
        drop(self.transport.lock().take());
        drop(self.namespaces.lock().take());
        let queue = admin.take();
        drop(admin);
        // User commands run without the admin lock (`run_admin`): wait for
        // those in flight, as C's removal cancels them, before the rest of
        // teardown takes the queue's interrupt away.
        if let Some(queue) = queue {
            queue.drain();
        }
    }

    /// The admin queue for a command that runs without the admin lock,
    /// side by side with others; `ENODEV` once teardown has begun.
    pub(super) fn admin_queue(&self) -> Result<Arc<dyn AdminQueue>> {
        self.admin.lock().clone().ok_or(ENODEV)
    }

    /// The firmware revision the controller reports now.
    pub fn firmware(&self) -> AsciiField<8> {
        *self.firmware.lock()
    }

    /// Records a new firmware revision, read after a reset.
    pub fn set_firmware(&self, firmware: AsciiField<8>) {
        *self.firmware.lock() = firmware;
    }

    /// The namespaces, from probe's end until teardown starts.
    pub(super) fn namespace_set(&self) -> Option<Arc<dyn Namespaces>> {
        self.namespaces.lock().clone()
    }

    /// Makes runtime namespace scans possible, once probe added the disks.
    pub fn set_namespaces(&self, namespaces: Arc<dyn Namespaces>) {
        let admin = self.admin.lock();
        // Not after teardown has started.
        if admin.is_some() {
            *self.namespaces.lock() = Some(namespaces);
        }
    }

    /// Runs `f` on the admin queue, holding off teardown meanwhile; `ENODEV`
    /// once teardown has begun.
    pub fn with_admin<R>(&self, f: impl FnOnce(&dyn AdminQueue) -> Result<R>) -> Result<R> {
        let admin = self.admin.lock();
        f(&**admin.as_ref().ok_or(ENODEV)?)
    }

    /// Runs `f` on the admin queue of a live controller, holding off
    /// resets, user admin commands and teardown meanwhile: `EBUSY` where
    /// the controller is not live, `ENODEV` once teardown has begun.
    pub fn with_admin_live<R>(&self, f: impl FnOnce(&dyn AdminQueue) -> Result<R>) -> Result<R> {
        let admin = self.admin.lock();
        if self.state.get() != State::Live {
            return Err(EBUSY);
        }
        f(&**admin.as_ref().ok_or(ENODEV)?)
    }

    /// Reads the active namespaces and makes the disks match: adds those
    /// of new namespaces, removes those of namespaces gone (C
    /// `nvme_scan_work`). Nothing to do for a controller without I/O
    /// queues or once teardown has begun.
    ///
    /// The admin lock is held only while identifying: adding a disk reads
    /// its partition table, and should that I/O time out, the reset that
    /// recovers it needs the admin lock.
    pub fn scan_namespaces(&self) -> Result {
        let Some(set) = self.namespaces.lock().clone() else {
            return Ok(());
        };
        let result = set.rescan(&mut || {
            self.with_admin(|admin| {
                let mut buf = KVec::from_elem(0u8, IDENTIFY_DATA_SIZE, GFP_KERNEL)?;
                identify_namespaces(
                    admin,
                    &self.dev,
                    Name(self.instance),
                    &self.id,
                    self.scan,
                    &mut buf,
                )
            })
        });
        match result {
            // Teardown has begun.
            Err(ENODEV) => Ok(()),
            other => other,
        }
    }

    /// Runs the passthrough command `run`, whose opcode has `effects`, as
    /// C's `nvme_passthru_start` and `nvme_passthru_end` do: with every
    /// namespace's I/O held back if it must run alone, then rescanning the
    /// namespaces if it may have changed them (Format NVM changes their
    /// block size), whatever its outcome. As in C, the namespaces' I/O
    /// resumes before that rescan has updated their disks.
    pub(super) fn with_effects<R>(
        &self,
        effects: u32,
        run: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        let handling = Handling::of(effects);
        let frozen = if handling.freeze {
            self.namespaces.lock().clone()
        } else {
            None
        };
        let result = match frozen {
            Some(set) => {
                let mut run = Some(run);
                let mut result = None;
                set.while_frozen(&mut || result = run.take().map(|run| run()))?;
                // `while_frozen` ran it, once.
                result.unwrap_or(Err(EINVAL))
            }
            None => run(),
        };
        if handling.capabilities_changed && !self.capabilities_changed.swap(true, Ordering::Relaxed)
        {
            dev_info!(
                &self.dev,
                "nvme{}: controller capabilities changed; reload the driver for them to take effect\n",
                self.instance
            );
        }
        if handling.rescan {
            if let Err(err) = self.scan_namespaces() {
                dev_warn!(
                    &self.dev,
                    "nvme{}: namespace rescan failed: {:?}\n",
                    self.instance,
                    err
                );
            }
        }
        result
    }

    /// Runs `f` once with every namespace's I/O drained and held back (see
    /// [`Namespaces::while_frozen`]); just runs it for a controller without
    /// disks. `f` must not wait for the namespaces' I/O.
    pub fn while_io_frozen(&self, f: &mut dyn FnMut()) -> Result {
        let set = self.namespaces.lock().clone();
        match set {
            Some(set) => set.while_frozen(f),
            None => {
                f();
                Ok(())
            }
        }
    }

    /// Makes resets possible, once the controller is fully set up.
    pub fn set_transport(&self, transport: Arc<dyn Transport>) {
        let admin = self.admin.lock();
        // Not after teardown has started.
        if admin.is_some() {
            *self.transport.lock() = Some(transport);
        }
    }

    /// `NVME_IOCTL_RESET` and sysfs `reset_controller`: resets the
    /// controller and waits for it. User admin commands wait meanwhile.
    pub fn reset(&self) -> Result<i32> {
        let admin = self.admin.lock();
        // Every reset runs under the admin lock: none can come between
        // reading the count and resetting.
        self.reset_since_locked(&admin, self.resets())?;
        Ok(0)
    }

    /// `NVME_IOCTL_SUBSYS_RESET` (C 6.12's `nvme_reset_subsystem` and
    /// `nvme_pci_subsystem_reset`): `ENOTTY` where the controller has no
    /// NVM Subsystem Reset, `EBUSY` where it is not live. The register
    /// write passes through resetting and back to live at once, as in C;
    /// the reset itself takes the link down, and the PCIe error or
    /// hot-plug handling that follows brings the controller back or
    /// removes it.
    pub fn reset_subsystem(&self) -> Result<i32> {
        if !self.subsystem_reset {
            return Err(ENOTTY);
        }
        // Under the admin and transport locks, as resets: C takes the
        // shutdown lock, which keeps the BAR mapped meanwhile.
        let _admin = self.admin.lock();
        let transport = self.transport.lock();
        let transport = transport.as_ref().ok_or(ENODEV)?;
        if !self.state.change(State::Resetting) {
            return Err(EBUSY);
        }
        let result = transport.subsystem_reset();
        if self.state.change(State::Connecting) {
            self.state.change(State::Live);
        }
        result.map(|()| 0)
    }

    /// The transport, while the controller has one: for work that waits
    /// without the transport lock (a firmware activation).
    pub(super) fn transport(&self) -> Option<Arc<dyn Transport>> {
        self.transport.lock().clone()
    }

    /// Resets a controller another path already moved to resetting (a
    /// firmware activation that did not end in time, C's
    /// `nvme_try_sched_reset`); it ends live, or is given up on and removed.
    /// `EBUSY` where it is no longer resetting, `ENODEV` once teardown has
    /// begun.
    pub(super) fn reset_resetting(&self) -> Result {
        // Commands that timed out meanwhile are cancelled by this reset.
        self.bring_back(|transport| transport.reset())
    }

    /// Brings back a controller another path left resetting, by `how`,
    /// under the admin lock: `EBUSY` where it is no longer resetting,
    /// `ENODEV` once teardown has begun. Timeouts seen before this are
    /// settled by it; a failure gives the controller up and removes it.
    fn bring_back(&self, how: impl FnOnce(&dyn Transport) -> Result) -> Result {
        let _admin = self.admin.lock();
        let transport = self.transport.lock();
        let transport = transport.as_ref().ok_or(ENODEV)?;
        if self.state.get() != State::Resetting {
            return Err(EBUSY);
        }
        self.resets.fetch_add(1, Ordering::AcqRel);
        how(&**transport).inspect_err(|_| transport.remove_dead())
    }

    /// How many resets were attempted so far; see [`Self::reset_since`].
    pub fn resets(&self) -> u32 {
        self.resets.load(Ordering::Acquire)
    }

    /// Resets the controller for a command that timed out, unless a reset
    /// was attempted since the timeout saw `resets` (that one cancelled the
    /// command already). Fails with `ENODEV` once teardown has begun.
    pub fn reset_since(&self, resets: u32) -> Result {
        let admin = self.admin.lock();
        self.reset_since_locked(&admin, resets)
    }

    /// [`Self::reset_since`] for a caller holding the admin lock. The
    /// reset runs only from the live state (C's `nvme_reset_ctrl`): a
    /// controller being deleted or given up on fails with `ENODEV`.
    pub(super) fn reset_since_locked(&self, _admin: &AdminGuard<'_>, resets: u32) -> Result {
        let transport = self.transport.lock();
        let transport = transport.as_ref().ok_or(ENODEV)?;
        if self
            .resets
            .compare_exchange(
                resets,
                resets.wrapping_add(1),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            if !self.state.change(State::Resetting) {
                // Resets run under the admin lock, one at a time. Still
                // resetting here, the controller is held for system sleep
                // or a function reset, and whoever disabled it cancels the
                // command when bringing it back; otherwise it is going or
                // gone.
                return if self.state.get().is_resetting() {
                    Ok(())
                } else {
                    Err(ENODEV)
                };
            }
            // A failed reset failed all I/O; the controller goes too.
            transport.reset().inspect_err(|_| transport.remove_dead())?;
        }
        Ok(())
    }

    /// Stops the controller `how` says, for system sleep, a function
    /// reset or a PCIe error, holding its I/O back until [`Self::restart`]
    /// (C `nvme_disable_prepare_reset`). Waits for a reset or user admin
    /// command in progress. Returns `false`, doing nothing, where the
    /// controller is being deleted or was given up on.
    ///
    /// With [`Disable::Shutdown`] this waits, under the admin lock, for
    /// the commands in flight, for at most the I/O timeout; a timeout
    /// meanwhile waits for that lock (design.md, Lock order).
    pub fn disable(&self, how: Disable) -> bool {
        let _admin = self.admin.lock();
        let transport = self.transport.lock();
        let Some(transport) = transport.as_ref() else {
            return false;
        };
        // Timeouts seen before this are settled by `restart`.
        self.resets.fetch_add(1, Ordering::AcqRel);
        if !self.state.change(State::Resetting) {
            return false;
        }
        transport.disable(how);
        true
    }

    /// Brings back a controller [`Self::disable`] stopped (C
    /// `nvme_try_sched_reset`, run to its end): `EBUSY` if there is none
    /// to bring back. A failure gives the controller up and removes it.
    pub fn restart(&self) -> Result {
        self.bring_back(|transport| transport.restart())
    }

    /// System shutdown or reboot with the controller bound (C
    /// `nvme_shutdown`): lets the commands in flight finish, shuts the
    /// controller down, and fails every later request, so nothing waits
    /// for a controller that will not come back. Returns whether it acted.
    pub fn shut_down(&self) -> bool {
        if !self.disable(Disable::Shutdown) {
            return false;
        }
        // No removal is queued, as `fail_io` does: the system is going
        // down, and a removal would notify the controller a second time.
        if let Some(transport) = self.transport.lock().as_ref() {
            transport.fail_held();
        }
        true
    }

    /// Gives up on a controller [`Self::disable`]d that is not coming back
    /// (PCIe error recovery did not finish): the requests held back fail,
    /// and so does every later one, and the controller is removed. Returns
    /// whether it acted: not where the controller was brought back, or is
    /// being deleted, meanwhile.
    pub fn give_up_held(&self) -> bool {
        // Under the admin lock, so a restart racing this comes wholly
        // before or after it.
        let _admin = self.admin.lock();
        let transport = self.transport.lock();
        let Some(transport) = transport.as_ref() else {
            return false;
        };
        if self.state.get() != State::Resetting {
            return false;
        }
        transport.fail_held();
        transport.remove_dead();
        true
    }

    /// Fails all I/O for good: the device is gone (C `nvme_remove_dead_ctrl`).
    /// Returns `false` if teardown has begun and took the means away.
    pub fn fail_io(&self) -> bool {
        let transport = self.transport.lock();
        let Some(transport) = transport.as_ref() else {
            return false;
        };
        transport.fail_io();
        transport.remove_dead();
        true
    }

    /// Sends an Abort for command `cid` on submission queue `sqid`; returns
    /// whether the controller aborted it. An Abort that itself times out
    /// or fails is an error.
    pub fn abort_command(&self, sqid: u16, cid: u16) -> Result<bool> {
        // A controller held disabled (sleep, function reset) would only
        // let the Abort time out.
        if self.state.get() != State::Live {
            return Err(EBUSY);
        }
        // Without the admin lock, so no user command holds it up; a reset
        // meanwhile holds it back (the admin queue quiesced) and the
        // controller then finds nothing to abort.
        let admin = self.admin_queue()?;
        let cqe = admin.execute(Command::abort(sqid, cid), 0)?;
        if !cqe.status().is_success() {
            return Err(EIO);
        }
        Ok(abort_succeeded(cqe.result))
    }

    /// Whether the controller was last told to use a Host Memory Buffer.
    pub fn host_memory_enabled(&self) -> bool {
        self.host_memory_enabled.load(Ordering::Acquire)
    }

    /// Records what the controller was last told about its Host Memory
    /// Buffer; the transport calls it after each Set Features that
    /// succeeded.
    pub fn set_host_memory_enabled(&self, enabled: bool) {
        self.host_memory_enabled.store(enabled, Ordering::Release);
    }

    /// Sysfs `hmb` written: turns the Host Memory Buffer on or off
    /// through the transport, holding off resets and user admin commands
    /// meanwhile. `EBUSY` where the controller is not live (being reset,
    /// or held for sleep, it would not answer), `ENODEV` once teardown
    /// has begun.
    pub fn set_host_memory(&self, enable: bool) -> Result {
        let admin = self.admin.lock();
        if admin.is_none() {
            return Err(ENODEV);
        }
        if self.state.get() != State::Live {
            return Err(EBUSY);
        }
        let transport = self.transport.lock();
        transport.as_ref().ok_or(ENODEV)?.set_host_memory(enable)
    }

    /// Configures Autonomous Power State Transitions as the module
    /// parameters, the quirks and the latency tolerance say, at probe and
    /// after every reset.
    fn configure_apst(&self, admin: &dyn AdminQueue) -> Result {
        let params = ApstParams {
            max_latency_us: self.ps_max_latency_us.load(Ordering::Relaxed),
            ..self.apst
        };
        let enabled = configure_apst(
            admin,
            &self.dev,
            Name(self.instance),
            &self.id,
            self.quirks(),
            &params,
        )?;
        self.apst_enabled.store(enabled, Ordering::Relaxed);
        Ok(())
    }

    /// Whether APST is on for the controller, as the last bring-up found:
    /// only then is its latency tolerance shown in sysfs.
    pub fn apst_enabled(&self) -> bool {
        self.apst_enabled.load(Ordering::Relaxed)
    }

    /// The PM QoS latency tolerance of the controller node is now
    /// `tolerance_us` (C `nvme_set_latency_tolerance`): a changed limit is
    /// sent at once to a live controller, and by every later bring-up. The
    /// outcome is not reported, as in C. Called under the PM QoS lock,
    /// which nothing holding the admin lock takes.
    pub fn set_latency_tolerance(&self, tolerance_us: i32) {
        let latency = ps_max_latency_us(tolerance_us);
        if self.ps_max_latency_us.swap(latency, Ordering::Relaxed) != latency
            && self.state.get() == State::Live
        {
            let _ = self.with_admin_live(|admin| self.configure_apst(admin));
        }
    }

    /// What a transport's reset does once the controller is enabled again
    /// on `admin` (C `nvme_init_ctrl_finish`): identifies it again, and
    /// configures APST and the host behavior again.
    pub fn reinit(&self, admin: &dyn AdminQueue) -> Result {
        self.reidentify(admin)?;
        self.configure(admin)
    }

    /// What every bring-up sends once the controller is identified, in C's
    /// order (`nvme_init_ctrl_finish`): APST, then Host Behavior Support.
    pub fn configure(&self, admin: &dyn AdminQueue) -> Result {
        self.configure_apst(admin)?;
        configure_host_behavior(admin, &self.id)
    }

    /// Reads Identify Controller again, as C's `nvme_init_identify` does
    /// after a reset: another controller answering at this address fails
    /// the reset; new firmware is recorded (sysfs `firmware_rev`); other
    /// changes are reported, as the queues and disks keep what probe set up.
    fn reidentify(&self, admin: &dyn AdminQueue) -> Result {
        let dev = &*self.dev;
        let mut buf = KVec::from_elem(0u8, IDENTIFY_DATA_SIZE, GFP_KERNEL)?;
        admin.execute_read(Command::identify(IdentifyCns::Controller, 0), &mut buf)?;
        let now = IdentifyController::parse(&buf).map_err(|_| EINVAL)?;
        let mut before = self.id;
        before.firmware = self.firmware();
        let changes = now.changes_since(&before);
        if changes.another_controller {
            dev_err!(
                dev,
                "nvme{}: another controller answered after the reset: model \"{}\", serial \"{}\"\n",
                self.instance,
                now.model.trimmed(),
                now.serial.trimmed()
            );
            return Err(ENODEV);
        }
        if changes.firmware {
            dev_info!(
                dev,
                "nvme{}: firmware revision now \"{}\" (was \"{}\")\n",
                self.instance,
                now.firmware.trimmed(),
                before.firmware.trimmed()
            );
            self.set_firmware(now.firmware);
        }
        if changes.capabilities {
            dev_warn!(
                dev,
                "nvme{}: controller capabilities changed; reload the driver for them to take effect\n",
                self.instance
            );
        }
        Ok(())
    }

    /// `NVME_IOCTL_RESCAN`: adds and removes disks as the active
    /// namespace list has changed, and waits for that.
    pub fn rescan(&self) -> Result<i32> {
        self.scan_namespaces()?;
        Ok(0)
    }
}
