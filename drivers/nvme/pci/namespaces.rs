// SPDX-License-Identifier: GPL-2.0

//! A controller's namespaces as the system sees them: a disk `nvmeNnM` and
//! a generic node `ngNnM` per usable active namespace, added at probe and
//! added or removed at runtime when a rescan finds the active list changed
//! (C `nvme_scan_work`, `nvme_alloc_ns`, `nvme_ns_remove`).

use super::blk_ops::NvmeOps;
use super::char_dev::{ControllerNode, GenericMinor, NamespaceNode, NVME_GENERIC_CLASS};
use super::passthru::{CtrlShared, NsShared};
use crate::kernel_ext::block::disk::Disk;
use crate::kernel_ext::block::tag_set::TagSet;
use crate::kernel_ext::chrdev::Node;
use crate::kernel_ext::device::Device;
use crate::nvme_core::identify::{log_namespace, Namespace};
use crate::nvme_core::instance::Name;
use crate::nvme_core::namespace::{DiskProfile, Namespace as Geometry};
use crate::spec::identify::IdentifyController;
use crate::{dev_err, dev_info};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};

/// What adding a namespace's disk and node needs.
pub struct DiskContext {
    /// The tag set over the I/O queues.
    pub tags: Arc<TagSet<NvmeOps>>,
    /// The controller node, parent of the disks and generic nodes.
    pub parent: Arc<Node<ControllerNode>>,
    /// Identify Controller, for the disks' limits.
    pub id: IdentifyController,
    /// Controller properties every disk shares.
    pub profile: DiskProfile,
    /// The controller's shared state, for the nodes' ioctls.
    pub shared: Arc<CtrlShared>,
}

/// A namespace with its disk and generic node.
///
/// Fields drop in declaration order: the generic node goes before the
/// disk whose queue its commands use.
struct Member {
    nsid: u32,
    _generic: Node<NamespaceNode>,
    _minor: GenericMinor,
    _disk: Disk<NvmeOps>,
}

/// The members, and what adding more needs until the set is closed.
struct Members {
    /// `None` once closed: teardown has begun and nothing may be added.
    ctx: Option<DiskContext>,
    /// In ascending NSID order.
    list: KVec<Member>,
}

/// The namespaces of a controller that has I/O queues.
#[pin_data]
pub struct NamespaceSet {
    name: Name,
    #[pin]
    members: Mutex<Members>,
}

impl NamespaceSet {
    /// A set with a disk and node for each of `namespaces`.
    pub fn new(name: Name, ctx: DiskContext, namespaces: &[Namespace]) -> Result<Arc<Self>> {
        let mut members = Members {
            ctx: Some(ctx),
            list: KVec::with_capacity(namespaces.len(), GFP_KERNEL)?,
        };
        for ns in namespaces {
            let member = Self::add(name, &members, ns)?;
            members.list.push(member, GFP_KERNEL)?;
        }
        Arc::pin_init(
            pin_init!(NamespaceSet {
                name,
                members <- new_mutex!(members),
            }),
            GFP_KERNEL,
        )
    }

    fn add(name: Name, members: &Members, ns: &Namespace) -> Result<Member> {
        let ctx = members.ctx.as_ref().ok_or(ENODEV)?;
        let geometry = Geometry::new(ns.nsid, &ns.id);
        let disk_name = CString::try_from_fmt(kernel::fmt!("{}n{}", name, ns.nsid))?;
        let disk = Disk::add(
            ctx.tags.clone(),
            Arc::new(geometry, GFP_KERNEL)?,
            &disk_name,
            &geometry.limits(&ctx.id, &ctx.profile),
            geometry.capacity_sectors(),
            ctx.parent.as_dev(),
        )?;
        let shared = Arc::new(
            NsShared::new(
                ctx.shared.clone(),
                ns.nsid,
                geometry.lba_shift,
                disk.queue_ref(),
            ),
            GFP_KERNEL,
        )?;
        disk.set_ioctl(shared.clone());
        let minor = GenericMinor::alloc()?;
        let generic = Node::<NamespaceNode>::add(
            &NVME_GENERIC_CLASS,
            minor.number(),
            Some(ctx.parent.as_dev()),
            kernel::fmt!("ng{}n{}", name.0, ns.nsid),
            shared,
            &[],
        )?;
        Ok(Member {
            nsid: ns.nsid,
            _generic: generic,
            _minor: minor,
            _disk: disk,
        })
    }

    /// How many namespaces have disks.
    pub fn count(&self) -> usize {
        self.members.lock().list.len()
    }

    /// Makes the members those `identify` returns, the usable active
    /// namespaces in ascending NSID order: removes the disks of namespaces
    /// no longer among them and adds disks for the new ones, in NSID order.
    /// A namespace that stays keeps its disk. A namespace whose disk cannot
    /// be added is left out and the first such error returned. Fails with
    /// `ENODEV` once the set is closed.
    ///
    /// Scans run one at a time from identify to update (C's `scan_lock`),
    /// so an older answer can never undo a newer one.
    pub fn rescan(&self, identify: impl FnOnce() -> Result<KVec<Namespace>>) -> Result {
        let mut members = self.members.lock();
        let dev = members.ctx.as_ref().ok_or(ENODEV)?.shared.pdev.clone();
        let active = identify()?;
        let dev = dev.as_dev();
        // Allocated up front: once the old list is taken, nothing may fail.
        let mut next = KVec::with_capacity(active.len(), GFP_KERNEL)?;
        // Both lists ascend by NSID: walk them side by side.
        let mut old = core::mem::replace(&mut members.list, KVec::new())
            .into_iter()
            .peekable();
        let mut result = Ok(());
        for ns in active.iter() {
            // Deleting a disk fails its queued and new requests and waits
            // for those in flight.
            while let Some(gone) = old.next_if(|m| m.nsid < ns.nsid) {
                Self::remove(dev, self.name, gone);
            }
            if let Some(member) = old.next_if(|m| m.nsid == ns.nsid) {
                next.push(member, GFP_KERNEL)?;
                continue;
            }
            log_namespace(dev, self.name, ns);
            match Self::add(self.name, &members, ns) {
                Ok(member) => {
                    next.push(member, GFP_KERNEL)?;
                    dev_info!(dev, "{}: namespace {} added\n", self.name, ns.nsid);
                }
                Err(err) => {
                    dev_err!(
                        dev,
                        "{}: namespace {} not added: {:?}\n",
                        self.name,
                        ns.nsid,
                        err
                    );
                    result = result.and(Err(err));
                }
            }
        }
        for gone in old {
            Self::remove(dev, self.name, gone);
        }
        members.list = next;
        result
    }

    /// Deletes `member`'s node and disk, saying so.
    fn remove(dev: &Device, name: Name, member: Member) {
        let nsid = member.nsid;
        drop(member);
        dev_info!(dev, "{}: namespace {} removed\n", name, nsid);
    }

    /// Removes every disk and node, and refuses additions from now on.
    pub fn close(&self) {
        let mut members = self.members.lock();
        members.ctx = None;
        drop(core::mem::replace(&mut members.list, KVec::new()));
    }
}
