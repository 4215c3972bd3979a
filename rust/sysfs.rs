// SPDX-License-Identifier: GPL-2.0

//! What a sysfs attribute's `show` writes into.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use core::fmt;

/// The buffer a sysfs attribute is shown into: one page.
pub struct SysfsBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SysfsBuf<'a> {
    /// An empty buffer over the page sysfs hands a `show` callback.
    ///
    /// # Safety
    ///
    /// `page` points to a writable page (4096 bytes) that nothing else uses
    /// for `'a`.
    pub(crate) unsafe fn from_page(page: *mut kernel::ffi::c_char) -> Self {
        // SAFETY: the caller hands a writable page for `'a`.
        let buf = unsafe { core::slice::from_raw_parts_mut(page.cast::<u8>(), 4096) };
        SysfsBuf { buf, len: 0 }
    }

    /// Bytes written so far: what `show` returns.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl fmt::Write for SysfsBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
