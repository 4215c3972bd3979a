// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line wrappers for static inline kernel functions; see helpers.h.
 */

#include <linux/acpi.h>
#include <linux/blk-mq.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/hwmon.h>
#include <linux/io_uring/cmd.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/blkdev.h>
#include <linux/blk-integrity.h>
#include <linux/highmem.h>
#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dmi.h>
#include <linux/fault-inject.h>
#include <linux/suspend.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/io-64-nonatomic-hi-lo.h>
#include <linux/jiffies.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/memremap.h>
#include <linux/pm_qos.h>
#include <linux/ratelimit.h>
#include <linux/scatterlist.h>
#include <linux/string.h>

#include "helpers.h"

u32 nvme_rs_readl(const void __iomem *addr)
{
	return readl(addr);
}

void nvme_rs_writel(u32 value, void __iomem *addr)
{
	writel(value, addr);
}

/*
 * NVMe's 64-bit registers are read and written as two 32-bit halves, low
 * first, as the C driver does: some controllers do not handle 64-bit MMIO.
 */
u64 nvme_rs_lo_hi_readq(const void __iomem *addr)
{
	return lo_hi_readq(addr);
}

void nvme_rs_lo_hi_writeq(u64 value, void __iomem *addr)
{
	lo_hi_writeq(value, addr);
}

void nvme_rs_hi_lo_writeq(u64 value, void __iomem *addr)
{
	hi_lo_writeq(value, addr);
}

void nvme_rs_dma_rmb(void)
{
	dma_rmb();
}

void nvme_rs_wmb(void)
{
	wmb();
}

void nvme_rs_mb(void)
{
	mb();
}

void *nvme_rs_dma_alloc_coherent(struct device *dev, size_t size,
				 dma_addr_t *dma_handle, gfp_t gfp)
{
	return dma_alloc_coherent(dev, size, dma_handle, gfp);
}

void nvme_rs_dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
			       dma_addr_t dma_handle)
{
	dma_free_coherent(dev, size, cpu_addr, dma_handle);
}

int nvme_rs_dma_set_mask_and_coherent(struct device *dev, u64 mask)
{
	return dma_set_mask_and_coherent(dev, mask);
}

/* An inline stub without CONFIG_PCIEASPM. */
bool nvme_rs_pcie_aspm_enabled(struct pci_dev *pdev)
{
	return pcie_aspm_enabled(pdev);
}

/* Inline: a flag word the platform's suspend sets. */
bool nvme_rs_pm_suspend_via_firmware(void)
{
	return pm_suspend_via_firmware();
}

/*
 * hwmon is optional: without CONFIG_HWMON (the bench kernel) these refuse,
 * and the driver goes on without temperature sensors.
 */
struct device *nvme_rs_hwmon_register(struct device *dev, const char *name,
				      void *drvdata,
				      const struct hwmon_chip_info *chip)
{
#if IS_REACHABLE(CONFIG_HWMON)
	return hwmon_device_register_with_info(dev, name, drvdata, chip, NULL);
#else
	return ERR_PTR(-EOPNOTSUPP);
#endif
}

void nvme_rs_hwmon_unregister(struct device *hwmon)
{
#if IS_REACHABLE(CONFIG_HWMON)
	hwmon_device_unregister(hwmon);
#endif
}

resource_size_t nvme_rs_pci_resource_len(struct pci_dev *pdev, int bar)
{
	return pci_resource_len(pdev, bar);
}

resource_size_t nvme_rs_pci_resource_start(struct pci_dev *pdev, int bar)
{
	return pci_resource_start(pdev, bar);
}

u64 nvme_rs_pci_bus_address(struct pci_dev *pdev, int bar)
{
	return pci_bus_address(pdev, bar);
}

unsigned long nvme_rs_memremap_compat_align(void)
{
	return memremap_compat_align();
}

/*
 * The peer-to-peer allocator's calls, which are stubs (failing, or
 * allocating nothing) in a kernel without CONFIG_PCI_P2PDMA.
 */
int nvme_rs_pci_p2pdma_add_resource(struct pci_dev *pdev, int bar, size_t size,
				    u64 offset)
{
	return pci_p2pdma_add_resource(pdev, bar, size, offset);
}

