// SPDX-License-Identifier: GPL-2.0

//! Submission queue entries: the 64-byte command format (NVMe Base
//! Specification 2.0, section 4.2) and builders for the admin commands the
//! driver sends. C header: `srctree/include/linux/nvme.h`.

use super::sgl::SglDescriptor;

/// Size of a submission queue entry in bytes.
pub const SQE_SIZE: usize = 64;

/// Admin command opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AdminOpcode {
    /// Delete I/O Submission Queue.
    DeleteSq = 0x00,
    /// Create I/O Submission Queue.
    CreateSq = 0x01,
    /// Get Log Page.
    GetLogPage = 0x02,
    /// Delete I/O Completion Queue.
    DeleteCq = 0x04,
    /// Create I/O Completion Queue.
    CreateCq = 0x05,
    /// Identify.
    Identify = 0x06,
    /// Abort.
    Abort = 0x08,
    /// Set Features.
    SetFeatures = 0x09,
    /// Get Features.
    GetFeatures = 0x0a,
    /// Asynchronous Event Request.
    AsyncEvent = 0x0c,
    /// Doorbell Buffer Config.
    DoorbellBufferConfig = 0x7c,
}

/// Controller or Namespace Structure values of Identify (CDW10.CNS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum IdentifyCns {
    /// Identify Namespace data structure for the NSID given.
    Namespace = 0x00,
    /// Identify Controller data structure.
    Controller = 0x01,
    /// Active Namespace ID list, starting after the NSID given.
    ActiveNamespaces = 0x02,
    /// Namespace Identification Descriptor list of the NSID given.
    NamespaceDescriptors = 0x03,
    /// I/O Command Set specific Identify Namespace data structure of the
    /// NSID given, of the command set in CDW11.
    CommandSetNamespace = 0x05,
    /// I/O Command Set specific Identify Controller data structure, of the
    /// command set in CDW11 (0, NVM, unless set).
    CommandSetController = 0x06,
}

/// Size of every Identify data structure.
pub const IDENTIFY_DATA_SIZE: usize = 4096;

/// A submission queue entry, held as its sixteen command dwords in CPU
/// order and converted to the little-endian wire format by [`Command::to_bytes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Command {
    dw: [u32; 16],
}

impl Command {
    /// A command with `opcode` and everything else zero.
    pub const fn new(opcode: u8) -> Self {
        let mut dw = [0u32; 16];
        dw[0] = opcode as u32;
        Command { dw }
    }

    /// An admin command with `opcode`.
    pub const fn admin(opcode: AdminOpcode) -> Self {
        Self::new(opcode as u8)
    }

    /// The opcode.
    pub const fn opcode(&self) -> u8 {
        self.dw[0] as u8
    }

    /// Whether data moves from host to controller: bit 0 of every opcode
    /// is that direction (C `nvme_is_write`).
    pub const fn is_write(&self) -> bool {
        self.opcode() & 1 != 0
    }

    /// The command identifier.
    pub const fn cid(&self) -> u16 {
        (self.dw[0] >> 16) as u16
    }

    /// Sets the command identifier the completion will carry.
    pub fn set_cid(&mut self, cid: u16) {
        self.dw[0] = (self.dw[0] & 0xffff) | ((cid as u32) << 16);
    }

    /// Sets the namespace identifier.
    pub const fn with_nsid(mut self, nsid: u32) -> Self {
        self.dw[1] = nsid;
        self
    }

    /// The namespace identifier.
    pub const fn nsid(&self) -> u32 {
        self.dw[1]
    }

    /// Sets the metadata pointer (MPTR, dwords 4 and 5): the address of the
    /// command's separate metadata buffer.
    pub fn set_metadata_pointer(&mut self, addr: u64) {
        self.dw[4] = addr as u32;
        self.dw[5] = (addr >> 32) as u32;
    }

    /// The metadata pointer.
    pub const fn metadata_pointer(&self) -> u64 {
        self.dw[4] as u64 | (self.dw[5] as u64) << 32
    }

    /// Sets the first PRP entry, the address of a data buffer.
    pub const fn with_prp1(mut self, addr: u64) -> Self {
        self.dw[6] = addr as u32;
        self.dw[7] = (addr >> 32) as u32;
        self
    }

    /// Sets the second PRP entry.
    pub const fn with_prp2(mut self, addr: u64) -> Self {
        self.dw[8] = addr as u32;
        self.dw[9] = (addr >> 32) as u32;
        self
    }

