// SPDX-License-Identifier: GPL-2.0

//! User passthrough commands, as C's `drivers/nvme/host/ioctl.c`: the
//! checks and permission decision, then execution on a namespace's I/O
//! queues (user memory mapped straight into the request) or on the admin
//! queue (through a bounce buffer, the admin queue not being a blk-mq queue).

use super::admin_queue;
use super::namespaces::NamespaceSet;
use super::removal::Removal;
use super::request::NvmeOps;
use crate::kernel_ext::block::disk::DiskIoctl;
use crate::kernel_ext::block::passthrough::{QueueRef, UserRequest};
use crate::kernel_ext::chrdev::capable_sys_admin;
use crate::kernel_ext::dma::CoherentAllocation;
use crate::kernel_ext::pci;
use crate::kernel_ext::uring::{IssueFlags, Queued, UringCmd};
use crate::kernel_ext::user_iter::{Direction, UserIter};
use crate::nvme_core::admin::AdminError;
use crate::nvme_core::identify::{identify_namespaces, NamespaceScan};
use crate::nvme_core::instance::Name;
use crate::nvme_core::state::CtrlState;
use crate::nvme_core::transport::ControllerReset;
use crate::spec::command::{abort_succeeded, Command, IDENTIFY_DATA_SIZE};
use crate::spec::completion::Completion;
use crate::spec::ctrl_state::State;
use crate::spec::effects::{Effects, Handling};
use crate::spec::format::Format;
use crate::spec::identify::{AsciiField, IdentifyController};
use crate::spec::passthru::{Invalid, Ioctl, PassthruCmd};
use crate::spec::permission::{Decision, Passthrough};
use crate::spec::prp::{walk_prps, Segment};
use crate::{dev_info, dev_warn};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::ARef;

/// Host page size the bounce buffers are described in.
const PAGE: u32 = 4096;

/// What the controller's nodes share: the admin queue for as long as the
/// controller is bound, and what the permission check and sysfs need.
#[pin_data]
pub struct CtrlShared {
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
    /// The PCI device, for bounce buffers and sysfs.
    pub pdev: ARef<pci::Device>,
    /// Effects of each opcode, for the permission check and for what a
    /// passthrough command needs around it.
    effects: KBox<Effects>,
    /// A command said the controller's capabilities changed (logged once).
    capabilities_changed: AtomicBool,
    /// Largest admin transfer in bytes.
    max_admin_bytes: u32,
    /// The disks and generic nodes, once probe made them and until
    /// teardown starts.
    #[pin]
    namespaces: Mutex<Option<Arc<NamespaceSet>>>,
    /// The admin queue, `None` once the controller is going away. Held for
    /// the whole of a user's admin command, so teardown waits for it.
    #[pin]
    admin: Mutex<Option<Arc<admin_queue::Queue>>>,
    /// What a reset needs, once probe is done and until teardown starts.
    #[pin]
    resetter: Mutex<Option<Arc<dyn ControllerReset>>>,
    /// Resets attempted so far, so that timeouts racing each other reset
    /// the controller once, not once each.
    resets: AtomicU32,
    /// Unbinds the driver once the controller is given up on.
    removal: Arc<Removal>,
}

/// The admin lock held: user admin commands and resets wait.
type AdminGuard<'a> = kernel::sync::lock::Guard<
    'a,
    Option<Arc<admin_queue::Queue>>,
    kernel::sync::lock::mutex::MutexBackend,
>;

/// What a namespace's nodes share.
pub struct NsShared {
    /// The controller's shared state.
    pub ctrl: Arc<CtrlShared>,
    /// Namespace ID.
    pub nsid: u32,
    /// The namespace's [`Format`], packed by [`Format::to_bits`]; changes,
    /// with the disk's queue frozen, when the namespace is reformatted.
    format: AtomicU32,
    /// The disk's request queue; fails new requests once the disk is gone.
    queue: QueueRef<NvmeOps>,
}

fn invalid(_: Invalid) -> Error {
    EINVAL
}

fn admin_error(err: AdminError) -> Error {
    match err {
        // A command that never completed: C resets the controller and the
        // caller sees EINTR.
        AdminError::Timeout => EINTR,
        other => other.into(),
    }
}

