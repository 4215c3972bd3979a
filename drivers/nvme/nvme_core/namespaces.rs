// SPDX-License-Identifier: GPL-2.0

//! A controller's namespaces as the system sees them: a disk `nvmeNnM` and
//! a generic node `ngNnM` per usable active namespace, added at probe and
//! added or removed at runtime when a rescan finds the active list changed,
//! and updated when a namespace's format or size changed (C
//! `nvme_scan_work`, `nvme_alloc_ns`, `nvme_validate_ns`, `nvme_ns_remove`).

use super::char_dev::{ControllerNode, GenericMinor, NamespaceNode, NVME_GENERIC_CLASS};
use super::ctrl::{Ctrl, Namespaces, Single};
use super::error_log::ErrorLog;
use super::identify::{log_namespace, Namespace};
use super::instance::Name;
use super::namespace::{DiskProfile, Namespace as Geometry, NsQueue};
use super::ns_attributes::{NsIdentity, NS_ATTRIBUTES};
use super::passthru::{NsCommands, NsShared};
use super::transport::IoOps;
use crate::kernel_ext::block::disk::{Disk, NewDisk};
use crate::kernel_ext::block::disk_attr::DiskAttributes;
use crate::kernel_ext::block::tag_set::TagSet;
use crate::kernel_ext::chrdev::Node;
use crate::kernel_ext::device::Device;
use crate::{dev_err, dev_info};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};

/// What adding a namespace's disk and node needs, on a transport whose
/// blk-mq operations are `O`.
pub struct DiskContext<O: IoOps> {
    /// The tag set over the I/O queues.
    pub tags: Arc<TagSet<O>>,
    /// The controller node, parent of the disks and generic nodes.
    pub parent: Arc<Node<ControllerNode>>,
    /// Controller properties every disk shares.
    pub profile: DiskProfile,
    /// The controller, for the nodes' ioctls and its Identify Controller,
    /// for the disks' limits.
    pub shared: Arc<Ctrl>,
}

/// A namespace with its disk and generic node.
///
/// Fields drop in declaration order: the generic node goes before the
/// disk whose queue its commands use.
struct Member<O: IoOps> {
    nsid: u32,
    /// The format and size the disk has.
    geometry: Geometry,
    /// What the disk's identity attributes show.
    identity: Arc<NsIdentity>,
    /// What the disk's and the node's ioctls share.
    shared: Arc<NsShared<O>>,
    _generic: Node<NamespaceNode>,
    _minor: GenericMinor,
    disk: Disk<O>,
}

/// The members, and what adding more needs until the set is closed.
struct Members<O: IoOps> {
    /// `None` once closed: teardown has begun and nothing may be added.
    ctx: Option<DiskContext<O>>,
    /// In ascending NSID order.
    list: KVec<Member<O>>,
}

/// The namespaces of a controller that has I/O queues.
#[pin_data]
pub struct NamespaceSet<O: IoOps> {
    name: Name,
    #[pin]
    members: Mutex<Members<O>>,
}

