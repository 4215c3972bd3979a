// SPDX-License-Identifier: GPL-2.0

//! Controller registers (NVMe Base Specification 2.0, section 3.1.4).
//!
//! One newtype per register with a getter per field, so the bring-up code
//! reads like the specification. C header: `srctree/include/linux/nvme.h`.

/// Byte offsets of the controller registers inside BAR0.
pub mod offset {
    /// Controller Capabilities, 64 bits.
    pub const CAP: usize = 0x00;
    /// Version.
    pub const VS: usize = 0x08;
    /// Interrupt Mask Set.
    pub const INTMS: usize = 0x0c;
    /// Interrupt Mask Clear.
    pub const INTMC: usize = 0x10;
    /// Controller Configuration.
    pub const CC: usize = 0x14;
    /// Controller Status.
    pub const CSTS: usize = 0x1c;
    /// NVM Subsystem Reset.
    pub const NSSR: usize = 0x20;
    /// Admin Queue Attributes.
    pub const AQA: usize = 0x24;
    /// Admin Submission Queue base address, 64 bits.
    pub const ASQ: usize = 0x28;
    /// Admin Completion Queue base address, 64 bits.
    pub const ACQ: usize = 0x30;
    /// Controller Memory Buffer Location.
    pub const CMBLOC: usize = 0x38;
    /// Controller Memory Buffer Size.
    pub const CMBSZ: usize = 0x3c;
    /// Controller Memory Buffer Memory Space Control, 64 bits.
    pub const CMBMSC: usize = 0x50;
    /// First doorbell register.
    pub const DOORBELLS: usize = 0x1000;
}

/// Extracts `width` bits of `value` starting at bit `shift`.
const fn bits(value: u64, shift: u32, width: u32) -> u64 {
    (value >> shift) & ((1u64 << width) - 1)
}

/// Controller Capabilities (CAP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap(pub u64);

impl Cap {
    /// Largest queue the controller supports, in entries (MQES is zero-based).
    pub const fn max_queue_entries(self) -> u32 {
        bits(self.0, 0, 16) as u32 + 1
    }

    /// Whether queues must be physically contiguous (CQR).
    pub const fn contiguous_queues_required(self) -> bool {
        bits(self.0, 16, 1) != 0
    }

    /// Worst-case time for `CSTS.RDY` to follow `CC.EN`, in milliseconds
    /// (TO is in 500 ms units).
    pub const fn ready_timeout_ms(self) -> u32 {
        // As the C driver does, allow one unit more than advertised: a
        // controller reporting 0 still needs some time.
        (bits(self.0, 24, 8) as u32 + 1) * 500
    }

    /// Doorbell stride in bytes (`4 << DSTRD`).
    pub const fn doorbell_stride(self) -> usize {
        4 << bits(self.0, 32, 4)
    }

    /// Whether the NVM command set is supported (CSS bit 0).
    pub const fn supports_nvm_command_set(self) -> bool {
        bits(self.0, 37, 8) & 1 != 0
    }

    /// The command sets to enable the controller with: every I/O command
    /// set it implements where it can say which (CSS bit 6), so that
    /// zoned namespaces answer as such, else the NVM command set (C
    /// `nvme_enable_ctrl`).
    pub const fn command_sets(self) -> CommandSets {
        if bits(self.0, 37, 8) & (1 << 6) != 0 {
            CommandSets::All
        } else {
            CommandSets::Nvm
        }
    }

    /// Whether the controller supports the NVM Subsystem Reset (NSSRS).
    pub const fn subsystem_reset(self) -> bool {
        bits(self.0, 36, 1) != 0
    }

    /// Whether `CMBLOC` and `CMBSZ` read as zero until `CMBMSC.CRE` is set,
    /// and the CMB is addressed only once `CMBMSC` gives its base (CMBS,
    /// the NVMe 1.4 scheme).
    pub const fn cmb_memory_space_control(self) -> bool {
        bits(self.0, 57, 1) != 0
    }

    /// Smallest memory page size, as a power of two (`12 + MPSMIN`).
    pub const fn min_page_shift(self) -> u32 {
        12 + bits(self.0, 48, 4) as u32
    }

    /// Largest memory page size, as a power of two (`12 + MPSMAX`).
    pub const fn max_page_shift(self) -> u32 {
        12 + bits(self.0, 52, 4) as u32
    }
}

/// Version (VS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version(pub u32);

