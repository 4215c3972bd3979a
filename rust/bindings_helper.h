/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers bindgen reads to generate rust/bindings_generated.rs: the C API
 * nvme-rs's abstractions wrap and 6.12's own `kernel::bindings` lacks.
 */

#include <linux/blk-mq.h>
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/hwmon.h>
#include <linux/io_uring/cmd.h>
#include <linux/blk-mq-pci.h>
#include <linux/blkdev.h>
#include <linux/blk-integrity.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/dmapool.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/workqueue.h>

#include "helpers.h"

/* Constants bindgen cannot see through macros. */
const gfp_t NVME_RS_GFP_KERNEL = GFP_KERNEL;
const unsigned int NVME_RS_PCI_IRQ_MSIX = PCI_IRQ_MSIX;
const unsigned int NVME_RS_PCI_IRQ_MSI = PCI_IRQ_MSI;
const unsigned int NVME_RS_PCI_IRQ_INTX = PCI_IRQ_INTX;
const unsigned int NVME_RS_PCI_IRQ_AFFINITY = PCI_IRQ_AFFINITY;
const unsigned long NVME_RS_IORESOURCE_MEM = IORESOURCE_MEM;
const unsigned int NVME_RS_PCI_STD_NUM_BARS = PCI_STD_NUM_BARS;
const unsigned int NVME_RS_PCI_ANY_ID = PCI_ANY_ID;
const pci_channel_state_t NVME_RS_PCI_CHANNEL_IO_NORMAL = pci_channel_io_normal;
const pci_channel_state_t NVME_RS_PCI_CHANNEL_IO_FROZEN = pci_channel_io_frozen;
const pci_ers_result_t NVME_RS_PCI_ERS_RESULT_NONE = PCI_ERS_RESULT_NONE;
const pci_ers_result_t NVME_RS_PCI_ERS_RESULT_CAN_RECOVER = PCI_ERS_RESULT_CAN_RECOVER;
const pci_ers_result_t NVME_RS_PCI_ERS_RESULT_NEED_RESET = PCI_ERS_RESULT_NEED_RESET;
const pci_ers_result_t NVME_RS_PCI_ERS_RESULT_DISCONNECT = PCI_ERS_RESULT_DISCONNECT;
const pci_ers_result_t NVME_RS_PCI_ERS_RESULT_RECOVERED = PCI_ERS_RESULT_RECOVERED;
const gfp_t NVME_RS_GFP_ATOMIC = GFP_ATOMIC;
const gfp_t NVME_RS_GFP_NOWAIT = GFP_NOWAIT;
const unsigned long NVME_RS_DMA_ATTR_NO_WARN = DMA_ATTR_NO_WARN;
const unsigned long NVME_RS_DMA_ATTR_NO_KERNEL_MAPPING = DMA_ATTR_NO_KERNEL_MAPPING;
const unsigned long NVME_RS_MAX_ORDER_NR_PAGES = MAX_ORDER_NR_PAGES;
const req_flags_t NVME_RS_RQF_SPECIAL_PAYLOAD = RQF_SPECIAL_PAYLOAD;
const req_flags_t NVME_RS_RQF_SCHED_TAGS = RQF_SCHED_TAGS;
/* What C blk_mq_need_time_stamp() looks for in a block request. */
const req_flags_t NVME_RS_RQF_NEED_TIME_STAMP = RQF_IO_STAT | RQF_STATS | RQF_USE_SCHED;

const blk_status_t NVME_RS_BLK_STS_OK = BLK_STS_OK;
const blk_status_t NVME_RS_BLK_STS_NOTSUPP = BLK_STS_NOTSUPP;
const blk_status_t NVME_RS_BLK_STS_TIMEOUT = BLK_STS_TIMEOUT;
const blk_status_t NVME_RS_BLK_STS_NOSPC = BLK_STS_NOSPC;
const blk_status_t NVME_RS_BLK_STS_TRANSPORT = BLK_STS_TRANSPORT;
const blk_status_t NVME_RS_BLK_STS_TARGET = BLK_STS_TARGET;
const blk_status_t NVME_RS_BLK_STS_RESV_CONFLICT = BLK_STS_RESV_CONFLICT;
const blk_status_t NVME_RS_BLK_STS_MEDIUM = BLK_STS_MEDIUM;
const blk_status_t NVME_RS_BLK_STS_PROTECTION = BLK_STS_PROTECTION;
const blk_status_t NVME_RS_BLK_STS_RESOURCE = BLK_STS_RESOURCE;
const blk_status_t NVME_RS_BLK_STS_IOERR = BLK_STS_IOERR;
const blk_status_t NVME_RS_BLK_STS_DEV_RESOURCE = BLK_STS_DEV_RESOURCE;
const blk_status_t NVME_RS_BLK_STS_ZONE_OPEN_RESOURCE = BLK_STS_ZONE_OPEN_RESOURCE;
const blk_status_t NVME_RS_BLK_STS_ZONE_ACTIVE_RESOURCE = BLK_STS_ZONE_ACTIVE_RESOURCE;
const blk_status_t NVME_RS_BLK_STS_AGAIN = BLK_STS_AGAIN;

const blk_features_t NVME_RS_BLK_FEAT_WRITE_CACHE = BLK_FEAT_WRITE_CACHE;
const blk_features_t NVME_RS_BLK_FEAT_FUA = BLK_FEAT_FUA;
const blk_features_t NVME_RS_BLK_FEAT_POLL = BLK_FEAT_POLL;
const blk_features_t NVME_RS_BLK_FEAT_NOWAIT = BLK_FEAT_NOWAIT;
const blk_features_t NVME_RS_BLK_FEAT_ZONED = BLK_FEAT_ZONED;
const int NVME_RS_GENHD_FL_HIDDEN = GENHD_FL_HIDDEN;

