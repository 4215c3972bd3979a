// SPDX-License-Identifier: GPL-2.0

//! Interrupt handlers.
//!
//! C header: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h)

use super::bindings;
use core::marker::PhantomData;
use kernel::{error::to_result, prelude::*, str::CString, sync::Arc, types::ForeignOwnable};

/// What a handler did with an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Return {
    /// The interrupt was not from this device (the line may be shared).
    None,
    /// The interrupt was handled.
    Handled,
    /// The handler's thread is to run ([`Handler::handle_thread`]).
    WakeThread,
}

/// Code run in hard interrupt context when an interrupt fires.
///
/// The kernel never runs one registration's handler on two CPUs at once, but
/// it does run it concurrently with the rest of the driver, hence `Sync`.
/// The handler must not sleep.
pub trait Handler: Send + Sync {
    /// The handler has a thread: [`Self::handle_irq`] may return
    /// [`Return::WakeThread`], and [`Self::handle_thread`] then runs in
    /// the IRQ's kernel thread (C `request_threaded_irq` with a
    /// `thread_fn`).
    const THREADED: bool = false;

    /// Handles one interrupt.
    fn handle_irq(&self) -> Return;

    /// The thread's part, in process context; only where
    /// [`Self::THREADED`]. The IRQ core runs one at a time per
    /// registration.
    fn handle_thread(&self) -> Return {
        Return::None
    }
}

/// A handler registered for an IRQ; freed when dropped.
///
/// # Invariants
///
/// `request_threaded_irq(irq, .., cookie)` succeeded, where `cookie` is
/// `Arc::<T>::into_foreign` of the handler; `Drop` calls `free_irq`, which
/// waits for running handlers, and only then releases the `Arc`.
pub struct Registration<T: Handler + 'static> {
    irq: u32,
    cookie: *const kernel::ffi::c_void,
    /// The IRQ core shows this name in /proc/interrupts and keeps a pointer
    /// to it until `free_irq`; the heap buffer does not move with `self`.
    _name: CString,
    _handler: PhantomData<Arc<T>>,
}

// SAFETY: the registration only holds an `Arc<T>` in raw form, and `T` is
// `Send + Sync`.
unsafe impl<T: Handler> Send for Registration<T> {}
// SAFETY: no method mutates through `&self`.
unsafe impl<T: Handler> Sync for Registration<T> {}

impl<T: Handler + 'static> Registration<T> {
    /// Registers `handler` for `irq` under `name` (shown in /proc/interrupts).
    /// The line may be shared with other devices' handlers.
    pub fn request(irq: u32, name: CString, handler: Arc<T>) -> Result<Self> {
        let cookie = handler.into_foreign();
        // SAFETY: `handle` is a valid IRQ handler for a `T` cookie; `cookie`
        // stays valid until `free_irq` in `Drop`; `name` is kept in `self`
        // until then too.
        let ret = unsafe {
            bindings::request_threaded_irq(
                irq,
                Some(Self::handle),
                if T::THREADED {
                    Some(Self::thread)
                } else {
                    None
                },
                bindings::IRQF_SHARED as _,
                name.as_char_ptr(),
                cookie as *mut kernel::ffi::c_void,
            )
        };
        if let Err(err) = to_result(ret) {
            // SAFETY: the IRQ core did not keep `cookie`; take the `Arc` back.
            drop(unsafe { Arc::<T>::from_foreign(cookie) });
            return Err(err);
        }
        // INVARIANT: registered with `cookie`.
        Ok(Registration {
            irq,
            cookie,
            _name: name,
            _handler: PhantomData,
        })
    }

    /// The IRQ number.
    pub fn irq(&self) -> u32 {
        self.irq
    }

    /// The C-facing handler.
    ///
    /// # Safety
    ///
    /// Only the IRQ core calls it, with the `cookie` given at registration.
    unsafe extern "C" fn handle(
        _irq: kernel::ffi::c_int,
        cookie: *mut kernel::ffi::c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: `cookie` is the `Arc<T>` given at registration, which stays
        // alive until `free_irq` has returned, and so beyond this handler.
        let handler = unsafe { Arc::<T>::borrow(cookie) };
        irq_return(handler.handle_irq())
    }

    /// The C-facing thread function, where [`Handler::THREADED`].
    ///
    /// # Safety
    ///
    /// Only the IRQ core calls it, with the `cookie` given at registration.
    unsafe extern "C" fn thread(
        _irq: kernel::ffi::c_int,
        cookie: *mut kernel::ffi::c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: as in `handle`: `free_irq` also waits for the thread.
        let handler = unsafe { Arc::<T>::borrow(cookie) };
        irq_return(handler.handle_thread())
    }
}

/// The C value of `ret`.
#[inline(always)]
fn irq_return(ret: Return) -> bindings::irqreturn_t {
    match ret {
        Return::None => bindings::irqreturn_IRQ_NONE,
        Return::Handled => bindings::irqreturn_IRQ_HANDLED,
        Return::WakeThread => bindings::irqreturn_IRQ_WAKE_THREAD,
    }
}

impl<T: Handler + 'static> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered by the type invariant; `free_irq` returns only
        // once no handler for `cookie` is running or can start.
        unsafe { bindings::free_irq(self.irq, self.cookie as *mut kernel::ffi::c_void) };
        // SAFETY: the IRQ core no longer uses `cookie`; this is the single
        // `from_foreign` matching `into_foreign` in `request`.
        drop(unsafe { Arc::<T>::from_foreign(self.cookie) });
    }
}

/// Waits for handlers of `irq` running on other CPUs to finish.
pub fn synchronize(irq: u32) {
    // SAFETY: any interrupt number may be synchronised; unknown ones return.
    unsafe { bindings::synchronize_irq(irq) };
}

/// An interrupt masked until this is dropped, so code may do what the
/// handler does without racing it (C `disable_irq` ... `enable_irq`). Masking
/// waits for a handler already running; it nests.
///
/// # Invariants
///
/// `disable_irq(irq)` was called once for this value and `Drop` balances it.
pub struct Masked {
    irq: u32,
}

impl Masked {
    /// Masks `irq`, waiting for a running handler. May sleep.
    pub fn new(irq: u32) -> Self {
        // SAFETY: any interrupt number may be disabled; unknown ones return.
        unsafe { bindings::disable_irq(irq) };
        // INVARIANT: disabled once, just now.
        Masked { irq }
    }
}

impl Drop for Masked {
    fn drop(&mut self) {
        // SAFETY: balances the `disable_irq` of `new` (type invariant).
        unsafe { bindings::enable_irq(self.irq) };
    }
}