void nvme_rs_pci_p2pmem_publish(struct pci_dev *pdev, bool publish)
{
	pci_p2pmem_publish(pdev, publish);
}

void *nvme_rs_pci_alloc_p2pmem(struct pci_dev *pdev, size_t size)
{
	return pci_alloc_p2pmem(pdev, size);
}

void nvme_rs_pci_free_p2pmem(struct pci_dev *pdev, void *addr, size_t size)
{
	pci_free_p2pmem(pdev, addr, size);
}

u64 nvme_rs_pci_p2pmem_virt_to_bus(struct pci_dev *pdev, void *addr)
{
	return pci_p2pmem_virt_to_bus(pdev, addr);
}

int nvme_rs_pci_request_mem_regions(struct pci_dev *pdev, const char *name)
{
	return pci_request_mem_regions(pdev, name);
}

void nvme_rs_pci_release_mem_regions(struct pci_dev *pdev)
{
	pci_release_mem_regions(pdev);
}

void nvme_rs_init_completion(struct completion *x)
{
	init_completion(x);
}

void nvme_rs_reinit_completion(struct completion *x)
{
	reinit_completion(x);
}

unsigned long nvme_rs_msecs_to_jiffies(unsigned int ms)
{
	return msecs_to_jiffies(ms);
}

void nvme_rs_usleep_range(unsigned long min_us, unsigned long max_us)
{
	usleep_range(min_us, max_us);
}

int nvme_rs_rq_map_sg(struct request *rq, struct scatterlist *sgl)
{
	return blk_rq_map_sg(rq->q, rq, sgl);
}

/*
 * The integrity (metadata) buffer of a request with REQ_INTEGRITY, as C's
 * nvme_map_metadata takes it: one bio_vec, since the disk's
 * max_integrity_segments is 1. False without CONFIG_BLK_DEV_INTEGRITY.
 */
bool nvme_rs_rq_integrity_segment(struct request *rq, struct page **page,
				  unsigned int *offset, unsigned int *len)
{
#ifdef CONFIG_BLK_DEV_INTEGRITY
	struct bio_vec bv;

	if (!blk_integrity_rq(rq) || !rq->bio || !rq->bio->bi_integrity)
		return false;
	bv = rq_integrity_vec(rq);
	*page = bv.bv_page;
	*offset = bv.bv_offset;
	*len = bv.bv_len;
	return true;
#else
	return false;
#endif
}

u64 nvme_rs_disk_capacity(struct gendisk *disk)
{
	return get_capacity(disk);
}

/* blk_revalidate_disk_zones, which exists only with CONFIG_BLK_DEV_ZONED. */
int nvme_rs_revalidate_disk_zones(struct gendisk *disk)
{
#ifdef CONFIG_BLK_DEV_ZONED
	return blk_revalidate_disk_zones(disk);
#else
	return -EOPNOTSUPP;
#endif
}

void nvme_rs_sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	sg_init_table(sgl, nents);
}

struct gendisk *nvme_rs_alloc_disk(struct blk_mq_tag_set *set,
				   struct queue_limits *lim, void *queuedata)
{
	return blk_mq_alloc_disk(set, lim, queuedata);
}

void nvme_rs_disk_set_name(struct gendisk *disk, const char *name)
{
	strscpy(disk->disk_name, name, DISK_NAME_LEN);
}

/* Takes the queue's limits lock; the commit below releases it. */
struct queue_limits nvme_rs_disk_limits_start_update(struct gendisk *disk)
{
	return queue_limits_start_update(disk->queue);
}

int nvme_rs_disk_limits_commit_update(struct gendisk *disk,
				      struct queue_limits *lim)
{
	return queue_limits_commit_update(disk->queue, lim);
}

void nvme_rs_disk_freeze(struct gendisk *disk)
{
	blk_mq_freeze_queue(disk->queue);
}

void nvme_rs_disk_unfreeze(struct gendisk *disk)
{
	blk_mq_unfreeze_queue(disk->queue);
}

unsigned int nvme_rs_num_possible_cpus(void)
{
	return num_possible_cpus();
}

/* Passthrough requests ---------------------------------------------------- */

