// SPDX-License-Identifier: GPL-2.0

//! User passthrough commands, as C's `drivers/nvme/host/ioctl.c`: the
//! checks and permission decision, then execution on a namespace's I/O
//! queues (user memory mapped straight into the request) or on the admin
//! queue (through a bounce buffer, copied in before and out after), both
//! waited for by an ioctl and completed through io_uring for an io_uring
//! command.

use super::admin::{AdminError, AfterUserCommand};
use super::ctrl::{Ctrl, Single};
use super::transport::IoOps;
use crate::dev_warn;
use crate::kernel_ext::block::disk::DiskIoctl;
use crate::kernel_ext::block::integrity;
use crate::kernel_ext::block::passthrough::{QueueRef, UserRequest};
use crate::kernel_ext::block::zoned::{DiskZones, ZoneSink};
use crate::kernel_ext::capability::capable_sys_admin;
use crate::kernel_ext::device::Device;
use crate::kernel_ext::dma::CoherentAllocation;
use crate::kernel_ext::uring::{IssueFlags, Queued, UringCmd};
use crate::kernel_ext::user_iter::{Direction, UserIter};
use crate::spec::command::Command;
use crate::spec::completion::Completion;
use crate::spec::effects::{Effects, Handling};
use crate::spec::format::Format;
use crate::spec::passthru::{Invalid, Ioctl, PassthruCmd};
use crate::spec::permission::{Decision, Passthrough};
use crate::spec::prp::{prp_list_entries, walk_prps, PrpChain, Segment};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::alloc::KVVec;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Host page size the bounce buffers are described in.
const PAGE: u32 = 4096;

/// A namespace's passthrough commands as its generic node reaches them,
/// whatever the transport's requests are (C's `nvme_ns_chr_fops`).
pub trait NsCommands: Send + Sync {
    /// An ioctl on the generic node or the disk; see [`NsShared::ioctl`].
    fn ioctl(&self, writable: bool, partition: bool, cmd: u32, arg: usize) -> Result<i32>;

    /// `NVME_URING_CMD_IO(_VEC)`; see [`NsShared::uring_io`].
    fn uring_io(&self, cmd: UringCmd, flags: IssueFlags, vectored: bool) -> Result<Queued>;
}

/// What a namespace's nodes share, on a transport whose blk-mq
/// operations are `O`.
pub struct NsShared<O: IoOps> {
    /// The controller.
    pub ctrl: Arc<Ctrl>,
    /// Namespace ID.
    pub nsid: u32,
    /// The namespace's [`Format`], packed by [`Format::to_bits`]; changes,
    /// with the disk's queue frozen, when the namespace is reformatted.
    format: AtomicU32,
    /// The disk's request queue; fails new requests once the disk is gone.
    queue: QueueRef<O>,
    /// Its command set's effects where that is not NVM (C
    /// `head->effects`); the controller's otherwise.
    set_effects: Option<Arc<Effects>>,
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

impl Ctrl {
    /// Checks a user's admin command, or an I/O command sent through the
    /// controller node, and runs it on the admin queue.
    fn admin_command(
        &self,
        user: &PassthruCmd,
        open_for_write: bool,
        vectored: bool,
        fixed_from: Option<&UringCmd>,
    ) -> Result<(i32, u64)> {
        let cmd = self.check_admin(user, open_for_write)?;
        // Copied in now and out at the end, with no lock held and no queue
        // frozen: touching user memory may fault, and the fault's I/O may
        // need this controller (a timeout's recovery takes the admin lock).
        let mut data = self.stage(user, cmd, vectored, fixed_from)?;
        let outcome = self.with_effects(self.effects.admin(cmd.opcode()), || {
            self.run_admin(cmd, data.as_mut(), user.timeout_ms)
        })?;
        if let Some(data) = data {
            data.copy_out()?;
        }
        Ok(outcome)
    }