const blk_opf_t NVME_RS_REQ_FUA = REQ_FUA;
const blk_opf_t NVME_RS_REQ_INTEGRITY = REQ_INTEGRITY;
const unsigned char NVME_RS_BLK_INTEGRITY_DEVICE_CAPABLE = BLK_INTEGRITY_DEVICE_CAPABLE;
const unsigned char NVME_RS_BLK_INTEGRITY_REF_TAG = BLK_INTEGRITY_REF_TAG;
const blk_opf_t NVME_RS_REQ_NOUNMAP = REQ_NOUNMAP;
const blk_opf_t NVME_RS_REQ_FAILFAST_DEV = REQ_FAILFAST_DEV;
const blk_opf_t NVME_RS_REQ_POLLED = REQ_POLLED;
const blk_opf_t NVME_RS_REQ_NOWAIT = REQ_NOWAIT;
const blk_opf_t NVME_RS_REQ_ALLOC_CACHE = REQ_ALLOC_CACHE;
const blk_opf_t NVME_RS_REQ_OP_MASK = REQ_OP_MASK;
const unsigned int NVME_RS_REQ_OP_READ = REQ_OP_READ;
const unsigned int NVME_RS_REQ_OP_WRITE = REQ_OP_WRITE;
const unsigned int NVME_RS_REQ_OP_FLUSH = REQ_OP_FLUSH;
const unsigned int NVME_RS_REQ_OP_DISCARD = REQ_OP_DISCARD;
const unsigned int NVME_RS_REQ_OP_WRITE_ZEROES = REQ_OP_WRITE_ZEROES;
const unsigned int NVME_RS_REQ_OP_DRV_IN = REQ_OP_DRV_IN;
const unsigned int NVME_RS_REQ_OP_ZONE_APPEND = REQ_OP_ZONE_APPEND;
const unsigned int NVME_RS_REQ_OP_ZONE_OPEN = REQ_OP_ZONE_OPEN;
const unsigned int NVME_RS_REQ_OP_ZONE_CLOSE = REQ_OP_ZONE_CLOSE;
const unsigned int NVME_RS_REQ_OP_ZONE_FINISH = REQ_OP_ZONE_FINISH;
const unsigned int NVME_RS_REQ_OP_ZONE_RESET = REQ_OP_ZONE_RESET;
const unsigned int NVME_RS_REQ_OP_ZONE_RESET_ALL = REQ_OP_ZONE_RESET_ALL;
const unsigned char NVME_RS_BLK_ZONE_TYPE_SEQWRITE_REQ = BLK_ZONE_TYPE_SEQWRITE_REQ;
const unsigned int NVME_RS_REQ_OP_DRV_OUT = REQ_OP_DRV_OUT;

const unsigned int NVME_RS_BLK_MQ_F_SHOULD_MERGE = BLK_MQ_F_SHOULD_MERGE;
const unsigned int NVME_RS_HCTX_TYPE_DEFAULT = HCTX_TYPE_DEFAULT;
const unsigned int NVME_RS_HCTX_TYPE_READ = HCTX_TYPE_READ;
const unsigned int NVME_RS_HCTX_TYPE_POLL = HCTX_TYPE_POLL;

const unsigned int NVME_RS_IO_URING_F_NONBLOCK = IO_URING_F_NONBLOCK;
const fmode_t NVME_RS_FMODE_WRITE = FMODE_WRITE;

const bool NVME_RS_FAIL_IO_TIMEOUT = IS_ENABLED(CONFIG_FAIL_IO_TIMEOUT);
const unsigned long NVME_RS_QUEUE_FLAG_FAIL_IO_MASK = 1UL << QUEUE_FLAG_FAIL_IO;
const unsigned int NVME_RS_IO_URING_F_IOPOLL = IO_URING_F_IOPOLL;
const unsigned int NVME_RS_IO_URING_F_SQE128 = IO_URING_F_SQE128;
const unsigned int NVME_RS_IO_URING_F_CQE32 = IO_URING_F_CQE32;
const unsigned int NVME_RS_BLK_MQ_REQ_NOWAIT = BLK_MQ_REQ_NOWAIT;
const int NVME_RS_EIOCBQUEUED = EIOCBQUEUED;
const unsigned int NVME_RS_RQ_END_IO_FREE = RQ_END_IO_FREE;
const unsigned int NVME_RS_RQ_END_IO_NONE = RQ_END_IO_NONE;
const blk_mode_t NVME_RS_BLK_OPEN_WRITE = BLK_OPEN_WRITE;

/* hwmon: the sensor types and temperature attributes nvme_rs shows. */
const u32 NVME_RS_HWMON_CHIP = hwmon_chip;
const u32 NVME_RS_HWMON_TEMP = hwmon_temp;
const u32 NVME_RS_HWMON_C_REGISTER_TZ = HWMON_C_REGISTER_TZ;
const u32 NVME_RS_HWMON_TEMP_INPUT = hwmon_temp_input;
const u32 NVME_RS_HWMON_TEMP_MAX = hwmon_temp_max;
const u32 NVME_RS_HWMON_TEMP_MIN = hwmon_temp_min;
const u32 NVME_RS_HWMON_TEMP_CRIT = hwmon_temp_crit;
const u32 NVME_RS_HWMON_TEMP_ALARM = hwmon_temp_alarm;
const u32 NVME_RS_HWMON_TEMP_LABEL = hwmon_temp_label;

/* uevents */
const u32 NVME_RS_KOBJ_CHANGE = KOBJ_CHANGE;