impl Version {
    /// Major version.
    pub const fn major(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// Minor version.
    pub const fn minor(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// Tertiary version.
    pub const fn tertiary(self) -> u8 {
        self.0 as u8
    }

    /// Whether this is version `major.minor` or later.
    pub const fn at_least(self, major: u16, minor: u8) -> bool {
        self.major() > major || (self.major() == major && self.minor() >= minor)
    }
}

/// The value whose write to `NSSR` resets the NVM subsystem ("NVMe").
pub const NSSR_RESET: u32 = 0x4e56_4d65;

/// Whether the host may reset the controller's NVM subsystem, as C 6.12
/// decides it in `nvme_init_ctrl_finish` (`ctrl->subsystem`): `CAP.NSSRS`,
/// read only from NVMe 1.1 on. Where this is false,
/// `NVME_IOCTL_SUBSYS_RESET` fails with `ENOTTY`.
pub const fn subsystem_reset_allowed(cap: Cap, version: Version) -> bool {
    version.at_least(1, 1) && cap.subsystem_reset()
}

/// Longest wait for a normal shutdown in seconds, whatever RTD3E says
/// (C's bound in `nvme_init_identify`).
pub const SHUTDOWN_TIMEOUT_MAX_S: u32 = 60;

/// How many seconds to wait for a normal shutdown to finish, as C 6.12's
/// `nvme_init_identify` sets `ctrl->shutdown_timeout`: the RTD3 entry
/// latency Identify Controller reports (microseconds, counted in whole
/// seconds), at least `minimum_s` (the `shutdown_timeout` parameter) and at
/// most a minute; `minimum_s` itself where the controller reports none.
pub fn shutdown_timeout_s(rtd3e_us: u32, minimum_s: u32) -> u32 {
    if rtd3e_us == 0 {
        return minimum_s;
    }
    // clamp_t(lo = minimum, hi = 60): the upper bound wins.
    (rtd3e_us / 1_000_000)
        .max(minimum_s)
        .min(SHUTDOWN_TIMEOUT_MAX_S)
}

/// Shutdown Notification values for `CC.SHN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ShutdownNotification {
    /// No notification.
    None = 0,
    /// Normal shutdown: the controller finishes outstanding work first.
    Normal = 1,
    /// Abrupt shutdown.
    Abrupt = 2,
}

/// I/O Command Set Selected (`CC.CSS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum CommandSets {
    /// The NVM command set only.
    Nvm = 0,
    /// All the I/O command sets the controller implements; each namespace
    /// reports its own (C `nvme_multi_css`).
    All = 6,
}

/// Controller Configuration (CC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cc(pub u32);

impl Cc {
    const EN: u32 = 1 << 0;
    const CSS_SHIFT: u32 = 4;
    const MPS_SHIFT: u32 = 7;
    const AMS_SHIFT: u32 = 11;
    const SHN_SHIFT: u32 = 14;
    const SHN_MASK: u32 = 3 << Self::SHN_SHIFT;
    const IOSQES_SHIFT: u32 = 16;
    const IOCQES_SHIFT: u32 = 20;

    /// The configuration the driver enables the controller with:
    /// `command_sets`, round-robin arbitration, the given host page size,
    /// and the queue entry sizes of the NVM command set (64-byte SQE,
    /// 16-byte CQE).
    ///
    /// `page_shift` must be at least 12.
    pub const fn for_enable(page_shift: u32, command_sets: CommandSets) -> Self {
        Cc(Self::EN
            | ((command_sets as u32) << Self::CSS_SHIFT)
            | ((page_shift - 12) << Self::MPS_SHIFT)
            | (0 << Self::AMS_SHIFT)
            | (SQE_SHIFT << Self::IOSQES_SHIFT)
            | (CQE_SHIFT << Self::IOCQES_SHIFT))
    }

    /// Whether the controller is enabled (EN).
    pub const fn enabled(self) -> bool {
        self.0 & Self::EN != 0
    }

    /// This value with EN cleared and everything else kept.
    pub const fn disabled(self) -> Self {
        Cc(self.0 & !Self::EN)
    }

    /// The command sets selected (CSS); a reserved value reads as NVM.
    pub const fn command_sets(self) -> CommandSets {
        if (self.0 >> Self::CSS_SHIFT) & 7 == CommandSets::All as u32 {
            CommandSets::All
        } else {
            CommandSets::Nvm
        }
    }

    /// Memory page size as a power of two.
    pub const fn page_shift(self) -> u32 {
        12 + ((self.0 >> Self::MPS_SHIFT) & 0xf)
    }

    /// This value with the shutdown notification field set to `shn`.
    pub const fn with_shutdown(self, shn: ShutdownNotification) -> Self {
        Cc((self.0 & !Self::SHN_MASK) | ((shn as u32) << Self::SHN_SHIFT))
    }
}

/// Log2 of the submission queue entry size.
pub const SQE_SHIFT: u32 = 6;
/// Log2 of the completion queue entry size.
pub const CQE_SHIFT: u32 = 4;

/// Shutdown Status values of `CSTS.SHST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownStatus {
    /// Normal operation.
    Normal,
    /// Shutdown processing in progress.
    Occurring,
    /// Shutdown processing complete.
    Complete,
    /// Reserved encoding.
    Reserved,
}