/// The caller's status and result of a completion: the status field
/// without its phase tag, as C's `nvme_req()->status`.
fn outcome(cqe: &Completion) -> (i32, u64) {
    (
        i32::from(cqe.status_field >> 1),
        u64::from(cqe.result_hi) << 32 | u64::from(cqe.result),
    )
}

/// Whether the caller may send `check`: calls `capable` only when the
/// decision depends on it, as C does (so denials are audited once).
fn permitted(check: Passthrough) -> Result {
    match check.decide() {
        Decision::Allowed => Ok(()),
        Decision::NeedsCapSysAdmin if capable_sys_admin() => Ok(()),
        _ => Err(EACCES),
    }
}

impl CtrlShared {
    /// The shared state of a controller whose admin queue is `admin`.
    pub fn new(
        instance: u32,
        id: IdentifyController,
        scan: NamespaceScan,
        pdev: ARef<pci::Device>,
        effects: Effects,
        max_admin_bytes: u32,
        admin: Arc<admin_queue::Queue>,
    ) -> Result<Arc<Self>> {
        let effects = KBox::new(effects, GFP_KERNEL)?;
        let removal = Removal::new(pdev.clone(), instance)?;
        Arc::pin_init(
            try_pin_init!(CtrlShared {
                instance,
                id,
                scan,
                state: CtrlState::new(),
                firmware <- new_mutex!(id.firmware),
                pdev,
                effects,
                capabilities_changed: AtomicBool::new(false),
                max_admin_bytes,
                namespaces <- new_mutex!(None),
                admin <- new_mutex!(Some(admin)),
                resetter <- new_mutex!(None),
                resets: AtomicU32::new(0),
                removal,
            }? Error),
            GFP_KERNEL,
        )
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
        drop(self.resetter.lock().take());
        drop(self.namespaces.lock().take());
        drop(admin.take());
    }

    /// The firmware revision the controller reports now.
    pub fn firmware(&self) -> AsciiField<8> {
        *self.firmware.lock()
    }

    /// Records a new firmware revision, read after a reset.
    pub fn set_firmware(&self, firmware: AsciiField<8>) {
        *self.firmware.lock() = firmware;
    }

    /// Makes runtime namespace scans possible, once probe added the disks.
    pub fn set_namespaces(&self, namespaces: Arc<NamespaceSet>) {
        let admin = self.admin.lock();
        // Not after teardown has started.
        if admin.is_some() {
            *self.namespaces.lock() = Some(namespaces);
        }
    }

