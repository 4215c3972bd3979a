// SPDX-License-Identifier: GPL-2.0

//! Controller instance numbers: the `N` in `nvmeN`, lowest free first, so a
//! controller that is unbound and bound again gets its old name back, as
//! with the C driver's IDA.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

/// One bit per instance number in use.
static IN_USE: AtomicU64 = AtomicU64::new(0);

/// Most controllers one module instance drives at once.
pub const MAX_INSTANCES: u32 = u64::BITS;

/// A controller's instance number, released when dropped.
///
/// # Invariants
///
/// Bit `self.0` of `IN_USE` is set and owned by this value.
#[derive(Debug)]
pub struct Instance(u32);

impl Instance {
    /// Takes the lowest free instance number.
    pub fn alloc() -> Result<Self> {
        let mut used = IN_USE.load(Ordering::Relaxed);
        loop {
            let free = (!used).trailing_zeros();
            if free >= MAX_INSTANCES {
                return Err(ENOSPC);
            }
            match IN_USE.compare_exchange_weak(
                used,
                used | 1 << free,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                // INVARIANT: the bit was clear and this exchange set it.
                Ok(_) => return Ok(Instance(free)),
                Err(now) => used = now,
            }
        }
    }

    /// The number.
    pub fn number(&self) -> u32 {
        self.0
    }

    /// The name, for code that outlives or does not own the instance.
    pub fn name(&self) -> Name {
        Name(self.0)
    }
}

/// A controller's name, `nvmeN`, by its instance number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name(pub u32);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nvme{}", self.0)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        IN_USE.fetch_and(!(1 << self.0), Ordering::AcqRel);
    }
}

/// Shows the controller's name, `nvmeN`.
impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name().fmt(f)
    }
}
