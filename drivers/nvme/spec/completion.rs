// SPDX-License-Identifier: GPL-2.0

//! Completion queue entries (NVMe Base Specification 2.0, section 4.6) and
//! their status field. C header: `srctree/include/linux/nvme.h`.

/// Size of a completion queue entry in bytes.
pub const CQE_SIZE: usize = 16;

/// Byte offset of the status field (with the phase tag in bit 0) inside a
/// completion entry; the driver reads it alone first to see whether the
/// entry is new.
pub const STATUS_OFFSET: usize = 14;

/// Status Code Type values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusCodeType {
    /// Generic command status.
    Generic,
    /// Command specific status.
    CommandSpecific,
    /// Media and data integrity errors.
    MediaError,
    /// Path related status.
    Path,
    /// Vendor specific.
    Vendor,
    /// A reserved encoding.
    Reserved(u8),
}

/// The status of a completed command (the status field without the phase tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(u16);

impl Status {
    /// Successful completion.
    pub const SUCCESS: Status = Status(0);

    /// Command Aborted By Host (path related, 71h): what the host records
    /// for a command the controller forgot in a reset (C
    /// `NVME_SC_HOST_ABORTED_CMD`). Retryable.
    pub const HOST_ABORTED: Status = Status(0x371);

    /// The status from the 16-bit status field of a completion entry.
    pub const fn from_field(field: u16) -> Self {
        Status(field >> 1)
    }

    /// The 16-bit status field carrying this status, phase tag clear.
    pub const fn to_field(self) -> u16 {
        self.0 << 1
    }

    /// Status Code (SC).
    pub const fn code(self) -> u8 {
        self.0 as u8
    }

    /// Status Code Type (SCT).
    pub const fn code_type(self) -> StatusCodeType {
        match (self.0 >> 8) & 7 {
            0 => StatusCodeType::Generic,
            1 => StatusCodeType::CommandSpecific,
            2 => StatusCodeType::MediaError,
            3 => StatusCodeType::Path,
            7 => StatusCodeType::Vendor,
            other => StatusCodeType::Reserved(other as u8),
        }
    }

    /// The status as the C driver spells it: SCT in bits 10:8, SC in 7:0,
    /// More and Do Not Retry in bits 13 and 14.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// Whether the command succeeded.
    pub const fn is_success(self) -> bool {
        self.0 & 0x7ff == 0
    }

    /// More information is in the Error Information log (M).
    pub const fn more(self) -> bool {
        self.0 & (1 << 13) != 0
    }

    /// Do Not Retry (DNR): the same command would fail again.
    pub const fn do_not_retry(self) -> bool {
        self.0 & (1 << 14) != 0
    }

    /// Command Retry Delay (CRD): which of Identify Controller's CRDT1-3
    /// the host should wait before a retry; 0 for none.
    pub const fn retry_delay_index(self) -> u8 {
        ((self.0 >> 11) & 3) as u8
    }
}

/// A completion queue entry, decoded from its little-endian wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Command specific result, dword 0.
    pub result: u32,
    /// Command specific result, dword 1.
    pub result_hi: u32,
    /// How far the controller has consumed the submission queue.
    pub sq_head: u16,
    /// The submission queue the command came from.
    pub sq_id: u16,
    /// The identifier the command was submitted with.
    pub cid: u16,
    /// The status field, phase tag included.
    pub status_field: u16,
}

impl Completion {
    /// Decodes the 16 bytes of an entry.
    pub fn from_bytes(b: &[u8; CQE_SIZE]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Completion {
            result: u32_at(0),
            result_hi: u32_at(4),
            sq_head: u16_at(8),
            sq_id: u16_at(10),
            cid: u16_at(12),
            status_field: u16_at(STATUS_OFFSET),
        }
    }