/// Controller Status (CSTS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Csts(pub u32);

impl Csts {
    /// Whether the controller is ready (RDY).
    pub const fn ready(self) -> bool {
        self.0 & 1 != 0
    }

    /// Controller Fatal Status (CFS).
    pub const fn fatal(self) -> bool {
        self.0 & 2 != 0
    }

    /// Shutdown status (SHST).
    pub const fn shutdown_status(self) -> ShutdownStatus {
        match (self.0 >> 2) & 3 {
            0 => ShutdownStatus::Normal,
            1 => ShutdownStatus::Occurring,
            2 => ShutdownStatus::Complete,
            _ => ShutdownStatus::Reserved,
        }
    }

    /// Processing Paused (PP): the controller is activating firmware and
    /// processes no commands meanwhile.
    pub const fn processing_paused(self) -> bool {
        self.0 & (1 << 5) != 0
    }

    /// Whether the value is what a removed device reads as (all ones), in
    /// which case no other field means anything.
    pub const fn device_gone(self) -> bool {
        self.0 == u32::MAX
    }
}

/// Admin Queue Attributes (AQA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aqa(pub u32);

impl Aqa {
    /// Attributes for an admin submission queue and completion queue of
    /// `sq_entries` and `cq_entries` entries (each 2..=4096).
    pub const fn new(sq_entries: u16, cq_entries: u16) -> Self {
        Aqa(((cq_entries as u32 - 1) << 16) | (sq_entries as u32 - 1))
    }

    /// Admin submission queue size in entries.
    pub const fn sq_entries(self) -> u32 {
        (self.0 & 0xfff) + 1
    }

    /// Admin completion queue size in entries.
    pub const fn cq_entries(self) -> u32 {
        ((self.0 >> 16) & 0xfff) + 1
    }
}

/// Byte offset of the submission queue tail doorbell of queue `qid`.
pub const fn sq_tail_doorbell(qid: u16, stride: usize) -> usize {
    offset::DOORBELLS + 2 * qid as usize * stride
}

/// Byte offset of the completion queue head doorbell of queue `qid`.
pub const fn cq_head_doorbell(qid: u16, stride: usize) -> usize {
    offset::DOORBELLS + (2 * qid as usize + 1) * stride
}