    /// Sets both PRP entries in place, for the I/O path, which builds the
    /// command where it lies rather than passing 64 bytes around, and says
    /// the data pointer is PRPs (PSDT 00b): a command kept in its request
    /// and mapped again when it is sent again may have been given SGLs
    /// the first time, and the controller must not read these as an SGL.
    pub fn set_prps(&mut self, prp1: u64, prp2: u64) {
        self.dw[0] &= !PSDT_MASK;
        self.dw[6] = prp1 as u32;
        self.dw[7] = (prp1 >> 32) as u32;
        self.dw[8] = prp2 as u32;
        self.dw[9] = (prp2 >> 32) as u32;
    }

    /// Get Log Page `lid` for all namespaces, `bytes` long (a multiple of
    /// four), from offset 0. The transport points the data pointer at it.
    pub const fn get_log_page(lid: u8, bytes: u32) -> Self {
        let dwords = bytes / 4 - 1;
        Self::admin(AdminOpcode::GetLogPage)
            .with_nsid(0xffff_ffff)
            .with_cdw::<10>(lid as u32 | (dwords & 0xffff) << 16)
            .with_cdw::<11>(dwords >> 16)
    }

    /// Get Log Page of command set `csi`'s log (CDW14 bits 31:24, the UUID
    /// index 0), for a log kept per command set.
    pub const fn for_command_set(self, csi: u8) -> Self {
        self.with_cdw::<14>((csi as u32) << 24)
    }

    /// Sets command dwords 2 and 3 (reserved in most commands; passthrough
    /// carries the user's values).
    pub const fn with_cdw2_3(mut self, cdw2: u32, cdw3: u32) -> Self {
        self.dw[2] = cdw2;
        self.dw[3] = cdw3;
        self
    }

    /// Sets dword 3 in place (the upper reference tag bits of PI with the
    /// 64-bit guard).
    pub fn set_cdw3(&mut self, value: u32) {
        self.dw[3] = value;
    }

    /// Sets command-specific dword `N` (10 to 15; other values do not compile).
    pub const fn with_cdw<const N: usize>(mut self, value: u32) -> Self {
        const { assert!(N >= 10 && N <= 15) };
        self.dw[N] = value;
        self
    }

    /// Sets command-specific dword `N` in place (10 to 15), where the
    /// command already lies in the queue's slot.
    pub fn set_cdw<const N: usize>(&mut self, value: u32) {
        const { assert!(N >= 10 && N <= 15) };
        self.dw[N] = value;
    }

    /// Command dword `n` (0 to 15).
    pub const fn dword(&self, n: usize) -> u32 {
        self.dw[n]
    }

    /// Identify, returning the structure `cns` selects. The transport points
    /// PRP1 at a 4 KiB page-aligned buffer.
    pub const fn identify(cns: IdentifyCns, nsid: u32) -> Self {
        Self::admin(AdminOpcode::Identify)
            .with_nsid(nsid)
            .with_cdw::<10>(cns as u32)
    }

    /// The 64 bytes the controller reads.
    pub fn to_bytes(&self) -> [u8; SQE_SIZE] {
        let mut bytes = [0u8; SQE_SIZE];
        for (chunk, dw) in bytes.chunks_exact_mut(4).zip(self.dw.iter()) {
            chunk.copy_from_slice(&dw.to_le_bytes());
        }
        bytes
    }
}

/// Feature identifiers for Set Features and Get Features (NVMe Base
/// Specification 2.0, section 5.27.1; C `NVME_FEAT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FeatureId {
    /// Arbitration burst and weights.
    Arbitration = 0x01,
    /// Power state.
    PowerManagement = 0x02,
    /// Temperature thresholds.
    TemperatureThreshold = 0x04,
    /// Volatile write cache enable.
    VolatileWriteCache = 0x06,
    /// Number of I/O submission and completion queues.
    NumberOfQueues = 0x07,
    /// Interrupt coalescing time and threshold.
    InterruptCoalescing = 0x08,
    /// Which events complete Asynchronous Event Requests.
    AsyncEventConfig = 0x0b,
    /// Autonomous Power State Transition (`spec::apst`).
    AutonomousPowerStateTransition = 0x0c,
    /// Host Memory Buffer (`spec::host_memory`).
    HostMemoryBuffer = 0x0d,
    /// Host Behavior Support (`spec::host_behavior`).
    HostBehaviorSupport = 0x16,
}

