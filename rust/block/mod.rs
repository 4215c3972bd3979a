// SPDX-License-Identifier: GPL-2.0

//! Multi-queue block devices: tag sets, requests and their DMA mapping,
//! and disks, for drivers whose hardware has submission queues of its own.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)
//!
//! 6.12's `kernel::block::mq` covers a simple RAM disk; a DMA-capable
//! driver also needs per-request data shared with interrupt handlers,
//! polling, queue maps, request lookup by tag, scatter-gather mapping and
//! queue limits, which these modules provide.
//!
//! Per-request data comes in two parts. `Private` belongs to whichever
//! context owns the request: the submission path until the command is
//! handed to the hardware, then the completion callback. It is reachable only
//! through [`request::Owned`], which the abstraction creates in those two
//! callbacks. `Shared` is readable from every context (interrupt handlers,
//! pollers) and holds what they exchange, typically atomics.
//!
//! Submission is split into [`tag_set::Operations::prepare`], which builds
//! the command while owning the request, and
//! [`tag_set::Operations::submit`], which hands it to the hardware and no
//! longer has access to the request: so the completion callback, which may
//! run on another CPU as soon as the hardware sees the command, is the only
//! owner from then on.

pub mod batch;
pub mod disk;
pub mod disk_attr;
pub mod integrity;
pub mod passthrough;
pub mod queue;
pub mod request;
pub mod sg;
pub mod status;
pub mod tag_set;
pub mod zoned;