bool nvme_rs_bdev_is_partition(struct block_device *bdev)
{
	return bdev_is_partition(bdev);
}

/*
 * Maps user memory into a passthrough request as the C driver's
 * nvme_map_user_request does: an io_uring registered buffer (never
 * vectored), or a plain or vectored (len = number of iovecs) user buffer.
 */
/*
 * A user address from a passthrough structure, as C's nvme_to_user_ptr: a
 * 32-bit caller's upper bits are ignored, as its own kernel would ignore
 * them. (Registered io_uring buffers take the address as it is, in C too.)
 */
static void __user *nvme_rs_user_ptr(u64 ubuf)
{
	if (in_compat_syscall())
		ubuf = (compat_uptr_t)ubuf;
	return u64_to_user_ptr(ubuf);
}

#ifdef CONFIG_BLK_DEV_INTEGRITY
/*
 * C's blk_rq_integrity_map_user, with the user's pages pinned for the way
 * the device moves the metadata. 6.12's takes a read's buffer as a source
 * (ITER_SOURCE for a read, blk-integrity.c), pinning its pages without
 * FOLL_WRITE, and the device then writes into pages the caller may only
 * read, such as the page cache of a file mapped read-only.
 *
 * One page, aligned for DMA: the request's integrity segment is the user's
 * page, unpinned by blk_rq_unmap_user. Otherwise one bounce buffer (the
 * disk takes one integrity segment), as bio_integrity_copy_user makes it:
 * a write's metadata copied in now; a read's copied out to the pinned pages
 * by blk_rq_unmap_user, which then unpins them. The request's bio must not
 * come from a bio_set with an integrity pool (no REQ_ALLOC_CACHE), so the
 * payload has exactly the vectors asked for, which the unmapping walks.
 */
static int nvme_rs_rq_map_user_meta(struct request *rq, void __user *ubuf,
				    unsigned int len)
{
	bool write = op_is_write(req_op(rq));
	struct bio *bio = rq->bio;
	struct bio_integrity_payload *bip;
	struct page **pages = NULL;
	struct iov_iter iter;
	unsigned int npages, i;
	size_t offset, left;
	ssize_t got;
	void *buf;
	int ret;

	if (bio_integrity(bio) || bio->bi_pool)
		return -EINVAL;
	if (len >> SECTOR_SHIFT > queue_max_hw_sectors(rq->q))
		return -E2BIG;
	iov_iter_ubuf(&iter, write ? ITER_SOURCE : ITER_DEST, ubuf, len);
	npages = iov_iter_npages(&iter, BIO_MAX_VECS + 1);
	if (npages > BIO_MAX_VECS)
		return -E2BIG;
	got = iov_iter_extract_pages(&iter, &pages, len, npages, 0, &offset);
	if (got <= 0) {
		/* The page array is allocated even where nothing was pinned. */
		kvfree(pages);
		return got ? got : -EFAULT;
	}
	npages = DIV_ROUND_UP(offset + got, PAGE_SIZE);
	if (got != len) {
		ret = -EFAULT;
		goto unpin;
	}

	if (npages == 1 && !(offset & queue_dma_alignment(rq->q))) {
		bip = bio_integrity_alloc(bio, GFP_KERNEL, 1);
		if (IS_ERR(bip)) {
			ret = PTR_ERR(bip);
			goto unpin;
		}
		if (bio_integrity_add_page(bio, pages[0], len, offset) != len) {
			ret = -ENOMEM;
			goto unpin;
		}
		goto mapped;
	}

	buf = kmalloc(len, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto unpin;
	}
	if (write) {
		/* Copied in from the pinned pages, which are then let go. */
		for (i = 0, left = len; i < npages; i++) {
			size_t off = i ? 0 : offset;
			size_t n = min_t(size_t, left, PAGE_SIZE - off);

			memcpy_from_page(buf + (len - left), pages[i], off, n);
			left -= n;
		}
		bip = bio_integrity_alloc(bio, GFP_KERNEL, 1);
	} else {
		memset(buf, 0, len);
		bip = bio_integrity_alloc(bio, GFP_KERNEL, npages + 1);
	}
	if (IS_ERR(bip)) {
		kfree(buf);
		ret = PTR_ERR(bip);
		goto unpin;
	}
	if (!write) {
		/* The pages the unmapping copies a read's metadata out to. */
		for (i = 0, left = len; i < npages; i++) {
			size_t off = i ? 0 : offset;
			size_t n = min_t(size_t, left, PAGE_SIZE - off);

			bvec_set_page(&bip->bip_vec[1 + i], pages[i], n, off);
			left -= n;
		}
	}
	if (bio_integrity_add_page(bio, virt_to_page(buf), len,
				   offset_in_page(buf)) != len) {
		kfree(buf);
		ret = -ENOMEM;
		goto unpin;
	}
	bip->bip_flags |= BIP_COPY_USER;
	if (write)
		unpin_user_pages(pages, npages);

mapped:
	kvfree(pages);
	/* One segment: the user's page or the bounce buffer. */
	rq->nr_integrity_segments = 1;
	rq->cmd_flags |= REQ_INTEGRITY;
	return 0;

unpin:
	/* A payload attached goes with the bio (blk_rq_unmap_user). */
	if (bio_integrity(bio)) {
		/* bio_integrity_free for a bio of no bio_set (checked above). */
		kfree(bio_integrity(bio));
		bio->bi_integrity = NULL;
		bio->bi_opf &= ~REQ_INTEGRITY;
	}
	unpin_user_pages(pages, npages);
	kvfree(pages);
	return ret;
}
#endif