/// Create I/O Completion/Submission Queue CDW11 bit 0: the queue memory is
/// physically contiguous (C `NVME_QUEUE_PHYS_CONTIG`).
const QUEUE_PHYS_CONTIG: u32 = 1 << 0;

/// Create I/O Completion Queue CDW11 bit 1: interrupts enabled (C
/// `NVME_CQ_IRQ_ENABLED`).
const CQ_IRQ_ENABLED: u32 = 1 << 1;

/// CDW0 bits 15:14, PRP or SGL for Data Transfer (PSDT).
const PSDT_MASK: u32 = 3 << 14;

/// PSDT 01b: SGLs for the data, metadata pointer to a contiguous buffer (C
/// `NVME_CMD_SGL_METABUF` in the flags byte).
const PSDT_SGL_MPTR_CONTIGUOUS: u32 = 1 << 14;

/// CDW10 of the queue creation commands: the zero-based size in bits 31:16
/// and the queue identifier in bits 15:0. `entries` below 2 encodes as a
/// one-entry queue rather than wrapping, and the controller refuses it.
const fn queue_size_and_id(qid: u16, entries: u16) -> u32 {
    (entries.saturating_sub(1) as u32) << 16 | qid as u32
}

/// Queue management admin commands (NVMe Base Specification 2.0, sections
/// 5.4 to 5.7) and features (section 5.27), as the C driver's
/// `adapter_alloc_cq`, `adapter_alloc_sq`, `adapter_delete_queue` and
/// `nvme_set_queue_count` build them.
impl Command {
    /// Set Features for feature `fid` with `value` in CDW11, not saved
    /// across resets (CDW10 bit 31, SV, clear).
    pub const fn set_features(fid: FeatureId, value: u32) -> Command {
        Self::admin(AdminOpcode::SetFeatures)
            .with_cdw::<10>(fid as u32)
            .with_cdw::<11>(value)
    }

    /// Get Features for feature `fid`, current value (CDW10 bits 10:8, SEL,
    /// zero).
    pub const fn get_features(fid: FeatureId) -> Command {
        Self::admin(AdminOpcode::GetFeatures).with_cdw::<10>(fid as u32)
    }

    /// Set Features, Number of Queues, asking for `io_queues` (>= 1) I/O
    /// submission queues and as many completion queues: CDW10 = FID 7,
    /// CDW11 = `(n - 1) | (n - 1) << 16`, both counts zero-based.
    ///
    /// Zero cannot be encoded (the fields are zero-based); it asks for one
    /// queue pair. Read the answer with [`granted_queue_pairs`].
    pub const fn set_queue_count(io_queues: u16) -> Command {
        let n = io_queues.saturating_sub(1) as u32;
        Self::set_features(FeatureId::NumberOfQueues, n | n << 16)
    }

    /// Create I/O Completion Queue `qid` of `entries` entries: CDW10 =
    /// `(entries - 1) << 16 | qid`, CDW11 bit 0 (PC) set for physically
    /// contiguous memory.
    ///
    /// With `vector = Some(v)` interrupts are enabled (CDW11 bit 1, IEN) and
    /// go to interrupt vector `v` (CDW11 bits 31:16); with `None` they are
    /// disabled and the queue is polled. `entries` must be at least 2 and at
    /// most `CAP.MQES + 1`; smaller values encode as one entry, which the
    /// controller rejects with Invalid Queue Size. The caller sets PRP1 to
    /// the queue memory with [`Command::with_prp1`].
    pub const fn create_cq(qid: u16, entries: u16, vector: Option<u16>) -> Command {
        let cdw11 = match vector {
            Some(v) => (v as u32) << 16 | CQ_IRQ_ENABLED | QUEUE_PHYS_CONTIG,
            None => QUEUE_PHYS_CONTIG,
        };
        Self::admin(AdminOpcode::CreateCq)
            .with_cdw::<10>(queue_size_and_id(qid, entries))
            .with_cdw::<11>(cdw11)
    }