    /// The checks and permission rules of a user's command for the admin
    /// queue; the command they pass.
    fn check_admin(&self, user: &PassthruCmd, open_for_write: bool) -> Result<Command> {
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
        Ok(cmd)
    }

    /// The user's data for `cmd` in a bounce buffer (copied in for a
    /// write), if it moves any.
    fn stage(
        &self,
        user: &PassthruCmd,
        cmd: Command,
        vectored: bool,
        fixed_from: Option<&UringCmd>,
    ) -> Result<Option<StagedData>> {
        if !user.has_data() {
            return Ok(None);
        }
        let dir = if cmd.is_write() {
            Direction::FromUser
        } else {
            Direction::ToUser
        };
        let user_data = UserIter::new(user.addr, user.data_len, vectored, dir, fixed_from)?;
        Ok(Some(StagedData::copy_in(
            &self.dev,
            self.max_admin_bytes,
            user_data,
            cmd.is_write(),
        )?))
    }

    /// Runs `cmd` on the admin queue with `data` in its bounce buffer.
    fn run_admin(
        &self,
        cmd: Command,
        data: Option<&mut StagedData>,
        timeout_ms: u32,
    ) -> Result<(i32, u64)> {
        let resets = self.resets();
        // Without the admin lock: commands run side by side on the admin
        // queue, and a slow one holds up no Abort, event work or reset.
        let admin = self.admin_queue()?;
        let Some(data) = data else {
            let result = admin.execute(cmd, timeout_ms);
            self.reset_if_timed_out(&result, cmd, resets);
            return result.map(|c| outcome(&c)).map_err(admin_error);
        };
        let result = admin.execute(data.bounce.point(cmd)?, timeout_ms);
        // Before the bounce buffer goes: the controller may still write to
        // it until the reset disables it.
        self.reset_if_timed_out(&result, cmd, resets);
        let cqe = result.map_err(admin_error)?;
        data.collect()?;
        Ok(outcome(&cqe))
    }

    /// An admin command that never completed leaves the admin queue in
    /// doubt: reset the controller, as C does, unless a reset came since.
    fn reset_if_timed_out(
        &self,
        result: &Result<Completion, AdminError>,
        cmd: Command,
        resets: u32,
    ) {
        if !matches!(result, Err(AdminError::Timeout)) {
            return;
        }
        dev_warn!(
            &self.dev,
            "nvme{}: admin command {:#04x} timed out; resetting controller\n",
            self.instance,
            cmd.opcode()
        );
        let _ = self.reset_since(resets);
    }

    /// `NVME_IOCTL_IO_CMD` on the controller node, C 6.12's
    /// `nvme_dev_user_cmd`: the command runs on the controller's only
    /// namespace, with that namespace's checks and permission rules;
    /// `ENOTTY` without namespaces, `EINVAL` with several.
    pub fn ioctl_io_single(&self, cmd: u32, arg: usize, open_for_write: bool) -> Result<i32> {
        let Some(set) = self.namespace_set() else {
            return Err(ENOTTY);
        };
        let mut warn_deprecated = || {
            dev_warn!(
                &*self.dev,
                "nvme{}: using deprecated NVME_IOCTL_IO_CMD ioctl on the char device!\n",
                self.instance
            );
        };
        match set.single_ioctl(open_for_write, cmd, arg, &mut warn_deprecated) {
            Single::Ran(result) => result,
            Single::None => Err(ENOTTY),
            Single::Several => {
                dev_warn!(
                    &*self.dev,
                    "nvme{}: NVME_IOCTL_IO_CMD not supported when multiple namespaces present!\n",
                    self.instance
                );
                Err(EINVAL)
            }
        }
    }

    /// An admin passthrough ioctl (`ioctl` is `AdminCmd` or `Admin64Cmd`)
    /// on the controller node, or on a namespace node.
    pub fn ioctl_admin(&self, arg: usize, ioctl: Ioctl, open_for_write: bool) -> Result<i32> {
        let user = read_user_struct(arg, ioctl)?;
        let (status, result) = self.admin_command(&user, open_for_write, false, None)?;
        write_result(arg, ioctl, result)?;
        Ok(status)
    }