/*
 * C nvme_map_user_request: the data, then (with meta_len) the metadata
 * buffer as the request's integrity payload, which the disk must have a
 * profile for. The bio gets the disk's whole-device block_device, which
 * the integrity mapping looks at. On failure nothing stays mapped.
 */
int nvme_rs_rq_map_user(struct request *rq, u64 ubuf, unsigned int len,
			bool vec, u64 meta, unsigned int meta_len,
			struct io_uring_cmd *ioucmd)
{
	struct gendisk *disk = rq->q->disk;
	bool has_metadata = meta && meta_len;
	int ret;

	if (has_metadata &&
	    (!IS_ENABLED(CONFIG_BLK_DEV_INTEGRITY) || !disk ||
	     !blk_get_integrity(disk)))
		return -EINVAL;

	if (ioucmd && (ioucmd->flags & IORING_URING_CMD_FIXED)) {
		struct iov_iter iter;

		if (vec)
			return -EINVAL;
		ret = io_uring_cmd_import_fixed(ubuf, len, rq_data_dir(rq),
						&iter, ioucmd);
		if (ret < 0)
			return ret;
		ret = blk_rq_map_user_iov(rq->q, rq, NULL, &iter, GFP_KERNEL);
	} else {
		ret = blk_rq_map_user_io(rq, NULL, nvme_rs_user_ptr(ubuf), len,
					 GFP_KERNEL, vec, 0, 0, rq_data_dir(rq));
	}
	if (ret || !has_metadata)
		return ret;

#ifdef CONFIG_BLK_DEV_INTEGRITY
	bio_set_dev(rq->bio, disk->part0);
	ret = nvme_rs_rq_map_user_meta(rq, nvme_rs_user_ptr(meta), meta_len);
	if (ret)
		blk_rq_unmap_user(rq->bio);
#endif
	return ret;
}

void nvme_rs_rq_set_timeout_ms(struct request *rq, unsigned int ms)
{
	rq->timeout = ms ? msecs_to_jiffies(ms) : 0;
}

/* The fail_io_timeout fault injection: true when this completion is to be
 * dropped, so the request times out (C nvme_try_complete_req). */
bool nvme_rs_rq_should_fake_timeout(struct request *rq)
{
	return blk_should_fake_timeout(rq->q);
}

/*
 * Polls the hardware queue of a request that may complete, be freed and be
 * reused by another queue of the tag set at any moment (another poller can
 * reap it). blk_rq_poll reads rq->mq_hctx twice and oopses when it turns
 * NULL in between; here it is read once, and used only if it belongs to the
 * queue whose usage reference is held.
 */
