// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line wrappers for static inline kernel functions; see helpers.h.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/jiffies.h>
#include <linux/pci.h>

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

void nvme_rs_dma_rmb(void)
{
	dma_rmb();
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

void *nvme_rs_pci_get_drvdata(struct pci_dev *pdev)
{
	return pci_get_drvdata(pdev);
}

void nvme_rs_pci_set_drvdata(struct pci_dev *pdev, void *data)
{
	pci_set_drvdata(pdev, data);
}

struct device *nvme_rs_pci_dev(struct pci_dev *pdev)
{
	return &pdev->dev;
}

resource_size_t nvme_rs_pci_resource_len(struct pci_dev *pdev, int bar)
{
	return pci_resource_len(pdev, bar);
}

unsigned long nvme_rs_pci_resource_flags(struct pci_dev *pdev, int bar)
{
	return pci_resource_flags(pdev, bar);
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