    /// `NVME_URING_CMD_ADMIN(_VEC)`: queued, completing through io_uring
    /// (C `nvme_uring_cmd_io` on the admin queue). A command whose effects
    /// need the namespaces frozen or rescanned runs as an ioctl does, from
    /// io_uring's worker (a non-blocking issue returns `EAGAIN`).
    pub fn uring_admin(
        ctrl: &Arc<Ctrl>,
        cmd: UringCmd,
        flags: IssueFlags,
        vectored: bool,
    ) -> Result<Queued> {
        let user = PassthruCmd::parse(&cmd.sqe_cmd()).map_err(invalid)?;
        if Handling::of(ctrl.effects.admin(user.command().opcode())).needed() {
            if flags.nonblocking() {
                return Err(EAGAIN);
            }
            let (status, result) =
                ctrl.admin_command(&user, cmd.is_writable(), vectored, Some(&cmd))?;
            return Ok(cmd.done(status, result, flags));
        }
        let nvme_cmd = ctrl.check_admin(&user, cmd.is_writable())?;
        let data = ctrl.stage(&user, nvme_cmd, vectored, Some(&cmd))?;
        let sent = match &data {
            Some(data) => data.bounce.point(nvme_cmd)?,
            None => nvme_cmd,
        };
        let after = Arc::pin_init(
            pin_init!(UringAdminDone {
                ctrl: ctrl.clone(),
                resets: ctrl.resets(),
                cmd: nvme_cmd,
                data <- new_mutex!(data),
            }),
            GFP_KERNEL,
        )?;
        ctrl.admin_queue()?
            .submit_uring(sent, user.timeout_ms, after, cmd, flags)
    }
}

/// What follows a user's io_uring admin command, in the issuer's task.
#[pin_data]
struct UringAdminDone {
    ctrl: Arc<Ctrl>,
    /// The controller's resets when the command was sent.
    resets: u32,
    cmd: Command,
    /// Taken once, when the command has ended.
    #[pin]
    data: Mutex<Option<StagedData>>,
}

impl AfterUserCommand for UringAdminDone {
    fn finish(&self, timed_out: bool) -> Result {
        if timed_out {
            // As an ioctl's: the reset comes before the bounce buffer goes.
            self.ctrl
                .reset_if_timed_out(&Err(AdminError::Timeout), self.cmd, self.resets);
            return Ok(());
        }
        let data = self.data.lock().take();
        match data {
            Some(mut data) => {
                data.collect()?;
                data.copy_out()
            }
            None => Ok(()),
        }
    }
}

impl<O: IoOps> NsShared<O> {
    /// The shared state of namespace `nsid` whose disk's queue is `queue`,
    /// and whose I/O commands have `set_effects` where its command set has
    /// its own log.
    pub fn new(
        ctrl: Arc<Ctrl>,
        nsid: u32,
        format: Format,
        queue: QueueRef<O>,
        set_effects: Option<Arc<Effects>>,
    ) -> Self {
        NsShared {
            ctrl,
            nsid,
            format: AtomicU32::new(format.to_bits()),
            queue,
            set_effects,
        }
    }