    /// Create I/O Submission Queue `qid` of `entries` entries bound to
    /// completion queue `cqid`: CDW10 = `(entries - 1) << 16 | qid`, CDW11 =
    /// `cqid << 16 | PC`.
    ///
    /// The queue priority (CDW11 bits 2:1) is left at 00b, which the
    /// specification names Urgent but which only matters under weighted
    /// round robin arbitration; the driver uses round robin, as the C driver
    /// does unless a quirk asks for Medium. `entries` must be at least 2, as
    /// for [`Command::create_cq`]. The caller sets PRP1 to the queue memory.
    pub const fn create_sq(qid: u16, entries: u16, cqid: u16) -> Command {
        Self::admin(AdminOpcode::CreateSq)
            .with_cdw::<10>(queue_size_and_id(qid, entries))
            .with_cdw::<11>((cqid as u32) << 16 | QUEUE_PHYS_CONTIG)
    }

    /// Delete I/O Submission Queue `qid` (CDW10 = `qid`). A submission queue
    /// is deleted before the completion queue it posts to.
    pub const fn delete_sq(qid: u16) -> Command {
        Self::admin(AdminOpcode::DeleteSq).with_cdw::<10>(qid as u32)
    }

    /// Delete I/O Completion Queue `qid` (CDW10 = `qid`), once every
    /// submission queue bound to it is gone.
    pub const fn delete_cq(qid: u16) -> Command {
        Self::admin(AdminOpcode::DeleteCq).with_cdw::<10>(qid as u32)
    }

    /// Doorbell Buffer Config: the shadow doorbell buffer at `shadow` (PRP1)
    /// and the event index buffer at `event_index` (PRP2), each page-aligned
    /// (see `shadow_doorbell`).
    pub const fn doorbell_buffer_config(shadow: u64, event_index: u64) -> Command {
        Self::admin(AdminOpcode::DoorbellBufferConfig)
            .with_prp1(shadow)
            .with_prp2(event_index)
    }

    /// Set Features, Host Memory Buffer (C `nvme_set_host_mem`): CDW11 the
    /// enable and return bits (`host_memory::ENABLE`, `RETURN`; 0
    /// disables), CDW12 the buffer's size in 4 KiB units (HSIZE), CDW13
    /// and CDW14 the descriptor list's bus address (HMDLLA, HMDLUA), CDW15
    /// its entry count (HMDLEC). As C, a disable still names the buffer.
    pub const fn set_host_memory_buffer(
        bits: u32,
        size_units: u32,
        list: u64,
        entries: u32,
    ) -> Command {
        Self::set_features(FeatureId::HostMemoryBuffer, bits)
            .with_cdw::<12>(size_units)
            .with_cdw::<13>(list as u32)
            .with_cdw::<14>((list >> 32) as u32)
            .with_cdw::<15>(entries)
    }

    /// Abort the command with identifier `cid` on submission queue `sqid`
    /// (CDW10 = `cid << 16 | sqid`). The completion's DW0 bit 0 is clear if
    /// the command was aborted ([`abort_succeeded`]).
    pub const fn abort(sqid: u16, cid: u16) -> Command {
        Self::admin(AdminOpcode::Abort).with_cdw::<10>((cid as u32) << 16 | sqid as u32)
    }

    /// Describes the data with the SGL descriptor `desc` instead of PRPs:
    /// sets PSDT (CDW0 bits 15:14) to 01b, "SGL, metadata pointer to a
    /// contiguous buffer", as the C driver's `NVME_CMD_SGL_METABUF`, and
    /// puts the descriptor's 16 bytes in the data pointer (bytes 24 to 39,
    /// where PRP1 and PRP2 otherwise live).
    pub fn with_sgl(mut self, desc: SglDescriptor) -> Command {
        self.set_sgl(desc);
        self
    }

    /// [`Self::with_sgl`] in place.
    pub fn set_sgl(&mut self, desc: SglDescriptor) {
        // The descriptor is little-endian on the wire, as the dwords are:
        // each word is two dwords, low first.
        let [low, high] = desc.to_words();
        self.dw[6] = low as u32;
        self.dw[7] = (low >> 32) as u32;
        self.dw[8] = high as u32;
        self.dw[9] = (high >> 32) as u32;
        self.dw[0] = (self.dw[0] & !PSDT_MASK) | PSDT_SGL_MPTR_CONTIGUOUS;
    }

    /// The command flags byte (CDW0 bits 15:8): fused operation in bits 1:0
    /// and PSDT in bits 7:6.
    pub const fn flags(&self) -> u8 {
        (self.dw[0] >> 8) as u8
    }
}

/// Whether an Abort's completion result (DW0) says the command was aborted:
/// bit 0 clear. Set means it was not (already completed, or not found).
pub const fn abort_succeeded(result: u32) -> bool {
    result & 1 == 0
}