/// Size of BAR0 needed to reach the doorbells of queues `0..queues`.
pub const fn bar_size_for_queues(queues: u16, stride: usize) -> usize {
    offset::DOORBELLS + 2 * queues as usize * stride
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsystem_reset_needs_nssrs_and_nvme_1_1() {
        // QEMU 7.2's CAP (below) leaves NSSRS clear: ENOTTY, as from C.
        let qemu = Cap(0x0240_1820_0f01_07ff);
        assert!(!qemu.subsystem_reset());
        assert!(!subsystem_reset_allowed(qemu, Version(0x0001_0400)));
        let nssrs = Cap(qemu.0 | 1 << 36);
        assert!(nssrs.subsystem_reset());
        assert!(subsystem_reset_allowed(nssrs, Version(0x0001_0100)));
        assert!(subsystem_reset_allowed(nssrs, Version(0x0002_0000)));
        // NVMe 1.0 had no NSSRS: C does not read the bit.
        assert!(!subsystem_reset_allowed(nssrs, Version(0x0001_0000)));
        assert_eq!(NSSR_RESET.to_be_bytes(), *b"NVMe");
    }

    #[test]
    fn csts_processing_paused() {
        assert!(Csts(0x21).processing_paused());
        assert!(!Csts(0x01).processing_paused());
    }

    #[test]
    fn cap_fields() {
        // QEMU 7.2's CAP: MQES=2047, CQR=1, TO=15, DSTRD=0, CSS=NVM|IOCS|no-IO,
        // MPSMIN=0, MPSMAX=4, CMBS=1.
        let cap = Cap(0x0240_1820_0f01_07ff);
        assert_eq!(cap.max_queue_entries(), 2048);
        assert!(cap.contiguous_queues_required());
        assert_eq!(cap.ready_timeout_ms(), 8000);
        assert_eq!(cap.doorbell_stride(), 4);
        assert!(cap.supports_nvm_command_set());
        assert_eq!(cap.command_sets(), CommandSets::All);
        assert_eq!(Cap(0x0020_0000_0000).command_sets(), CommandSets::Nvm);
        assert_eq!(cap.min_page_shift(), 12);
        assert_eq!(cap.max_page_shift(), 16);
    }

    #[test]
    fn cap_extremes() {
        let cap = Cap(u64::MAX);
        assert_eq!(cap.max_queue_entries(), 65536);
        assert_eq!(cap.ready_timeout_ms(), 256 * 500);
        assert_eq!(cap.doorbell_stride(), 4 << 15);
        assert_eq!(cap.min_page_shift(), 27);
        assert_eq!(cap.max_page_shift(), 27);
        let zero = Cap(0);
        assert_eq!(zero.max_queue_entries(), 1);
        assert_eq!(zero.ready_timeout_ms(), 500);
        assert!(!zero.supports_nvm_command_set());
    }

    #[test]
    fn shutdown_timeout_as_c() {
        // No RTD3E: the parameter, even above C's upper bound.
        assert_eq!(shutdown_timeout_s(0, 5), 5);
        assert_eq!(shutdown_timeout_s(0, 200), 200);
        // Whole seconds, at least the parameter.
        assert_eq!(shutdown_timeout_s(999_999, 5), 5);
        assert_eq!(shutdown_timeout_s(8_500_000, 5), 8);
        assert_eq!(shutdown_timeout_s(8_500_000, 10), 10);
        // At most a minute, even with a larger parameter.
        assert_eq!(shutdown_timeout_s(90_000_000, 5), 60);
        assert_eq!(shutdown_timeout_s(1_000_000, 200), 60);
    }

    #[test]
    fn cc_enable_value() {
        let cc = Cc::for_enable(12, CommandSets::Nvm);
        // EN=1, CSS=0, MPS=0, AMS=0, IOSQES=6, IOCQES=4: the C driver's
        // value where CAP.CSS lacks bit 6.
        assert_eq!(cc.0, 0x0046_0001);
        assert!(cc.enabled());
        assert_eq!(cc.page_shift(), 12);
        assert_eq!(cc.command_sets(), CommandSets::Nvm);
        assert_eq!(Cc::for_enable(16, CommandSets::Nvm).page_shift(), 16);
        // CSS=110b: C's value on QEMU, whose CAP.CSS has bit 6.
        let all = Cc::for_enable(12, CommandSets::All);
        assert_eq!(all.0, 0x0046_0061);
        assert_eq!(all.command_sets(), CommandSets::All);
        assert!(!cc.disabled().enabled());
        assert_eq!(cc.disabled().0, 0x0046_0000);
    }

    #[test]
    fn cc_shutdown_replaces_field() {
        let cc = Cc::for_enable(12, CommandSets::Nvm);
        let normal = cc.with_shutdown(ShutdownNotification::Normal);
        assert_eq!(normal.0, 0x0046_4001);
        let abrupt = normal.with_shutdown(ShutdownNotification::Abrupt);
        assert_eq!(abrupt.0, 0x0046_8001);
        assert_eq!(abrupt.with_shutdown(ShutdownNotification::None), cc);
    }

    #[test]
    fn csts_fields() {
        assert!(Csts(1).ready());
        assert!(!Csts(0).ready());
        assert!(Csts(2).fatal());
        assert_eq!(Csts(0).shutdown_status(), ShutdownStatus::Normal);
        assert_eq!(Csts(4).shutdown_status(), ShutdownStatus::Occurring);
        assert_eq!(Csts(8 | 1).shutdown_status(), ShutdownStatus::Complete);
        assert_eq!(Csts(12).shutdown_status(), ShutdownStatus::Reserved);
        assert!(Csts(u32::MAX).device_gone());
        assert!(!Csts(9).device_gone());
    }

    #[test]
    fn aqa_round_trip() {
        let aqa = Aqa::new(32, 32);
        assert_eq!(aqa.0, 0x001f_001f);
        assert_eq!(aqa.sq_entries(), 32);
        assert_eq!(aqa.cq_entries(), 32);
        let max = Aqa::new(4096, 2);
        assert_eq!(max.sq_entries(), 4096);
        assert_eq!(max.cq_entries(), 2);
    }

    #[test]
    fn version_fields() {
        let vs = Version(0x0001_0400);
        assert_eq!((vs.major(), vs.minor(), vs.tertiary()), (1, 4, 0));
        let vs = Version(0x0002_0001);
        assert_eq!((vs.major(), vs.minor(), vs.tertiary()), (2, 0, 1));
    }

    #[test]
    fn doorbell_offsets() {
        assert_eq!(sq_tail_doorbell(0, 4), 0x1000);
        assert_eq!(cq_head_doorbell(0, 4), 0x1004);
        assert_eq!(sq_tail_doorbell(1, 4), 0x1008);
        assert_eq!(cq_head_doorbell(1, 4), 0x100c);
        assert_eq!(sq_tail_doorbell(3, 16), 0x1000 + 6 * 16);
        assert_eq!(cq_head_doorbell(3, 16), 0x1000 + 7 * 16);
        // The last doorbell of the queues counted must fit in the BAR size.
        for stride in [4usize, 8, 64, 4096] {
            for queues in 1u16..64 {
                let end = cq_head_doorbell(queues - 1, stride) + 4;
                assert!(end <= bar_size_for_queues(queues, stride));
            }
        }
    }
}
