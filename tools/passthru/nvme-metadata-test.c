// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-metadata-test: passthrough I/O with separate metadata buffers, through
 * NVME_IOCTL_IO64_CMD, NVME_IOCTL_SUBMIT_IO and NVME_URING_CMD_IO on a
 * namespace's generic node (tools/guest/tests/66-formats.sh).
 *
 *     nvme-metadata-test --driver rs|c META_NG META_NSID PI_NG PI_NSID
 *
 * META is a namespace of 512-byte blocks with 8 bytes of separate metadata
 * and no protection information; PI one with 8 bytes of separate PI, Type 1.
 * Prints one "ok - WHAT" or "FAIL - WHAT: got X, want Y" line per check and
 * exits non-zero if any failed.
 *
 * Where the drivers differ (`--driver c` skips these checks):
 * - a metadata buffer shorter than the metadata the command moves: C 6.12
 *   maps it and the controller writes past its end; nvme_rs refuses it
 *   with EINVAL;
 * - a read's metadata buffer in read-only memory: C 6.12 pins it as a
 *   source (blk_rq_integrity_map_user's direction) and the controller
 *   writes into it; nvme_rs pins it for writing, which fails with EFAULT.
 *
 * Writes blocks 2048 to 2055 of both namespaces (1 MiB in), and leaves
 * blocks 2112 to 2119 of the PI namespace with a wrong guard, for
 * 66-formats to read through the block device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define NVM_WRITE 0x01
#define NVM_READ 0x02
#define BLOCKS 8u
#define LBA 512u
#define MS 8u
#define SLBA 2048u
/* Where a block with a wrong guard is left on the PI namespace. */
#define BAD_SLBA 2112u
/* CDW12 PRINFO: PRACT, guard and reference tag checks. */
#define PRACT (1u << 29)
#define PRCHK_GUARD (1u << 28)
#define PRCHK_REF (1u << 26)
/* NVMe status Guard Check Error, as the ioctl returns it (SCT 2, SC 82h). */
#define STATUS_GUARD_CHECK 0x282

static int ok_count, fail_count;
static bool is_c;

static void check(const char *what, long got, long want)
{
	if (got == want) {
		printf("ok - %s\n", what);
		ok_count++;
	} else {
		printf("FAIL - %s: got %ld, want %ld\n", what, got, want);
		fail_count++;
	}
}

/* The status code type and code of a positive NVMe status, without the
 * More and Do Not Retry bits (QEMU may set DNR). */
static long sct_sc(long r)
{
	return r > 0 ? (r & 0x7ff) : r;
}

static long sysret(long r)
{
	return r < 0 ? -errno : r;
}

/* The T10 DIF CRC16 (polynomial 0x8bb7) of len bytes, as crc_t10dif. */
static uint16_t crc_t10dif(const uint8_t *p, size_t len)
{
	uint16_t crc = 0;

	while (len--) {
		crc ^= (uint16_t)(*p++) << 8;
		for (int i = 0; i < 8; i++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1) ^ 0x8bb7 : (uint16_t)(crc << 1);
	}
	return crc;
}

/* Type 1 PI for each block of data: guard, app tag 0, the LBA as ref tag. */
static void make_pi(uint8_t *meta, const uint8_t *data, uint32_t slba)
{
	for (unsigned i = 0; i < BLOCKS; i++) {
		uint16_t guard = crc_t10dif(data + i * LBA, LBA);
		uint32_t ref = slba + i;
		uint8_t *t = meta + i * MS;

		t[0] = guard >> 8;
		t[1] = guard;
		t[2] = t[3] = 0;
		t[4] = ref >> 24;
		t[5] = ref >> 16;
		t[6] = ref >> 8;
		t[7] = ref;
	}
}

static struct nvme_passthru_cmd64 rw(uint8_t opc, uint32_t nsid, uint32_t slba, void *data,
				     void *meta, uint32_t meta_len, uint32_t prinfo)
{
	return (struct nvme_passthru_cmd64){
		.opcode = opc,
		.nsid = nsid,
		.addr = (uintptr_t)data,
		.data_len = BLOCKS * LBA,
		.metadata = (uintptr_t)meta,
		.metadata_len = meta_len,
		.cdw10 = slba,
		.cdw12 = (BLOCKS - 1) | prinfo,
		.cdw14 = prinfo ? slba : 0,
	};
}

static long uring_io(struct io_uring *ring, int fd, const struct nvme_passthru_cmd64 *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	struct nvme_uring_cmd *u;
	long res;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = NVME_URING_CMD_IO;
	u = (void *)sqe->cmd;
	u->opcode = c->opcode;
	u->nsid = c->nsid;
	u->addr = c->addr;
	u->data_len = c->data_len;
	u->metadata = c->metadata;
	u->metadata_len = c->metadata_len;
	u->cdw10 = c->cdw10;
	u->cdw12 = c->cdw12;
	u->cdw14 = c->cdw14;
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe) < 0)
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static int xopen(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		printf("FAIL - setup: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* Separate metadata without PI: it goes to the device and comes back. */
static void meta_checks(struct io_uring *ring, const char *ng, uint32_t nsid, uint8_t *page)
{
	uint8_t *data = page, *rdata = page + 4096;
	/* The write's metadata crosses a page boundary: the block layer
	 * bounces it into one segment. */
	uint8_t *meta = page + 3 * 4096 - 32, *rmeta = page + 3 * 4096 + 512;
	struct nvme_passthru_cmd64 c;
	struct nvme_user_io io;
	char what[160];
	int fd = xopen(ng);

	for (unsigned i = 0; i < BLOCKS * LBA; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (unsigned i = 0; i < BLOCKS * MS; i++)
		meta[i] = (uint8_t)(0xa0 + i);

	c = rw(NVM_WRITE, nsid, SLBA, data, meta, BLOCKS * MS, 0);
	snprintf(what, sizeof(what), "%s: IO64_CMD write with 64 bytes of metadata", ng);
	check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), 0);

	memset(rdata, 0, BLOCKS * LBA);
	memset(rmeta, 0, BLOCKS * MS);
	c = rw(NVM_READ, nsid, SLBA, rdata, rmeta, BLOCKS * MS, 0);
	snprintf(what, sizeof(what), "%s: IO64_CMD read with metadata", ng);
	check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), 0);
	snprintf(what, sizeof(what), "%s: the data read back", ng);
	check(what, !memcmp(rdata, data, BLOCKS * LBA), 1);
	snprintf(what, sizeof(what), "%s: the metadata read back", ng);
	check(what, !memcmp(rmeta, meta, BLOCKS * MS), 1);

	memset(rmeta, 0, BLOCKS * MS);
	c = rw(NVM_READ, nsid, SLBA, rdata, rmeta, BLOCKS * MS, 0);
	snprintf(what, sizeof(what), "%s: NVME_URING_CMD_IO read with metadata", ng);
	check(what, uring_io(ring, fd, &c), 0);
	snprintf(what, sizeof(what), "%s: its metadata", ng);
	check(what, !memcmp(rmeta, meta, BLOCKS * MS), 1);

	memset(rmeta, 0, BLOCKS * MS);
	io = (struct nvme_user_io){
		.opcode = NVM_READ,
		.nblocks = BLOCKS - 1,
		.addr = (uintptr_t)rdata,
		.metadata = (uintptr_t)rmeta,
		.slba = SLBA,
	};
	snprintf(what, sizeof(what), "%s: SUBMIT_IO read with metadata", ng);
	check(what, sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), 0);
	snprintf(what, sizeof(what), "%s: its metadata", ng);
	check(what, !memcmp(rmeta, meta, BLOCKS * MS), 1);
	io.metadata = (uintptr_t)rmeta + 2;
	snprintf(what, sizeof(what), "%s: SUBMIT_IO with an unaligned metadata pointer", ng);
	check(what, sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), -EINVAL);

	/* A read's metadata crossing a page: bounced, then copied out. */
	{
		uint8_t *cross = page + 5 * 4096 - 16;

		memset(cross, 0, BLOCKS * MS);
		c = rw(NVM_READ, nsid, SLBA, rdata, cross, BLOCKS * MS, 0);
		snprintf(what, sizeof(what), "%s: io_uring read, metadata across a page", ng);
		check(what, uring_io(ring, fd, &c), 0);
		snprintf(what, sizeof(what), "%s: its metadata", ng);
		check(what, !memcmp(cross, meta, BLOCKS * MS), 1);
	}

	if (!is_c) {
		/* The device must not write where the caller may only read. */
		uint8_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		c = rw(NVM_READ, nsid, SLBA, rdata, ro, BLOCKS * MS, 0);
		snprintf(what, sizeof(what), "%s: a read's metadata into read-only memory: EFAULT", ng);
		check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), -EFAULT);
		munmap(ro, 4096);
		c = rw(NVM_READ, nsid, SLBA, rdata, rmeta, BLOCKS * MS - 1, 0);
		snprintf(what, sizeof(what), "%s: a metadata buffer a byte short refused", ng);
		check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), -EINVAL);
		snprintf(what, sizeof(what), "%s: and through io_uring", ng);
		check(what, uring_io(ring, fd, &c), -EINVAL);
	} else {
		printf("# skip - %s: short metadata buffer: C maps it, the controller "
		       "writes past it\n",
		       ng);
		printf("# skip - %s: read-only metadata buffer: C 6.12 pins a read's "
		       "buffer as a source and the controller writes into it\n",
		       ng);
	}
	close(fd);
}