/// The number of I/O queue pairs the controller granted, from the result
/// (completion dword 0) of Set Features, Number of Queues: NSQA in bits
/// 15:0 and NCQA in bits 31:16, both zero-based, so `min(nsqa, ncqa) + 1`.
///
/// A controller may grant more than was asked for (QEMU reports its
/// configured maximum whatever the request), so the usable count is the
/// smaller of this and the request, as [`usable_queue_pairs`] computes and
/// C's `nvme_set_queue_count` does. 65536 does not fit a `u16` and is
/// reported as `u16::MAX`, the most queues a request can name anyway.
pub const fn granted_queue_pairs(result: u32) -> u16 {
    let nsqa = result as u16;
    let ncqa = (result >> 16) as u16;
    let min = if nsqa < ncqa { nsqa } else { ncqa };
    min.saturating_add(1)
}

/// The I/O queue pairs the driver may use after asking for `requested` with
/// [`Command::set_queue_count`] and getting `result` back:
/// `min(requested, granted_queue_pairs(result))` (C `nvme_set_queue_count`).
pub const fn usable_queue_pairs(requested: u16, result: u32) -> u16 {
    let granted = granted_queue_pairs(result);
    if requested < granted {
        requested
    } else {
        granted
    }
}

/// Command dword `n` as the controller reads it from the entry's 64
/// bytes, for tests that check the wire format rather than the builder.
#[cfg(test)]
pub(crate) fn wire_dword(cmd: &Command, n: usize) -> u32 {
    let b = cmd.to_bytes();
    u32::from_le_bytes([b[4 * n], b[4 * n + 1], b[4 * n + 2], b[4 * n + 3]])
}

#[cfg(test)]
mod tests {
    use super::super::sgl::SglType;
    use super::*;

    #[test]
    fn log_page_of_a_command_set() {
        let cmd = Command::get_log_page(0x05, 4096).for_command_set(2);
        assert_eq!(cmd.dword(10), 0x05 | 1023 << 16);
        assert_eq!(cmd.dword(14), 0x0200_0000);
    }

    #[test]
    fn identify_controller_layout() {
        let mut cmd = Command::identify(IdentifyCns::Controller, 0).with_prp1(0x1_2345_6000);
        cmd.set_cid(0xbeef);
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x06, "opcode");
        assert_eq!(b[1], 0, "flags: PRP data transfer");
        assert_eq!(&b[2..4], &[0xef, 0xbe], "CID little-endian");
        assert_eq!(&b[4..8], &[0; 4], "NSID");
        assert_eq!(&b[24..32], &0x1_2345_6000u64.to_le_bytes(), "PRP1");
        assert_eq!(&b[32..40], &[0; 8], "PRP2");
        assert_eq!(&b[40..44], &[1, 0, 0, 0], "CDW10.CNS");
        assert!(b[44..].iter().all(|&x| x == 0));
        assert_eq!(cmd.cid(), 0xbeef);
        assert_eq!(cmd.opcode(), 0x06);
    }

    #[test]
    fn set_prps_matches_the_builders() {
        let base = Command::new(0x02).with_nsid(1).with_cdw::<10>(7);
        let mut cmd = base;
        cmd.set_prps(0x1_2345_6008, 0xfedc_b000);
        assert_eq!(cmd, base.with_prp1(0x1_2345_6008).with_prp2(0xfedc_b000));
        cmd.set_prps(0x4000, 0);
        assert_eq!(cmd, base.with_prp1(0x4000));
    }

    #[test]
    fn set_prps_after_set_sgl_says_prps() {
        let base = Command::new(0x02).with_nsid(1);
        let mut cmd = base;
        cmd.set_sgl(SglDescriptor {
            addr: 0x1000,
            len: 0x200,
            kind: SglType::DataBlock,
        });
        assert_eq!(cmd.flags() >> 6, 1, "PSDT: SGL");
        cmd.set_prps(0x4000, 0);
        assert_eq!(cmd.flags() >> 6, 0, "PSDT: PRPs");
        assert_eq!(cmd, base.with_prp1(0x4000));
    }

    #[test]
    fn doorbell_buffer_config_points_at_both_buffers() {
        let b = Command::doorbell_buffer_config(0x1000, 0x2000).to_bytes();
        assert_eq!(b[0], 0x7c, "opcode");
        assert_eq!(
            &b[24..32],
            &0x1000u64.to_le_bytes(),
            "PRP1: shadow doorbells"
        );
        assert_eq!(&b[32..40], &0x2000u64.to_le_bytes(), "PRP2: event indexes");
        assert!(b[40..].iter().all(|&x| x == 0));
    }

    #[test]
    fn abort_names_queue_and_command() {
        let b = Command::abort(3, 0xabcd).to_bytes();
        assert_eq!(b[0], 0x08, "opcode");
        assert_eq!(&b[40..44], &[3, 0, 0xcd, 0xab], "CDW10: SQID, then CID");
        assert!(abort_succeeded(0));
        assert!(!abort_succeeded(1));
        assert!(abort_succeeded(0xffff_fffe), "only bit 0 counts");
    }

    #[test]
    fn identify_namespace_carries_nsid() {
        let cmd = Command::identify(IdentifyCns::Namespace, 7);
        let b = cmd.to_bytes();
        assert_eq!(&b[4..8], &7u32.to_le_bytes());
        assert_eq!(b[40], 0);
        assert_eq!(cmd.nsid(), 7);
    }

    #[test]
    fn set_cid_keeps_opcode_and_flags() {
        let mut cmd = Command::new(0xff);
        cmd.set_cid(1);
        cmd.set_cid(0xffff);
        cmd.set_cid(2);
        assert_eq!(cmd.dword(0), 0x0002_00ff);
    }

    #[test]
    fn prp2_and_cdws() {
        let cmd = Command::new(1)
            .with_prp2(0xdead_beef_0000_1000)
            .with_cdw::<10>(1)
            .with_cdw::<15>(0xffff_ffff);
        let b = cmd.to_bytes();
        assert_eq!(&b[32..40], &0xdead_beef_0000_1000u64.to_le_bytes());
        assert_eq!(&b[40..44], &1u32.to_le_bytes());
        assert_eq!(&b[60..64], &[0xff; 4]);
    }
}