int nvme_rs_rq_poll(struct request *rq, struct io_comp_batch *iob)
{
	struct request_queue *q = READ_ONCE(rq->q);
	struct blk_mq_hw_ctx *hctx;
	int ret = 0;

	if (!q || !percpu_ref_tryget(&q->q_usage_counter))
		return 0;
	hctx = READ_ONCE(rq->mq_hctx);
	if (hctx && hctx->queue == q && hctx->type == HCTX_TYPE_POLL)
		ret = q->mq_ops->poll(hctx, iob);
	percpu_ref_put(&q->q_usage_counter);
	return ret;
}

/*
 * A user buffer as an iterator, for commands whose data goes through a
 * kernel buffer: plain, vectored (len = number of iovecs) or an io_uring
 * registered buffer.
 */
struct nvme_rs_user_iter {
	struct iov_iter iter;
	struct iovec *iov;
};

struct nvme_rs_user_iter *nvme_rs_user_iter_new(u64 ubuf, unsigned int len,
						bool vec, bool to_user,
						struct io_uring_cmd *ioucmd)
{
	int dir = to_user ? ITER_DEST : ITER_SOURCE;
	struct nvme_rs_user_iter *it;
	ssize_t ret;

	it = kzalloc(sizeof(*it), GFP_KERNEL);
	if (!it)
		return ERR_PTR(-ENOMEM);
	if (ioucmd && (ioucmd->flags & IORING_URING_CMD_FIXED)) {
		ret = vec ? -EINVAL :
			io_uring_cmd_import_fixed(ubuf, len, dir, &it->iter, ioucmd);
	} else if (vec) {
		ret = import_iovec(dir, nvme_rs_user_ptr(ubuf), len, 0, &it->iov,
				   &it->iter);
	} else {
		ret = import_ubuf(dir, nvme_rs_user_ptr(ubuf), len, &it->iter);
	}
	if (ret < 0) {
		kfree(it);
		return ERR_PTR(ret);
	}
	return it;
}

size_t nvme_rs_user_iter_count(struct nvme_rs_user_iter *it)
{
	return iov_iter_count(&it->iter);
}

/* Copies to or from the user, as the iterator was made; returns bytes copied. */
size_t nvme_rs_user_iter_copy(struct nvme_rs_user_iter *it, void *buf, size_t len)
{
	if (iov_iter_rw(&it->iter) == ITER_DEST)
		return copy_to_iter(buf, len, &it->iter);
	return copy_from_iter(buf, len, &it->iter);
}

void nvme_rs_user_iter_free(struct nvme_rs_user_iter *it)
{
	kfree(it->iov);
	kfree(it);
}

void nvme_rs_uring_cmd_do_in_task_lazy(struct io_uring_cmd *cmd, void *cb)
{
	io_uring_cmd_do_in_task_lazy(cmd, cb);
}

/* Files and character devices --------------------------------------------- */

bool nvme_rs_capable_sys_admin(void)
{
	return capable(CAP_SYS_ADMIN);
}

const char *nvme_rs_dev_name(struct device *dev)
{
	return dev_name(dev);
}

int nvme_rs_sysfs_create_link(struct device *dev, struct device *target,
			      const char *name)
{
	return sysfs_create_link(&dev->kobj, &target->kobj, name);
}

void nvme_rs_sysfs_remove_link(struct device *dev, const char *name)
{
	sysfs_remove_link(&dev->kobj, name);
}

/*
 * The PM QoS latency tolerance: the callback lives in dev->power, which
 * exists only with CONFIG_PM; the dev_pm_qos_* functions are inline stubs
 * without it.
 */
void nvme_rs_set_latency_tolerance_callback(struct device *dev,
					    void (*set)(struct device *, s32))
{
#ifdef CONFIG_PM
	dev->power.set_latency_tolerance = set;
#endif
}

int nvme_rs_dev_pm_qos_update_user_latency_tolerance(struct device *dev, s32 val)
{
	return dev_pm_qos_update_user_latency_tolerance(dev, val);
}

int nvme_rs_dev_pm_qos_expose_latency_tolerance(struct device *dev)
{
	return dev_pm_qos_expose_latency_tolerance(dev);
}

void nvme_rs_dev_pm_qos_hide_latency_tolerance(struct device *dev)
{
	dev_pm_qos_hide_latency_tolerance(dev);
}

