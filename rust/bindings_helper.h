/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers bindgen reads to generate rust/bindings_generated.rs: the C API
 * nvme-rs's abstractions wrap and 6.12's own `kernel::bindings` lacks.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/pci.h>

#include "helpers.h"

/* Constants bindgen cannot see through macros. */
const gfp_t NVME_RS_GFP_KERNEL = GFP_KERNEL;
const unsigned int NVME_RS_PCI_IRQ_MSIX = PCI_IRQ_MSIX;
const unsigned int NVME_RS_PCI_IRQ_MSI = PCI_IRQ_MSI;
const unsigned int NVME_RS_PCI_IRQ_INTX = PCI_IRQ_INTX;
const unsigned int NVME_RS_PCI_IRQ_AFFINITY = PCI_IRQ_AFFINITY;
const unsigned long NVME_RS_IORESOURCE_MEM = IORESOURCE_MEM;
const unsigned int NVME_RS_PCI_ANY_ID = PCI_ANY_ID;