#[cfg(test)]
mod queue_command_tests {
    use super::super::sgl::SglType;
    use super::wire_dword as cdw;
    use super::*;

    #[test]
    fn feature_ids_match_the_spec() {
        // NVMe Base 2.0, Figure "Feature Identifiers"; C NVME_FEAT_*.
        assert_eq!(FeatureId::Arbitration as u8, 0x01);
        assert_eq!(FeatureId::PowerManagement as u8, 0x02);
        assert_eq!(FeatureId::TemperatureThreshold as u8, 0x04);
        assert_eq!(FeatureId::VolatileWriteCache as u8, 0x06);
        assert_eq!(FeatureId::NumberOfQueues as u8, 0x07);
        assert_eq!(FeatureId::InterruptCoalescing as u8, 0x08);
        assert_eq!(FeatureId::AsyncEventConfig as u8, 0x0b);
    }

    #[test]
    fn set_and_get_features_layout() {
        let cmd = Command::set_features(FeatureId::VolatileWriteCache, 1);
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x09, "Set Features opcode");
        assert_eq!(&b[40..44], &[0x06, 0, 0, 0], "FID, SV clear");
        assert_eq!(&b[44..48], &[1, 0, 0, 0], "WCE");
        assert!(b[1..40].iter().all(|&x| x == 0));
        assert!(b[48..].iter().all(|&x| x == 0));

