/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line wrappers for the static inline functions and macros the
 * Rust abstractions call; Rust cannot call a static inline directly.
 * Each one does exactly what the wrapped function does.
 */
#ifndef NVME_RS_HELPERS_H
#define NVME_RS_HELPERS_H

#include <linux/types.h>

struct completion;
struct device;
struct pci_dev;

u32 nvme_rs_readl(const void __iomem *addr);
void nvme_rs_writel(u32 value, void __iomem *addr);
u64 nvme_rs_lo_hi_readq(const void __iomem *addr);
void nvme_rs_lo_hi_writeq(u64 value, void __iomem *addr);
void nvme_rs_dma_rmb(void);

void *nvme_rs_dma_alloc_coherent(struct device *dev, size_t size,
				 dma_addr_t *dma_handle, gfp_t gfp);
void nvme_rs_dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
			       dma_addr_t dma_handle);
int nvme_rs_dma_set_mask_and_coherent(struct device *dev, u64 mask);

void *nvme_rs_pci_get_drvdata(struct pci_dev *pdev);
void nvme_rs_pci_set_drvdata(struct pci_dev *pdev, void *data);
struct device *nvme_rs_pci_dev(struct pci_dev *pdev);
resource_size_t nvme_rs_pci_resource_len(struct pci_dev *pdev, int bar);
unsigned long nvme_rs_pci_resource_flags(struct pci_dev *pdev, int bar);
int nvme_rs_pci_request_mem_regions(struct pci_dev *pdev, const char *name);
void nvme_rs_pci_release_mem_regions(struct pci_dev *pdev);

void nvme_rs_init_completion(struct completion *x);
void nvme_rs_reinit_completion(struct completion *x);

unsigned long nvme_rs_msecs_to_jiffies(unsigned int ms);
void nvme_rs_usleep_range(unsigned long min_us, unsigned long max_us);

#endif