    /// The effects of I/O `opcode` on this namespace (C
    /// `nvme_command_effects` with a namespace).
    fn io_effects(&self, opcode: u8) -> u32 {
        match &self.set_effects {
            Some(effects) => effects.io(opcode),
            None => self.ctrl.effects.io(opcode),
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
    /// permission rules. Always inlined: it is on every io_uring command's
    /// path, and out of line the 64-byte command is copied out of it. Plain
    /// `inline` has twice lost it as it grew (the format check, then the
    /// command set's effects), at 50 to 60 instructions a command.
    /// Returns the command and the metadata buffer to map with it.
    #[inline(always)]
    fn check(
        &self,
        user: &PassthruCmd,
        open_for_write: bool,
        partition: bool,
    ) -> Result<(Command, Option<(u64, u32)>)> {
        user.validate(Some(self.nsid)).map_err(invalid)?;
        let metadata = user
            .check_metadata(&self.format(), integrity::SUPPORTED)
            .map_err(invalid)?;
        let cmd = user.command();
        self.permit(&cmd, open_for_write, partition)?;
        Ok((cmd, metadata))
    }

    fn permit(&self, cmd: &Command, open_for_write: bool, partition: bool) -> Result {
        permitted(Passthrough {
            on_namespace: true,
            on_partition: partition,
            opcode: cmd.opcode(),
            cdw10_low: cmd.dword(10) as u8,
            effects: self.io_effects(cmd.opcode()),
            open_for_write,
            fabrics: false,
        })
    }

    /// Runs `cmd` with `data` mapped and waits.
    fn run_io(&self, cmd: Command, data: UserData, timeout_ms: u32) -> Result<(i32, u64)> {
        let rq = self.user_request(cmd, data, timeout_ms, None, None)?;
        self.ctrl
            .with_effects(self.io_effects(cmd.opcode()), || Ok(rq.execute()))
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
    ) -> Result<UserRequest<O>> {
        let (nowait, polled) = uring.map_or((false, false), |f| (f.nonblocking(), f.iopoll()));
        // Metadata buffers need a bio of no bio_set (`UserRequest::map_user`),
        // so not one from the bio cache.
        let bio_cache = uring.is_some() && data.metadata.is_none();
        let mut rq = self
            .queue
            .alloc(cmd.is_write(), nowait, polled, bio_cache)?;
        O::set_user_command(rq.private_mut(), cmd);
        rq.set_timeout_ms(timeout_ms);
        // C maps a buffer only when both are non-zero.
        if data.addr != 0 && data.len != 0 {
            rq.map_user(
                data.addr,
                data.len,
                data.vectored,
                data.metadata,
                fixed_from,
            )?;
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
        let (cmd, metadata) = self.check(&user, open_for_write, partition)?;
        let data = UserData {
            addr: user.addr,
            len: user.data_len,
            vectored,
            metadata,
        };
        let (status, result) = self.run_io(cmd, data, user.timeout_ms)?;
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
        let (len, metadata) = io
            .transfer(&self.format(), integrity::SUPPORTED)
            .map_err(invalid)?;
        let data = UserData {
            addr: io.addr,
            len: u32::try_from(len).map_err(|_| EINVAL)?,
            vectored: false,
            metadata,
        };
        self.run_io(cmd, data, 0).map(|(status, _)| status)
    }

    /// `NVME_URING_CMD_IO(_VEC)`: queued, completing through io_uring.
    pub fn uring_io(&self, cmd: UringCmd, flags: IssueFlags, vectored: bool) -> Result<Queued> {
        let user = PassthruCmd::parse(&cmd.sqe_cmd()).map_err(invalid)?;
        let (nvme_cmd, metadata) = self.check(&user, cmd.is_writable(), false)?;
        let data = UserData {
            addr: user.addr,
            len: user.data_len,
            vectored,
            metadata,
        };
        let rq = self.user_request(nvme_cmd, data, user.timeout_ms, Some(flags), Some(&cmd))?;
        Ok(rq.execute_uring(cmd))
    }
}

impl<O: IoOps> DiskZones for NsShared<O> {
    fn report_zones(&self, sector: u64, nr_zones: u32, sink: &mut ZoneSink) -> Result<u32> {
        super::zoned::report_zones(
            &self.queue,
            &self.ctrl.dev,
            self.nsid,
            self.format().lba_shift,
            sector,
            nr_zones,
            sink,
        )
    }
}

impl<O: IoOps> DiskIoctl for NsShared<O> {
    fn ioctl(&self, writable: bool, partition: bool, cmd: u32, arg: usize) -> Result<i32> {
        NsShared::ioctl(self, writable, partition, cmd, arg)
    }
}

impl<O: IoOps> NsCommands for NsShared<O> {
    fn ioctl(&self, writable: bool, partition: bool, cmd: u32, arg: usize) -> Result<i32> {
        NsShared::ioctl(self, writable, partition, cmd, arg)
    }

    fn uring_io(&self, cmd: UringCmd, flags: IssueFlags, vectored: bool) -> Result<Queued> {
        NsShared::uring_io(self, cmd, flags, vectored)
    }
}

/// Where a user command's data is: `len` bytes at `addr`, or with
/// `vectored` an array of `len` iovecs there; and its metadata buffer,
/// (user address, length), where it has one.
struct UserData {
    addr: u64,
    len: u32,
    vectored: bool,
    metadata: Option<(u64, u32)>,
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

/// A user's admin command data between user memory and the bounce buffer
/// the controller reads or writes: copied from the user before the command
/// is sent, to the user after, with no lock held either time (C pins the
/// user's pages before it freezes the queues).
struct StagedData {
    user: UserIter,
    staging: KVVec<u8>,
    bounce: BounceBuffer,
    to_device: bool,
}

impl StagedData {
    /// Stages `user`'s data, at most `max` bytes, for a command that moves
    /// it `to_device` or from it, copying it in for the former.
    fn copy_in(dev: &Device, max: u32, mut user: UserIter, to_device: bool) -> Result<Self> {
        let len = user.len();
        if len == 0 || len > max as usize {
            return Err(EINVAL);
        }
        let bounce = BounceBuffer::new(dev, len)?;
        let mut staging = KVVec::from_elem(0u8, len, GFP_KERNEL)?;
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

/// A physically contiguous DMA buffer for an admin command's data, and the
/// PRP list pages it needs beyond two pages.
struct BounceBuffer {
    data: CoherentAllocation,
    /// The PRP list's pages, chained where there are several; empty for a
    /// buffer of two pages or less.
    lists: KVec<CoherentAllocation>,
    len: usize,
}

impl BounceBuffer {
    fn new(dev: &Device, len: usize) -> Result<Self> {
        let data = CoherentAllocation::alloc(dev, len.next_multiple_of(PAGE as usize))?;
        let entries = prp_list_entries(0, len as u64, PAGE);
        let pages = if entries > 1 {
            PrpChain::new(entries, PAGE).ok_or(EINVAL)?.pages()
        } else {
            0
        };
        let mut lists = KVec::with_capacity(pages, GFP_KERNEL)?;
        for _ in 0..pages {
            lists.push(CoherentAllocation::alloc(dev, PAGE as usize)?, GFP_KERNEL)?;
        }
        Ok(BounceBuffer { data, lists, len })
    }

    /// `cmd` pointing at the buffer with PRPs.
    fn point(&self, cmd: Command) -> Result<Command> {
        let segment = Segment {
            addr: self.data.dma_handle(),
            len: self.len as u32,
        };
        let entries = prp_list_entries(0, self.len as u64, PAGE);
        let chain = PrpChain::new(entries.max(1), PAGE).ok_or(EINVAL)?;
        let mut status = Ok(());
        let walk = walk_prps(core::iter::once(segment), PAGE, |i, addr| {
            let (page, slot) = chain.position(i);
            if let Some(list) = self.lists.get(page) {
                status = status.and(list.write_bytes(slot * 8, &addr.to_le_bytes()));
            }
        })
        .map_err(|_| EINVAL)?;
        status?;
        for pair in self.lists.windows(2) {
            let next = pair[1].dma_handle().to_le_bytes();
            pair[0].write_bytes(chain.link_slot() * 8, &next)?;
        }
        // Every list entry has its slot: the list is as long as the walk.
        let capacity = if self.lists.is_empty() { 0 } else { entries };
        let prps = walk.prps(capacity).map_err(|_| EINVAL)?;
        let list_addr = self.lists.first().map_or(0, |l| l.dma_handle());
        Ok(cmd
            .with_prp1(prps.prp1)
            .with_prp2(prps.prp2_value(list_addr)))
    }
}