    /// Runs `f` on the admin queue, holding off teardown meanwhile; `ENODEV`
    /// once teardown has begun.
    pub fn with_admin<R>(&self, f: impl FnOnce(&admin_queue::Queue) -> Result<R>) -> Result<R> {
        let admin = self.admin.lock();
        f(admin.as_ref().ok_or(ENODEV)?)
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
        let result = set.rescan(|| {
            self.with_admin(|admin| {
                let mut buf = KVec::from_elem(0u8, IDENTIFY_DATA_SIZE, GFP_KERNEL)?;
                identify_namespaces(
                    admin,
                    self.pdev.as_dev(),
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
    fn with_effects<R>(&self, effects: u32, run: impl FnOnce() -> Result<R>) -> Result<R> {
        let handling = Handling::of(effects);
        let frozen = if handling.freeze {
            self.namespaces.lock().clone()
        } else {
            None
        };
        let result = match frozen {
            Some(set) => set.while_frozen(run)?,
            None => run(),
        };
        if handling.capabilities_changed && !self.capabilities_changed.swap(true, Ordering::Relaxed)
        {
            dev_info!(
                self.pdev.as_dev(),
                "nvme{}: controller capabilities changed; reload the driver for them to take effect\n",
                self.instance
            );
        }
        if handling.rescan {
            if let Err(err) = self.scan_namespaces() {
                dev_warn!(
                    self.pdev.as_dev(),
                    "nvme{}: namespace rescan failed: {:?}\n",
                    self.instance,
                    err
                );
            }
        }
        result
    }

    /// Makes resets possible, once the controller is fully set up.
    pub fn set_resetter(&self, resetter: Arc<dyn ControllerReset>) {
        let admin = self.admin.lock();
        // Not after teardown has started.
        if admin.is_some() {
            *self.resetter.lock() = Some(resetter);
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
    fn reset_since_locked(&self, _admin: &AdminGuard<'_>, resets: u32) -> Result {
        let resetter = self.resetter.lock();
        let resetter = resetter.as_ref().ok_or(ENODEV)?;
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
                // Resets run under the admin lock, one at a time: from any
                // state but live, the controller is going or gone.
                return Err(ENODEV);
            }
            // A failed reset failed all I/O; the controller goes too.
            resetter.reset().inspect_err(|_| self.removal.schedule())?;
        }
        Ok(())
    }

    /// Fails all I/O for good: the device is gone (C `nvme_remove_dead_ctrl`).
    /// Returns `false` if teardown has begun and took the means away.
    pub fn fail_io(&self) -> bool {
        let resetter = self.resetter.lock();
        let failed = resetter.as_ref().map(|r| r.fail_io()).is_some();
        if failed {
            self.removal.schedule();
        }
        failed
    }

    /// Sends an Abort for command `cid` on submission queue `sqid`; returns
    /// whether the controller aborted it. An Abort that itself times out
    /// or fails is an error.
    pub fn abort_command(&self, sqid: u16, cid: u16) -> Result<bool> {
        let admin = self.admin.lock();
        let admin = admin.as_ref().ok_or(ENODEV)?;
        let cqe = admin.execute(Command::abort(sqid, cid), 0)?;
        if !cqe.status().is_success() {
            return Err(EIO);
        }
        Ok(abort_succeeded(cqe.result))
    }

    /// `NVME_IOCTL_RESCAN`: adds and removes disks as the active
    /// namespace list has changed, and waits for that.
    pub fn rescan(&self) -> Result<i32> {
        self.scan_namespaces()?;
        Ok(0)
    }

    /// Checks a user's admin command, or an I/O command sent through the
    /// controller node, and runs it on the admin queue.
    fn admin_command(
        &self,
        user: &PassthruCmd,
        open_for_write: bool,
        vectored: bool,
        fixed_from: Option<&UringCmd>,
    ) -> Result<(i32, u64)> {
        user.validate(None).map_err(invalid)?;
        let cmd = user.command();
        permitted(Passthrough {
            on_namespace: false,
            on_partition: false,
            opcode: cmd.opcode(),
            cdw10_low: user.cdw10_15[0] as u8,
            effects: 0,
            open_for_write,
            fabrics: false,
        })?;
        // Copied in now and out at the end, with no lock held and no queue
        // frozen: touching user memory may fault, and the fault's I/O may
        // need this controller (a timeout's recovery takes the admin lock).
        let mut data = if user.has_data() {
            let dir = if cmd.is_write() {
                Direction::FromUser
            } else {
                Direction::ToUser
            };
            let user_data = UserIter::new(user.addr, user.data_len, vectored, dir, fixed_from)?;
            Some(StagedData::copy_in(
                &self.pdev,
                self.max_admin_bytes,
                user_data,
                cmd.is_write(),
            )?)
        } else {
            None
        };
        let outcome = self.with_effects(self.effects.admin(cmd.opcode()), || {
            self.run_admin(cmd, data.as_mut(), user.timeout_ms)
        })?;
        if let Some(data) = data {
            data.copy_out()?;
        }
        Ok(outcome)
    }

    /// Runs `cmd` on the admin queue with `data` in its bounce buffer.
    fn run_admin(
        &self,
        cmd: Command,
        data: Option<&mut StagedData>,
        timeout_ms: u32,
    ) -> Result<(i32, u64)> {
        let resets = self.resets();
        let guard = self.admin.lock();
        let admin = guard.as_ref().ok_or(ENODEV)?;
        let Some(data) = data else {
            let result = admin.execute(cmd, timeout_ms);
            self.reset_if_timed_out(&guard, &result, cmd, resets);
            return result.map(|c| outcome(&c)).map_err(admin_error);
        };
        let result = admin.execute(data.bounce.point(cmd)?, timeout_ms);
        // Before the bounce buffer goes: the controller may still write to
        // it until the reset disables it.
        self.reset_if_timed_out(&guard, &result, cmd, resets);
        let cqe = result.map_err(admin_error)?;
        data.collect()?;
        Ok(outcome(&cqe))
    }

    /// An admin command that never completed leaves the admin queue in
    /// doubt: reset the controller, as C does, unless a reset came since.
    fn reset_if_timed_out(
        &self,
        admin: &AdminGuard<'_>,
        result: &Result<Completion, AdminError>,
        cmd: Command,
        resets: u32,
    ) {
        if !matches!(result, Err(AdminError::Timeout)) {
            return;
        }
        dev_warn!(
            self.pdev.as_dev(),
            "nvme{}: admin command {:#04x} timed out; resetting controller\n",
            self.instance,
            cmd.opcode()
        );
        let _ = self.reset_since_locked(admin, resets);
    }

    /// An admin passthrough ioctl (`ioctl` is `AdminCmd` or `Admin64Cmd`)
    /// on the controller node, or on a namespace node.
    pub fn ioctl_admin(&self, arg: usize, ioctl: Ioctl, open_for_write: bool) -> Result<i32> {
        let user = read_user_struct(arg, ioctl)?;
        let (status, result) = self.admin_command(&user, open_for_write, false, None)?;
        write_result(arg, ioctl, result)?;
        Ok(status)
    }

    /// `NVME_URING_CMD_ADMIN(_VEC)`. It may block, so a non-blocking issue
    /// is sent back to io_uring's workers (`EAGAIN`).
    pub fn uring_admin(&self, cmd: UringCmd, flags: IssueFlags, vectored: bool) -> Result<Queued> {
        if flags.nonblocking() {
            return Err(EAGAIN);
        }
        let user = PassthruCmd::parse(&cmd.sqe_cmd()).map_err(invalid)?;
        let (status, result) =
            self.admin_command(&user, cmd.is_writable(), vectored, Some(&cmd))?;
        Ok(cmd.done(status, result, flags))
    }
}

impl NsShared {
    /// The shared state of namespace `nsid` whose disk's queue is `queue`.
    pub fn new(ctrl: Arc<CtrlShared>, nsid: u32, format: Format, queue: QueueRef<NvmeOps>) -> Self {
        NsShared {
            ctrl,
            nsid,
            format: AtomicU32::new(format.to_bits()),
            queue,
        }
    }

    /// Records the namespace's new format, once reformatted.
    pub fn set_format(&self, format: Format) {
        self.format.store(format.to_bits(), Ordering::Relaxed);
    }

    /// The namespace's format. As in C, a reformat (which takes
    /// `CAP_SYS_ADMIN`) may come between reading it and the command
    /// reaching the controller.
    fn format(&self) -> Format {
        Format::from_bits(self.format.load(Ordering::Relaxed))
    }

    /// An ioctl on a namespace node, or on a partition of its disk: C's
    /// `nvme_ns_chr_ioctl` and `nvme_ioctl`.
    pub fn ioctl(&self, writable: bool, partition: bool, cmd: u32, arg: usize) -> Result<i32> {
        let ioctl = Ioctl::from_number(cmd).ok_or(ENOTTY)?;
        match ioctl {
            Ioctl::Id => Ok(self.nsid as i32),
            Ioctl::AdminCmd | Ioctl::Admin64Cmd => self.ctrl.ioctl_admin(arg, ioctl, writable),
            // C's 32-bit `nvme_user_cmd` checks permission without the
            // partition flag; the 64-bit ones carry it.
            Ioctl::IoCmd => self.ioctl_io(arg, ioctl, writable, false),
            Ioctl::Io64Cmd { .. } => self.ioctl_io(arg, ioctl, writable, partition),
            Ioctl::SubmitIo => self.ioctl_submit_io(arg, writable, partition),
            Ioctl::Reset | Ioctl::SubsysReset | Ioctl::Rescan => Err(ENOTTY),
        }
    }

    /// Checks a user's I/O command against this namespace and the
    /// permission rules.
    fn check(&self, user: &PassthruCmd, open_for_write: bool, partition: bool) -> Result<Command> {
        user.validate(Some(self.nsid)).map_err(invalid)?;
        user.check_metadata(&self.format()).map_err(invalid)?;
        let cmd = user.command();
        self.permit(&cmd, open_for_write, partition)?;
        Ok(cmd)
    }

    fn permit(&self, cmd: &Command, open_for_write: bool, partition: bool) -> Result {
        permitted(Passthrough {
            on_namespace: true,
            on_partition: partition,
            opcode: cmd.opcode(),
            cdw10_low: cmd.dword(10) as u8,
            effects: self.ctrl.effects.io(cmd.opcode()),
            open_for_write,
            fabrics: false,
        })
    }

    /// Runs `cmd` with `len` bytes at `addr` (or `len` iovecs) and waits.
    fn run_io(
        &self,
        cmd: Command,
        addr: u64,
        len: u32,
        vectored: bool,
        timeout_ms: u32,
    ) -> Result<(i32, u64)> {
        let data = UserData {
            addr,
            len,
            vectored,
        };
        let rq = self.user_request(cmd, data, timeout_ms, None, None)?;
        self.ctrl
            .with_effects(self.ctrl.effects.io(cmd.opcode()), || Ok(rq.execute()))
    }

    /// A request carrying `cmd` with `data` mapped (C's
    /// `nvme_alloc_user_request` and `nvme_map_user_request`). For an
    /// io_uring command (`uring`), its issue flags decide whether to wait
    /// for a tag and whether to poll, and `fixed_from` may hold the
    /// registered buffer.
    fn user_request(
        &self,
        cmd: Command,
        data: UserData,
        timeout_ms: u32,
        uring: Option<IssueFlags>,
        fixed_from: Option<&UringCmd>,
    ) -> Result<UserRequest<NvmeOps>> {
        let (nowait, polled) = uring.map_or((false, false), |f| (f.nonblocking(), f.iopoll()));
        let mut rq = self
            .queue
            .alloc(cmd.is_write(), nowait, polled, uring.is_some())?;
        rq.private_mut().set_user_command(cmd);
        rq.set_timeout_ms(timeout_ms);
        // C maps a buffer only when both are non-zero.
        if data.addr != 0 && data.len != 0 {
            rq.map_user(data.addr, data.len, data.vectored, fixed_from)?;
        }
        Ok(rq)
    }

    /// `NVME_IOCTL_IO_CMD` and `NVME_IOCTL_IO64_CMD(_VEC)`.
    fn ioctl_io(
        &self,
        arg: usize,
        ioctl: Ioctl,
        open_for_write: bool,
        partition: bool,
    ) -> Result<i32> {
        let vectored = matches!(ioctl, Ioctl::Io64Cmd { vectored: true });
        let user = read_user_struct(arg, ioctl)?;
        let cmd = self.check(&user, open_for_write, partition)?;
        let (status, result) =
            self.run_io(cmd, user.addr, user.data_len, vectored, user.timeout_ms)?;
        write_result(arg, ioctl, result)?;
        Ok(status)
    }

    /// `NVME_IOCTL_SUBMIT_IO`: a read, write or compare of whole blocks.
    fn ioctl_submit_io(&self, arg: usize, open_for_write: bool, partition: bool) -> Result<i32> {
        use crate::spec::passthru::{UserIo, USER_IO_SIZE};
        let mut raw = [0u8; USER_IO_SIZE];
        kernel::uaccess::UserSlice::new(arg, USER_IO_SIZE)
            .reader()
            .read_slice(&mut raw)?;
        let io = UserIo::parse(&raw).map_err(invalid)?;
        io.validate().map_err(invalid)?;
        let cmd = io.command(self.nsid);
        self.permit(&cmd, open_for_write, partition)?;
        let len = io.transfer_len(&self.format()).map_err(invalid)?;
        let len = u32::try_from(len).map_err(|_| EINVAL)?;
        self.run_io(cmd, io.addr, len, false, 0)
            .map(|(status, _)| status)
    }

    /// `NVME_URING_CMD_IO(_VEC)`: queued, completing through io_uring.
    pub fn uring_io(&self, cmd: UringCmd, flags: IssueFlags, vectored: bool) -> Result<Queued> {
        let user = PassthruCmd::parse(&cmd.sqe_cmd()).map_err(invalid)?;
        let nvme_cmd = self.check(&user, cmd.is_writable(), false)?;
        let data = UserData {
            addr: user.addr,
            len: user.data_len,
            vectored,
        };
        let rq = self.user_request(nvme_cmd, data, user.timeout_ms, Some(flags), Some(&cmd))?;
        Ok(rq.execute_uring(cmd))
    }
}

impl DiskIoctl for NsShared {
    fn ioctl(&self, writable: bool, partition: bool, cmd: u32, arg: usize) -> Result<i32> {
        NsShared::ioctl(self, writable, partition, cmd, arg)
    }
}

/// Where a user command's data is: `len` bytes at `addr`, or with
/// `vectored` an array of `len` iovecs there.
struct UserData {
    addr: u64,
    len: u32,
    vectored: bool,
}

/// Reads the passthrough structure `ioctl` takes from user address `arg`.
fn read_user_struct(arg: usize, ioctl: Ioctl) -> Result<PassthruCmd> {
    let size = ioctl.arg_size();
    let mut raw = [0u8; crate::spec::passthru::PASSTHRU_CMD64_SIZE];
    let raw = raw.get_mut(..size).ok_or(EINVAL)?;
    kernel::uaccess::UserSlice::new(arg, size)
        .reader()
        .read_slice(raw)?;
    PassthruCmd::parse(raw).map_err(invalid)
}

/// Writes the command's result back into the user's structure, where and
/// as wide as `ioctl`'s structure has it.
fn write_result(arg: usize, ioctl: Ioctl, result: u64) -> Result {
    let (at, bytes) = ioctl.result_field().ok_or(EINVAL)?;
    kernel::uaccess::UserSlice::new(arg + at, bytes)
        .writer()
        .write_slice(&result.to_le_bytes()[..bytes])
}

/// A physically contiguous DMA buffer for an admin command's data, and the
/// PRP list page it needs beyond two pages.
/// A user's admin command data between user memory and the bounce buffer
/// the controller reads or writes: copied from the user before the command
/// is sent, to the user after, with no lock held either time (C pins the
/// user's pages before it freezes the queues).
struct StagedData {
    user: UserIter,
    staging: KVec<u8>,
    bounce: BounceBuffer,
    to_device: bool,
}

impl StagedData {
    /// Stages `user`'s data, at most `max` bytes, for a command that moves
    /// it `to_device` or from it, copying it in for the former.
    fn copy_in(pdev: &pci::Device, max: u32, mut user: UserIter, to_device: bool) -> Result<Self> {
        let len = user.len();
        if len == 0 || len > max as usize {
            return Err(EINVAL);
        }
        let bounce = BounceBuffer::new(pdev, len)?;
        let mut staging = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        if to_device {
            user.read_into(&mut staging)?;
            bounce.data.write_bytes(0, &staging)?;
        }
        Ok(StagedData {
            user,
            staging,
            bounce,
            to_device,
        })
    }

    /// Takes what the controller wrote into the bounce buffer, for
    /// [`Self::copy_out`]; kernel memory only, so safe under the lock.
    fn collect(&mut self) -> Result {
        if !self.to_device {
            self.bounce.data.read_bytes(0, &mut self.staging)?;
        }
        Ok(())
    }

    /// Gives the user what [`Self::collect`] took.
    fn copy_out(mut self) -> Result {
        if !self.to_device {
            self.user.write_from(&self.staging)?;
        }
        Ok(())
    }
}

struct BounceBuffer {
    data: CoherentAllocation,
    list: Option<CoherentAllocation>,
    len: usize,
}

impl BounceBuffer {
    fn new(pdev: &pci::Device, len: usize) -> Result<Self> {
        let data = CoherentAllocation::alloc(pdev.as_dev(), len.next_multiple_of(PAGE as usize))?;
        let list = if len > 2 * PAGE as usize {
            Some(CoherentAllocation::alloc(pdev.as_dev(), PAGE as usize)?)
        } else {
            None
        };
        Ok(BounceBuffer { data, list, len })
    }

    /// `cmd` pointing at the buffer with PRPs.
    fn point(&self, cmd: Command) -> Result<Command> {
        let segment = Segment {
            addr: self.data.dma_handle(),
            len: self.len as u32,
        };
        let mut status = Ok(());
        let walk = walk_prps(core::iter::once(segment), PAGE, |i, addr| {
            if let Some(list) = &self.list {
                if status.is_ok() {
                    status = list.write_bytes(i * 8, &addr.to_le_bytes());
                }
            }
        })
        .map_err(|_| EINVAL)?;
        status?;
        let capacity = self.list.as_ref().map_or(0, |l| l.size() / 8);
        let prps = walk.prps(capacity).map_err(|_| EINVAL)?;
        let list_addr = self.list.as_ref().map_or(0, |l| l.dma_handle());
        Ok(cmd
            .with_prp1(prps.prp1)
            .with_prp2(prps.prp2_value(list_addr)))
    }
}