    /// The 16 bytes of the entry, as [`Completion::from_bytes`] reads them.
    pub fn to_bytes(&self) -> [u8; CQE_SIZE] {
        let mut b = [0u8; CQE_SIZE];
        b[0..4].copy_from_slice(&self.result.to_le_bytes());
        b[4..8].copy_from_slice(&self.result_hi.to_le_bytes());
        b[8..10].copy_from_slice(&self.sq_head.to_le_bytes());
        b[10..12].copy_from_slice(&self.sq_id.to_le_bytes());
        b[12..14].copy_from_slice(&self.cid.to_le_bytes());
        b[14..16].copy_from_slice(&self.status_field.to_le_bytes());
        b
    }

    /// The phase tag.
    pub const fn phase(&self) -> bool {
        self.status_field & 1 != 0
    }

    /// The command's status.
    pub const fn status(&self) -> Status {
        Status::from_field(self.status_field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status_field: u16) -> [u8; CQE_SIZE] {
        let mut b = [0u8; CQE_SIZE];
        b[0..4].copy_from_slice(&0x1122_3344u32.to_le_bytes());
        b[4..8].copy_from_slice(&0x5566_7788u32.to_le_bytes());
        b[8..10].copy_from_slice(&17u16.to_le_bytes());
        b[10..12].copy_from_slice(&3u16.to_le_bytes());
        b[12..14].copy_from_slice(&0xabcdu16.to_le_bytes());
        b[14..16].copy_from_slice(&status_field.to_le_bytes());
        b
    }

    #[test]
    fn decode_fields() {
        let c = Completion::from_bytes(&entry(1));
        assert_eq!(c.result, 0x1122_3344);
        assert_eq!(c.result_hi, 0x5566_7788);
        assert_eq!(c.sq_head, 17);
        assert_eq!(c.sq_id, 3);
        assert_eq!(c.cid, 0xabcd);
        assert!(c.phase());
        assert!(c.status().is_success());
    }

    #[test]
    fn bytes_round_trip() {
        for status in [0u16, 1, 0x8005, 0xffff] {
            let raw = entry(status);
            assert_eq!(Completion::from_bytes(&raw).to_bytes(), raw);
        }
    }

    #[test]
    fn phase_is_not_status() {
        let c = Completion::from_bytes(&entry(0));
        assert!(!c.phase());
        assert_eq!(c.status(), Status::SUCCESS);
    }

    #[test]
    fn status_fields() {
        // Invalid Field in Command (generic 0x02) with DNR, phase set.
        let field = (1 << 15) | (0x02 << 1) | 1;
        let s = Completion::from_bytes(&entry(field)).status();
        assert!(!s.is_success());
        assert_eq!(s.code(), 0x02);
        assert_eq!(s.code_type(), StatusCodeType::Generic);
        assert!(s.do_not_retry());
        assert!(!s.more());
        assert_eq!(s.raw(), 0x4002);

        // Unrecovered Read Error: media error type 2, code 0x81, More set.
        let field = (1 << 14) | (2 << 9) | (0x81 << 1);
        let s = Status::from_field(field);
        assert_eq!(s.code_type(), StatusCodeType::MediaError);
        assert_eq!(s.code(), 0x81);
        assert!(s.more());
        assert!(!s.do_not_retry());
        assert!(!s.is_success());
    }

    #[test]
    fn status_code_types() {
        let sct = |t: u16| Status::from_field(t << 9).code_type();
        assert_eq!(sct(0), StatusCodeType::Generic);
        assert_eq!(sct(1), StatusCodeType::CommandSpecific);
        assert_eq!(sct(2), StatusCodeType::MediaError);
        assert_eq!(sct(3), StatusCodeType::Path);
        assert_eq!(sct(4), StatusCodeType::Reserved(4));
        assert_eq!(sct(7), StatusCodeType::Vendor);
        // A non-zero type with a zero code is still a failure.
        assert!(!Status::from_field(1 << 9).is_success());
    }

    #[test]
    fn host_aborted_is_a_retryable_path_status() {
        let st = Status::HOST_ABORTED;
        assert_eq!(st.code(), 0x71);
        assert_eq!(st.code_type(), StatusCodeType::Path);
        assert!(!st.do_not_retry());
        assert_eq!(Status::from_field(st.to_field()), st);
        assert_eq!(st.to_field() & 1, 0);
    }
}