impl<O: IoOps> NamespaceSet<O> {
    /// A set with a disk and node for each of `namespaces`.
    pub fn new(name: Name, ctx: DiskContext<O>, namespaces: &[Namespace]) -> Result<Arc<Self>> {
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

    fn add(name: Name, members: &Members<O>, ns: &Namespace) -> Result<Member<O>> {
        let ctx = members.ctx.as_ref().ok_or(ENODEV)?;
        let geometry = Geometry::of(ns);
        let disk_name = CString::try_from_fmt(kernel::fmt!("{}n{}", name, ns.nsid))?;
        // As C's nvme_alloc_ns, before the disk is added.
        let errors = ErrorLog::new(kernel::fmt!("{}", &*disk_name))?;
        let identity = Arc::new(
            NsIdentity::new(ctx.shared.clone(), ns, errors.clone()),
            GFP_KERNEL,
        )?;
        let new_disk = NewDisk::alloc(
            ctx.tags.clone(),
            Arc::new(
                NsQueue {
                    geometry,
                    errors: errors.clone(),
                },
                GFP_KERNEL,
            )?,
            &disk_name,
            &geometry.limits(&ctx.shared.id, &ctx.profile),
            geometry.medium(),
            geometry.access.visible(),
            Some(DiskAttributes {
                list: &NS_ATTRIBUTES,
                data: identity.clone(),
            }),
        )?;
        let shared = Arc::new(
            NsShared::new(
                ctx.shared.clone(),
                ns.nsid,
                ns.format(),
                new_disk.queue_ref(),
                ns.io_effects.clone(),
            ),
            GFP_KERNEL,
        )?;
        // A zoned disk's zones are read before it is added, as C reads them.
        if geometry.zones.is_some() {
            new_disk.set_zones(shared.clone());
        }
        let disk = new_disk.add(ctx.parent.as_dev())?;
        disk.set_ioctl(shared.clone());
        let minor = GenericMinor::alloc()?;
        let generic = Node::<NamespaceNode>::add(
            &NVME_GENERIC_CLASS,
            minor.number(),
            Some(ctx.parent.as_dev()),
            kernel::fmt!("ng{}n{}", name.0, ns.nsid),
            shared.clone() as Arc<dyn NsCommands>,
            &[],
        )?;
        Ok(Member {
            nsid: ns.nsid,
            geometry,
            identity,
            shared,
            _generic: generic,
            _minor: minor,
            disk,
        })
    }

    /// Gives `member`'s disk the format and size `ns` now has, if they
    /// changed (a Format NVM, say): new requests wait while those in
    /// flight finish, then see the new block size, capacity and what block
    /// I/O the new format allows. The disk's visibility must not change.
    fn revalidate(
        name: Name,
        members: &Members<O>,
        member: &mut Member<O>,
        ns: &Namespace,
    ) -> Result {
        let ctx = members.ctx.as_ref().ok_or(ENODEV)?;
        let geometry = Geometry::of(ns);
        member.identity.set_format(ns);
        if geometry == member.geometry {
            // The disk stays as it is, but what passthrough checks may not:
            // interleaved metadata reformatted as separate, say.
            member.shared.set_format(ns.format());
            return Ok(());
        }
        let dev = &*ctx.shared.dev;
        // Allocated before the freeze: reclaim must never wait for this
        // namespace's I/O, which waits for the unfreeze.
        let data = Arc::new(
            NsQueue {
                geometry,
                errors: member.identity.errors.clone(),
            },
            GFP_KERNEL,
        )?;
        let frozen = member.disk.freeze();
        frozen.update(
            data,
            &geometry.limits(&ctx.shared.id, &ctx.profile),
            geometry.medium(),
        )?;
        member.shared.set_format(ns.format());
        drop(frozen);
        member.geometry = geometry;
        // C reads a zoned disk's zones again after the update.
        if geometry.zones.is_some() {
            member.disk.revalidate_zones()?;
        }
        dev_info!(dev, "{}n{}: format or size changed\n", name, ns.nsid);
        log_namespace(dev, name, ns);
        Ok(())
    }

    /// How many namespaces have disks.
    pub fn count(&self) -> usize {
        self.members.lock().list.len()
    }

    /// Makes the members those `identify` returns, the usable active
    /// namespaces in ascending NSID order: removes the disks of namespaces
    /// no longer among them and adds disks for the new ones, in NSID order.
    /// A namespace that stays keeps its disk, updated if its format or size
    /// changed. A namespace whose disk cannot be added or updated is left
    /// out and the first such error returned. Fails with `ENODEV` once the
    /// set is closed.
    ///
    /// Scans run one at a time from identify to update (C's `scan_lock`),
    /// so an older answer can never undo a newer one.
    pub fn rescan(&self, identify: impl FnOnce() -> Result<KVec<Namespace>>) -> Result {
        let mut members = self.members.lock();
        let dev = members.ctx.as_ref().ok_or(ENODEV)?.shared.dev.clone();
        let active = identify()?;
        let dev = &*dev;
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
            // A namespace whose command set changed (deleted and made again
            // under its NSID) gets a new disk: a hidden disk cannot be shown.
            let visible = Geometry::of(ns).access.visible();
            if let Some(changed) =
                old.next_if(|m| m.nsid == ns.nsid && m.geometry.access.visible() != visible)
            {
                Self::remove(dev, self.name, changed);
            }
            if let Some(mut member) = old.next_if(|m| m.nsid == ns.nsid) {
                match Self::revalidate(self.name, &members, &mut member, ns) {
                    Ok(()) => next.push(member, GFP_KERNEL)?,
                    // Its disk would address the namespace with the old
                    // format: take it away rather than corrupt data.
                    Err(err) => {
                        dev_err!(
                            dev,
                            "{}: namespace {} not updated: {:?}\n",
                            self.name,
                            ns.nsid,
                            err
                        );
                        Self::remove(dev, self.name, member);
                        result = result.and(Err(err));
                    }
                }
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
    fn remove(dev: &Device, name: Name, member: Member<O>) {
        let nsid = member.nsid;
        drop(member);
        dev_info!(dev, "{}: namespace {} removed\n", name, nsid);
    }

    /// Runs `f` with every disk's request queue frozen: no block or
    /// passthrough request of these namespaces exists meanwhile (C
    /// `nvme_passthru_start` for a command that must run alone). Scans
    /// wait, so the set cannot change under `f`. `f` must not wait for
    /// the namespaces' I/O.
    pub fn while_frozen<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        let members = self.members.lock();
        let mut frozen = KVec::with_capacity(members.list.len(), GFP_KERNEL)?;
        for member in members.list.iter() {
            // Cannot fail: the capacity is there.
            frozen.push(member.disk.freeze(), GFP_KERNEL)?;
        }
        Ok(f())
    }

    /// Removes every disk and node, and refuses additions from now on.
    pub fn close(&self) {
        let mut members = self.members.lock();
        members.ctx = None;
        drop(core::mem::replace(&mut members.list, KVec::new()));
    }
}

impl<O: IoOps> Namespaces for NamespaceSet<O> {
    fn rescan(&self, identify: &mut dyn FnMut() -> Result<KVec<Namespace>>) -> Result {
        NamespaceSet::rescan(self, identify)
    }

    fn while_frozen(&self, f: &mut dyn FnMut()) -> Result {
        NamespaceSet::while_frozen(self, f)
    }

    fn single_ioctl(
        &self,
        writable: bool,
        cmd: u32,
        arg: usize,
        found: &mut dyn FnMut(),
    ) -> Single {
        let shared = {
            let members = self.members.lock();
            match &members.list[..] {
                [] => return Single::None,
                [only] => only.shared.clone(),
                _ => return Single::Several,
            }
        };
        // Not under `members`: the command may rescan the namespaces.
        found();
        Single::Ran(shared.ioctl(writable, false, cmd, arg))
    }
}