/* Type 1 PI in the metadata: the controller checks what the user gives. */
static void pi_checks(struct io_uring *ring, const char *ng, uint32_t nsid, uint8_t *page)
{
	uint8_t *data = page, *rdata = page + 4096, *meta = page + 8192, *rmeta = page + 8192 + 512;
	uint8_t *other = page + 12288;
	struct nvme_passthru_cmd64 c;
	char what[160];
	int fd = xopen(ng);

	for (unsigned i = 0; i < BLOCKS * LBA; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	make_pi(meta, data, SLBA);
	c = rw(NVM_WRITE, nsid, SLBA, data, meta, BLOCKS * MS, PRCHK_GUARD | PRCHK_REF);
	snprintf(what, sizeof(what), "%s: write with valid PI, checked", ng);
	check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), 0);

	memset(rmeta, 0, BLOCKS * MS);
	c = rw(NVM_READ, nsid, SLBA, rdata, rmeta, BLOCKS * MS, PRCHK_GUARD | PRCHK_REF);
	snprintf(what, sizeof(what), "%s: io_uring read with PI, checked", ng);
	check(what, uring_io(ring, fd, &c), 0);
	snprintf(what, sizeof(what), "%s: the PI read back", ng);
	check(what, !memcmp(rmeta, meta, BLOCKS * MS), 1);

	/* A wrong guard: refused by the controller, nothing written. */
	for (unsigned i = 0; i < BLOCKS * LBA; i++)
		other[i] = (uint8_t)~data[i];
	meta[0] ^= 0xff;
	c = rw(NVM_WRITE, nsid, SLBA, other, meta, BLOCKS * MS, PRCHK_GUARD | PRCHK_REF);
	snprintf(what, sizeof(what), "%s: write with a wrong guard: Guard Check Error", ng);
	check(what, sct_sc(sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c))), STATUS_GUARD_CHECK);
	snprintf(what, sizeof(what), "%s: and through io_uring", ng);
	check(what, sct_sc(uring_io(ring, fd, &c)), STATUS_GUARD_CHECK);
	memset(rdata, 0, BLOCKS * LBA);
	c = rw(NVM_READ, nsid, SLBA, rdata, NULL, 0, PRACT | PRCHK_GUARD | PRCHK_REF);
	snprintf(what, sizeof(what), "%s: read with PRACT after it", ng);
	check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), 0);
	snprintf(what, sizeof(what), "%s: the data is what was written before", ng);
	check(what, !memcmp(rdata, data, BLOCKS * LBA), 1);

	/* Unchecked, the same PI goes to the medium (at BAD_SLBA), for the
	 * caller to read through the block device: a protection error. */
	c = rw(NVM_WRITE, nsid, BAD_SLBA, other, meta, BLOCKS * MS, 0);
	snprintf(what, sizeof(what), "%s: the wrong guard written unchecked at LBA %u", ng,
		 BAD_SLBA);
	check(what, sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c)), 0);
	close(fd);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	uint8_t *page;

	if (argc != 7 || strcmp(argv[1], "--driver") || (strcmp(argv[2], "rs") && strcmp(argv[2], "c"))) {
		fprintf(stderr,
			"usage: nvme-metadata-test --driver rs|c META_NG META_NSID PI_NG PI_NSID\n");
		return 2;
	}
	is_c = !strcmp(argv[2], "c");
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || io_uring_queue_init(4, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32) < 0) {
		printf("FAIL - setup: mmap or io_uring_queue_init\n");
		return 2;
	}
	meta_checks(&ring, argv[3], (uint32_t)strtoul(argv[4], NULL, 0), page);
	pi_checks(&ring, argv[5], (uint32_t)strtoul(argv[6], NULL, 0), page);
	printf("# nvme-metadata-test: %d ok, %d FAIL\n", ok_count, fail_count);
	return fail_count ? 1 : 0;
}
