/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line wrappers for the static inline functions and macros the
 * Rust abstractions call; Rust cannot call a static inline directly.
 * Each one does exactly what the wrapped function does.
 */
#ifndef NVME_RS_HELPERS_H
#define NVME_RS_HELPERS_H

#include <linux/types.h>

struct queue_limits;

struct completion;
struct device;
struct pci_dev;
struct hwmon_chip_info;

u32 nvme_rs_readl(const void __iomem *addr);
void nvme_rs_writel(u32 value, void __iomem *addr);
u64 nvme_rs_lo_hi_readq(const void __iomem *addr);
void nvme_rs_lo_hi_writeq(u64 value, void __iomem *addr);
void nvme_rs_hi_lo_writeq(u64 value, void __iomem *addr);
void nvme_rs_dma_rmb(void);
void nvme_rs_wmb(void);
void nvme_rs_mb(void);

void *nvme_rs_dma_alloc_coherent(struct device *dev, size_t size,
				 dma_addr_t *dma_handle, gfp_t gfp);
void nvme_rs_dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
			       dma_addr_t dma_handle);
int nvme_rs_dma_set_mask_and_coherent(struct device *dev, u64 mask);

bool nvme_rs_pcie_aspm_enabled(struct pci_dev *pdev);
bool nvme_rs_pm_suspend_via_firmware(void);
struct device *nvme_rs_hwmon_register(struct device *dev, const char *name,
				      void *drvdata,
				      const struct hwmon_chip_info *chip);
void nvme_rs_hwmon_unregister(struct device *hwmon);
resource_size_t nvme_rs_pci_resource_len(struct pci_dev *pdev, int bar);
resource_size_t nvme_rs_pci_resource_start(struct pci_dev *pdev, int bar);
u64 nvme_rs_pci_bus_address(struct pci_dev *pdev, int bar);
unsigned long nvme_rs_memremap_compat_align(void);
int nvme_rs_pci_p2pdma_add_resource(struct pci_dev *pdev, int bar, size_t size,
				    u64 offset);
void nvme_rs_pci_p2pmem_publish(struct pci_dev *pdev, bool publish);
void *nvme_rs_pci_alloc_p2pmem(struct pci_dev *pdev, size_t size);
void nvme_rs_pci_free_p2pmem(struct pci_dev *pdev, void *addr, size_t size);
u64 nvme_rs_pci_p2pmem_virt_to_bus(struct pci_dev *pdev, void *addr);
int nvme_rs_pci_request_mem_regions(struct pci_dev *pdev, const char *name);
void nvme_rs_pci_release_mem_regions(struct pci_dev *pdev);

void nvme_rs_init_completion(struct completion *x);
void nvme_rs_reinit_completion(struct completion *x);

unsigned long nvme_rs_msecs_to_jiffies(unsigned int ms);
void nvme_rs_usleep_range(unsigned long min_us, unsigned long max_us);

/* Block layer: requests, tag sets, disks. */
struct bio;
struct blk_mq_hw_ctx;
struct blk_mq_tag_set;
struct gendisk;
struct io_comp_batch;
struct request;
struct scatterlist;
struct page;

int nvme_rs_rq_map_sg(struct request *rq, struct scatterlist *sgl);
bool nvme_rs_rq_integrity_segment(struct request *rq, struct page **page,
				  unsigned int *offset, unsigned int *len);

void nvme_rs_sg_init_table(struct scatterlist *sgl, unsigned int nents);

struct gendisk *nvme_rs_alloc_disk(struct blk_mq_tag_set *set,
				   struct queue_limits *lim, void *queuedata);
void nvme_rs_disk_set_name(struct gendisk *disk, const char *name);
struct queue_limits nvme_rs_disk_limits_start_update(struct gendisk *disk);
u64 nvme_rs_disk_capacity(struct gendisk *disk);
int nvme_rs_revalidate_disk_zones(struct gendisk *disk);
int nvme_rs_disk_limits_commit_update(struct gendisk *disk,
				      struct queue_limits *lim);
void nvme_rs_disk_freeze(struct gendisk *disk);
void nvme_rs_disk_unfreeze(struct gendisk *disk);

unsigned int nvme_rs_num_possible_cpus(void);

/* Passthrough requests: user data, execution, io_uring commands. */
struct io_uring_cmd;
struct file;
struct cdev;
struct request_queue;

struct block_device;
bool nvme_rs_bdev_is_partition(struct block_device *bdev);
int nvme_rs_rq_map_user(struct request *rq, u64 ubuf, unsigned int len,
			bool vec, u64 meta, unsigned int meta_len,
			struct io_uring_cmd *ioucmd);
void nvme_rs_rq_set_timeout_ms(struct request *rq, unsigned int ms);
int nvme_rs_rq_poll(struct request *rq, struct io_comp_batch *iob);

/* Timeouts. */
bool nvme_rs_rq_should_fake_timeout(struct request *rq);

struct nvme_rs_user_iter;
struct nvme_rs_user_iter *nvme_rs_user_iter_new(u64 ubuf, unsigned int len,
						bool vec, bool to_user,
						struct io_uring_cmd *ioucmd);
size_t nvme_rs_user_iter_count(struct nvme_rs_user_iter *it);
size_t nvme_rs_user_iter_copy(struct nvme_rs_user_iter *it, void *buf,
			      size_t len);
void nvme_rs_user_iter_free(struct nvme_rs_user_iter *it);

void nvme_rs_uring_cmd_do_in_task_lazy(struct io_uring_cmd *cmd, void *cb);

/* Files and character devices. */
bool nvme_rs_capable_sys_admin(void);
const char *nvme_rs_dev_name(struct device *dev);
int nvme_rs_sysfs_create_link(struct device *dev, struct device *target,
			      const char *name);
void nvme_rs_sysfs_remove_link(struct device *dev, const char *name);

/* PM QoS latency tolerance (C core.c nvme_set_latency_tolerance and its setup). */
void nvme_rs_set_latency_tolerance_callback(struct device *dev,
					    void (*set)(struct device *, s32));
int nvme_rs_dev_pm_qos_update_user_latency_tolerance(struct device *dev, s32 val);
int nvme_rs_dev_pm_qos_expose_latency_tolerance(struct device *dev);
void nvme_rs_dev_pm_qos_hide_latency_tolerance(struct device *dev);

/* Error logging and fault injection (C drivers/nvme/host/fault_inject.c). */
void nvme_rs_log_err_ratelimited(bool passthru, const void *args);

struct nvme_rs_fault_inject;
void nvme_rs_fault_inject_set_default(const char *fail_request);
struct nvme_rs_fault_inject *nvme_rs_fault_inject_create(const char *name);
void nvme_rs_fault_inject_destroy(struct nvme_rs_fault_inject *fi);
bool nvme_rs_fault_inject_should_fail(struct nvme_rs_fault_inject *fi,
				      u16 *status);

bool nvme_rs_acpi_storage_d3(struct device *dev);
const char *nvme_rs_dmi_string(unsigned int which);

#endif
