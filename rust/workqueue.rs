// SPDX-License-Identifier: GPL-2.0

//! What 6.12's `kernel::workqueue` lacks: waiting for a work item, so that
//! nothing it uses is torn down under it.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use super::bindings;
use kernel::workqueue::Work;

/// Waits until `work` is neither queued nor running (C `flush_work`).
/// Returns whether it had to wait. Must not be called from `work` itself,
/// nor with a lock `work` takes held.
pub fn flush<T: ?Sized, const ID: u64>(work: &Work<T, ID>) -> bool {
    // SAFETY: `work` is a live reference, so the pointer is aligned and not
    // dangling; a `Work` is only ever reachable initialised and pinned, as
    // `flush_work` requires. The two bindings name the same C type.
    unsafe { bindings::flush_work(Work::raw_get(work).cast()) }
}