/*
 * The rate limits of C's pr_err_ratelimited() calls in nvme_log_error() and
 * nvme_log_err_passthru(): one per call site, named as C's in the
 * "callbacks suppressed" line. `args` is a Rust `fmt::Arguments` (%pA).
 */
static DEFINE_RATELIMIT_STATE(nvme_rs_log_error_rs, DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);
static DEFINE_RATELIMIT_STATE(nvme_rs_log_err_passthru_rs,
			      DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);

void nvme_rs_log_err_ratelimited(bool passthru, const void *args)
{
	bool print = passthru ?
		___ratelimit(&nvme_rs_log_err_passthru_rs, "nvme_log_err_passthru") :
		___ratelimit(&nvme_rs_log_error_rs, "nvme_log_error");

	if (print)
		printk(KERN_ERR "%pA", args);
}

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
/*
 * C's struct nvme_fault_inject with its setup and check
 * (nvme_fault_inject_init/fini, nvme_should_fail): the fault attributes,
 * the status to inject and whether to set DNR, under
 * /sys/kernel/debug/<name>/fault_inject/.
 */
struct nvme_rs_fault_inject {
	struct fault_attr attr;
	struct dentry *parent;
	u16 status;
	bool dont_retry;
};

static DECLARE_FAULT_ATTR(nvme_rs_fail_default_attr);

/*
 * The fail_request parameter, "<interval>,<probability>,<space>,<times>"
 * (C nvme_core.fail_request): the attributes every fault_inject directory
 * made from now on starts with. setup_fault_attr() only reads the string
 * (sscanf) and warns about one it cannot parse, leaving the defaults.
 */
void nvme_rs_fault_inject_set_default(const char *fail_request)
{
	setup_fault_attr(&nvme_rs_fail_default_attr, (char *)fail_request);
}

struct nvme_rs_fault_inject *nvme_rs_fault_inject_create(const char *name)
{
	struct nvme_rs_fault_inject *fi;
	struct dentry *dir, *parent;

	fi = kzalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi)
		return NULL;

	parent = debugfs_create_dir(name, NULL);
	if (IS_ERR(parent)) {
		pr_warn("%s: failed to create debugfs directory\n", name);
		kfree(fi);
		return NULL;
	}

	fi->attr = nvme_rs_fail_default_attr;
	dir = fault_create_debugfs_attr("fault_inject", parent, &fi->attr);
	if (IS_ERR(dir)) {
		pr_warn("%s: failed to create debugfs attr\n", name);
		debugfs_remove_recursive(parent);
		kfree(fi);
		return NULL;
	}
	fi->parent = parent;

	fi->status = NVME_SC_INVALID_OPCODE;
	fi->dont_retry = true;
	debugfs_create_x16("status", 0600, dir, &fi->status);
	debugfs_create_bool("dont_retry", 0600, dir, &fi->dont_retry);
	return fi;
}

void nvme_rs_fault_inject_destroy(struct nvme_rs_fault_inject *fi)
{
	debugfs_remove_recursive(fi->parent);
	kfree(fi);
}

bool nvme_rs_fault_inject_should_fail(struct nvme_rs_fault_inject *fi,
				      u16 *status)
{
	if (!should_fail(&fi->attr, 1))
		return false;
	*status = READ_ONCE(fi->status);
	if (READ_ONCE(fi->dont_retry))
		*status |= NVME_STATUS_DNR;
	return true;
}
#endif /* CONFIG_FAULT_INJECTION_DEBUG_FS */

/* The platform firmware asks for D3 on this storage device (ACPI
 * StorageD3Enable); false without ACPI. */
bool nvme_rs_acpi_storage_d3(struct device *dev)
{
	return acpi_storage_d3(dev);
}

/* The firmware's SMBIOS string for a platform quirk's field, or NULL: 0 the
 * system vendor, 1 the product name, 2 the board vendor, 3 the board name.
 * The strings live as long as the kernel. */
const char *nvme_rs_dmi_string(unsigned int which)
{
	static const int fields[] = {
		DMI_SYS_VENDOR, DMI_PRODUCT_NAME, DMI_BOARD_VENDOR, DMI_BOARD_NAME,
	};

	if (which >= ARRAY_SIZE(fields))
		return NULL;
	return dmi_get_system_info(fields[which]);
}