        let cmd = Command::get_features(FeatureId::NumberOfQueues);
        assert_eq!(cmd.opcode(), 0x0a);
        assert_eq!(cmd.dword(10), 0x07, "FID 7, SEL 0 (current)");
        assert_eq!(cmd.dword(11), 0);
    }

    #[test]
    fn set_host_memory_buffer_dwords() {
        let cmd = Command::set_host_memory_buffer(3, 32768, 0x0000_0012_3456_7000, 32);
        assert_eq!(cmd.opcode(), 0x09);
        assert_eq!(cdw(&cmd, 10), 0x0d);
        assert_eq!(cdw(&cmd, 11), 3);
        assert_eq!(cdw(&cmd, 12), 32768);
        assert_eq!(cdw(&cmd, 13), 0x3456_7000);
        assert_eq!(cdw(&cmd, 14), 0x12);
        assert_eq!(cdw(&cmd, 15), 32);
        assert_eq!(cmd.nsid(), 0);
        // No data pointer: the list is named by CDW13 and CDW14.
        for dw in 6..=9 {
            assert_eq!(cdw(&cmd, dw), 0);
        }
        assert_eq!(cdw(&Command::set_host_memory_buffer(0, 0, 0, 0), 11), 0);
    }

    #[test]
    fn set_queue_count_every_value() {
        for n in 1..=u16::MAX {
            let cmd = Command::set_queue_count(n);
            let z = u32::from(n - 1);
            assert_eq!(cmd.opcode(), 0x09);
            assert_eq!(cdw(&cmd, 10), 0x07);
            assert_eq!(cdw(&cmd, 11), z | z << 16, "n = {n}");
            assert_eq!(cmd.nsid(), 0);
        }
        // The C driver on a two-CPU machine asks for two: NSQR = NCQR = 1.
        assert_eq!(Command::set_queue_count(2).dword(11), 0x0001_0001);
        assert_eq!(Command::set_queue_count(65535).dword(11), 0xfffe_fffe);
        // Zero is not encodable; it asks for one pair rather than 65536.
        assert_eq!(Command::set_queue_count(0).dword(11), 0);
    }

    #[test]
    fn granted_queue_pairs_values() {
        // QEMU's default max_ioqpairs = 64 is reported as 63 | 63 << 16.
        assert_eq!(granted_queue_pairs(0x003f_003f), 64);
        assert_eq!(granted_queue_pairs(0), 1);
        // The smaller of the two counts limits the pairs.
        assert_eq!(granted_queue_pairs(0x0001_0007), 2);
        assert_eq!(granted_queue_pairs(0x0007_0001), 2);
        assert_eq!(granted_queue_pairs(0xffff_0000), 1);
        assert_eq!(granted_queue_pairs(0x0000_ffff), 1);
        // 65536 saturates instead of wrapping to 0.
        assert_eq!(granted_queue_pairs(0xffff_ffff), u16::MAX);
        assert_eq!(granted_queue_pairs(0xfffe_ffff), u16::MAX);
        for nsqa in (0..=u16::MAX).step_by(97).chain([u16::MAX - 1, u16::MAX]) {
            for ncqa in (0..=u16::MAX).step_by(101).chain([u16::MAX]) {
                let result = u32::from(nsqa) | u32::from(ncqa) << 16;
                let want = (u32::from(nsqa.min(ncqa)) + 1).min(65535) as u16;
                assert_eq!(granted_queue_pairs(result), want);
            }
        }
    }

    #[test]
    fn usable_queue_pairs_is_the_smaller() {
        // Asked for 2 on a two-CPU guest, QEMU grants 64: use 2.
        assert_eq!(usable_queue_pairs(2, 0x003f_003f), 2);
        // Asked for 128, the controller grants 8 SQs and 16 CQs: use 8.
        assert_eq!(usable_queue_pairs(128, 0x000f_0007), 8);
        assert_eq!(usable_queue_pairs(u16::MAX, 0xffff_ffff), u16::MAX);
        assert_eq!(usable_queue_pairs(0, 0x003f_003f), 0);
    }

    #[test]
    fn create_cq_layout() {
        // As C's adapter_alloc_cq for I/O queue 1 of 1024 entries on vector 1.
        let cmd = Command::create_cq(1, 1024, Some(1)).with_prp1(0x1_0000_0000);
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x05, "Create I/O CQ opcode");
        assert_eq!(&b[24..32], &0x1_0000_0000u64.to_le_bytes(), "PRP1");
        assert_eq!(&b[40..42], &[1, 0], "QID");
        assert_eq!(&b[42..44], &1023u16.to_le_bytes(), "QSIZE, zero-based");
        assert_eq!(&b[44..46], &[0x03, 0], "PC | IEN");
        assert_eq!(&b[46..48], &[1, 0], "IV");
        assert!(b[48..].iter().all(|&x| x == 0));

        // A polled queue: interrupts off, vector field zero.
        let cmd = Command::create_cq(3, 2, None);
        assert_eq!(cmd.dword(10), 0x0001_0003);
        assert_eq!(cmd.dword(11), 0x0000_0001);
    }

    #[test]
    fn create_cq_every_qid_and_size() {
        for qid in (1..=u16::MAX).step_by(251).chain([u16::MAX]) {
            for entries in (2..=u16::MAX).step_by(509).chain([u16::MAX]) {
                for vector in [None, Some(0), Some(1), Some(2047), Some(u16::MAX)] {
                    let cmd = Command::create_cq(qid, entries, vector);
                    assert_eq!(cmd.opcode(), 0x05);
                    assert_eq!(cmd.dword(10) & 0xffff, u32::from(qid));
                    assert_eq!(cmd.dword(10) >> 16, u32::from(entries) - 1);
                    let cdw11 = cmd.dword(11);
                    assert_eq!(cdw11 & 1, 1, "physically contiguous");
                    assert_eq!(cdw11 & 2 != 0, vector.is_some(), "IEN");
                    assert_eq!(cdw11 >> 16, u32::from(vector.unwrap_or(0)));
                    assert_eq!(cdw11 & 0xfffc, 0, "reserved bits");
                }
            }
        }
    }

    #[test]
    fn create_sq_layout() {
        let cmd = Command::create_sq(1, 1024, 1).with_prp1(0x2000);
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x01, "Create I/O SQ opcode");
        assert_eq!(&b[24..32], &0x2000u64.to_le_bytes(), "PRP1");
        assert_eq!(&b[40..44], &[1, 0, 0xff, 0x03], "QID 1, QSIZE 1023");
        assert_eq!(&b[44..46], &[0x01, 0], "PC, QPRIO 00b");
        assert_eq!(&b[46..48], &[1, 0], "CQID");
        assert!(b[48..].iter().all(|&x| x == 0));

        for qid in (1..=u16::MAX).step_by(331) {
            for entries in (2..=u16::MAX).step_by(1021) {
                let cqid = qid.wrapping_mul(7);
                let cmd = Command::create_sq(qid, entries, cqid);
                assert_eq!(cmd.dword(10), u32::from(entries - 1) << 16 | u32::from(qid));
                assert_eq!(cmd.dword(11), u32::from(cqid) << 16 | 1);
            }
        }
    }

    #[test]
    fn queue_sizes_below_two_do_not_wrap() {
        // Zero would wrap to 0xffff (65536 entries) with plain subtraction.
        assert_eq!(Command::create_cq(1, 0, None).dword(10), 0x0000_0001);
        assert_eq!(Command::create_cq(1, 1, None).dword(10), 0x0000_0001);
        assert_eq!(Command::create_sq(1, 0, 1).dword(10), 0x0000_0001);
        assert_eq!(Command::create_sq(1, u16::MAX, 1).dword(10), 0xfffe_0001);
    }

    #[test]
    fn delete_queue_layout() {
        for qid in [1u16, 2, 64, 0xffff] {
            let sq = Command::delete_sq(qid);
            let cq = Command::delete_cq(qid);
            assert_eq!(sq.opcode(), 0x00);
            assert_eq!(cq.opcode(), 0x04);
            assert_eq!(sq.dword(10), u32::from(qid));
            assert_eq!(cq.dword(10), u32::from(qid));
            for n in (1..16).filter(|&n| n != 10) {
                assert_eq!(sq.dword(n), 0);
                assert_eq!(cq.dword(n), 0);
            }
        }
    }

    #[test]
    fn with_sgl_sets_psdt_and_data_pointer() {
        let desc = SglDescriptor {
            addr: 0x1122_3344_5566_7788,
            len: 0x9900_aabb,
            kind: SglType::LastSegment,
        };
        let mut cmd = Command::new(0x02).with_prp1(u64::MAX).with_prp2(u64::MAX);
        cmd.set_cid(0x1234);
        let cmd = cmd.with_sgl(desc);
        let b = cmd.to_bytes();
        assert_eq!(b[0], 0x02, "opcode kept");
        assert_eq!(b[1], 0x40, "PSDT 01b in flags bits 7:6");
        assert_eq!(cmd.flags(), 0x40);
        assert_eq!(cmd.cid(), 0x1234, "CID kept");
        assert_eq!(&b[24..40], &desc.to_bytes(), "DPTR holds the descriptor");
        assert_eq!(&b[24..32], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&b[32..36], &0x9900_aabbu32.to_le_bytes());
        assert_eq!(&b[36..39], &[0, 0, 0], "reserved");
        assert_eq!(b[39], 0x30, "Last Segment, address subtype");

        // Applying it twice keeps PSDT at 01b rather than OR-ing bits.
        let again = cmd.with_sgl(desc);
        assert_eq!(again.flags(), 0x40);
        // A command that starts with other PSDT bits ends at 01b too.
        let mut odd = Command::new(0x01);
        odd.dw[0] |= 3 << 14;
        assert_eq!(odd.with_sgl(desc).flags(), 0x40);
    }
}
