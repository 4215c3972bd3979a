// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-compat-test: the NVMe passthrough ioctls as a 32-bit program sees
 * them, through the drivers' compat_ioctl on /dev/nvme0 and namespace 1's
 * /dev/ng0nX and /dev/nvme0nX (tools/guest/tests/85-passthru-compat.sh).
 * X is found from sysfs `nsid`: C scans namespaces in parallel, so its
 * NSID 1 is not always nvme0n1.
 *
 * Built twice from this source: `gcc -m32` (the point) and natively (the
 * same checks from a 64-bit program, so a check that fails only in the
 * 32-bit build is a compat bug, not a wrong expectation). Prints one
 *     ok - WHAT
 *     FAIL - WHAT: got X, want Y
 * line per check and exits non-zero if any failed.
 *
 * Where a 32-bit caller differs:
 * - struct nvme_user_io is 44 bytes (its 64-bit fields 4-byte aligned), so
 *   NVME_IOCTL_SUBMIT_IO has another number. nvme_rs accepts it; C 6.12
 *   means to (ioctl.c's NVME_IOCTL_SUBMIT_IO32) but its guard,
 *   `#ifdef COMPAT_FOR_U64_ALIGNMENT`, names a macro nothing defines, so
 *   it refuses with ENOTTY: `--driver c` expects that.
 * - C ignores the upper 32 bits of a 32-bit caller's buffer addresses
 *   (nvme_to_user_ptr), where a 64-bit caller gets EFAULT.
 * - iovec arrays are 32-bit struct iovecs.
 *
 * Writes to one scratch region of namespace 1 (26 MiB in, clear of
 * nvme-passthru-test's regions).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nvme_ioctl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define CTRL_DEV "/dev/nvme0"
#define REGION_BYTES (26u << 20)
#define XFER 8192u

#define NVM_WRITE 0x01
#define NVM_READ 0x02
#define ADM_IDENTIFY 0x06

static int ok_count, fail_count;
static bool is_c;
static const bool compat = sizeof(void *) == 4;

static void check_ret(const char *what, long got, long want)
{
	if (got == want) {
		printf("ok - %s\n", what);
		ok_count++;
	} else {
		printf("FAIL - %s: got %ld, want %ld\n", what, got, want);
		fail_count++;
	}
}

static void check_true(const char *what, bool good)
{
	check_ret(what, good, true);
}

/* 0, an NVMe status (positive) or -errno, as the ioctl gives it. */
static long sysret(long r)
{
	return r < 0 ? -errno : r;
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

static unsigned sysfs_uint(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned v = 0;

	if (!f || fscanf(f, "%u", &v) != 1 || !v) {
		printf("FAIL - setup: read %s\n", path);
		exit(2);
	}
	fclose(f);
	return v;
}

static void fill(uint8_t *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static struct nvme_passthru_cmd rw32(uint8_t opc, uint64_t slba, unsigned blocks, uint64_t addr)
{
	struct nvme_passthru_cmd c = {
		.opcode = opc,
		.nsid = 1,
		.addr = addr,
		.data_len = XFER,
		.cdw10 = (uint32_t)slba,
		.cdw11 = (uint32_t)(slba >> 32),
		.cdw12 = blocks - 1,
	};
	return c;
}

static struct nvme_passthru_cmd64 rw64(uint8_t opc, uint64_t slba, unsigned blocks,
				       uint64_t addr, uint32_t len)
{
	struct nvme_passthru_cmd64 c = {
		.opcode = opc,
		.nsid = 1,
		.addr = addr,
		.data_len = len,
		.cdw10 = (uint32_t)slba,
		.cdw11 = (uint32_t)(slba >> 32),
		.cdw12 = blocks - 1,
	};
	return c;
}

static void admin_checks(const char *serial)
{
	static uint8_t id[4096];
	int fd = xopen(CTRL_DEV);
	struct nvme_passthru_cmd c = {
		.opcode = ADM_IDENTIFY,
		.addr = (uintptr_t)id,
		.data_len = sizeof(id),
		.cdw10 = 1,
		.result = 0xdeadbeef,
	};
	struct nvme_passthru_cmd64 c64 = {
		.opcode = ADM_IDENTIFY,
		.addr = (uintptr_t)id,
		.data_len = sizeof(id),
		.cdw10 = 1,
		.result = 0xdeadbeefdeadbeefull,
	};
	char sn[21];

	check_ret(CTRL_DEV " ADMIN_CMD Identify Controller", sysret(ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c)),
		  0);
	check_ret(CTRL_DEV " ADMIN_CMD result written back", c.result, 0);
	memcpy(sn, id + 4, 20);
	sn[20] = 0;
	for (int i = 19; i >= 0 && sn[i] == ' '; i--)
		sn[i] = 0;
	check_true(CTRL_DEV " Identify Controller's serial is the controller's", !strcmp(sn, serial));
	memset(id, 0, sizeof(id));
	check_ret(CTRL_DEV " ADMIN64_CMD Identify Controller",
		  sysret(ioctl(fd, NVME_IOCTL_ADMIN64_CMD, &c64)), 0);
	check_true(CTRL_DEV " ADMIN64_CMD result written back", c64.result == 0);
	check_true(CTRL_DEV " ADMIN64_CMD data arrived", !memcmp(id + 4, serial, strlen(serial)));
	/* Two namespaces: C refuses IO_CMD on the controller node. */
	{
		static uint8_t buf[XFER];
		struct nvme_passthru_cmd rc = rw32(NVM_READ, 0, 1, (uintptr_t)buf);

		rc.data_len = 512;
		check_ret(CTRL_DEV " IO_CMD with two namespaces",
			  sysret(ioctl(fd, NVME_IOCTL_IO_CMD, &rc)), -EINVAL);
	}
	check_ret(CTRL_DEV " unknown ioctl _IO('N', 0x50)", sysret(ioctl(fd, _IO('N', 0x50))),
		  -ENOTTY);
	check_ret(CTRL_DEV " ADMIN_CMD with an unmapped argument",
		  sysret(ioctl(fd, NVME_IOCTL_ADMIN_CMD, (void *)4096)), -EFAULT);
	close(fd);
}

static void ns_checks(const char *dev, uint64_t slba, unsigned blocks, unsigned seed)
{
	static uint8_t wbuf[XFER], rbuf[XFER];
	char what[160];
	int fd = xopen(dev);
	struct nvme_passthru_cmd c;
	struct nvme_passthru_cmd64 c64;
	struct iovec iov[2] = {
		{ .iov_base = rbuf, .iov_len = XFER / 2 },
		{ .iov_base = rbuf + XFER / 2, .iov_len = XFER / 2 },
	};

	check_ret(strcat(strcpy(what, dev), " NVME_IOCTL_ID"), sysret(ioctl(fd, NVME_IOCTL_ID)), 1);

	/* IO_CMD write, IO64_CMD read back. */
	fill(wbuf, XFER, seed);
	c = rw32(NVM_WRITE, slba, blocks, (uintptr_t)wbuf);
	check_ret(strcat(strcpy(what, dev), " IO_CMD write"), sysret(ioctl(fd, NVME_IOCTL_IO_CMD, &c)),
		  0);
	memset(rbuf, 0, XFER);
	c64 = rw64(NVM_READ, slba, blocks, (uintptr_t)rbuf, XFER);
	check_ret(strcat(strcpy(what, dev), " IO64_CMD read"),
		  sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, &c64)), 0);
	check_true(strcat(strcpy(what, dev), " IO64_CMD read the written data"),
		   !memcmp(rbuf, wbuf, XFER));

	/* The iovec array is in the caller's layout (8 bytes each in 32-bit). */
	memset(rbuf, 0, XFER);
	c64 = rw64(NVM_READ, slba, blocks, (uintptr_t)iov, 2);
	check_ret(strcat(strcpy(what, dev), " IO64_CMD_VEC read, two iovecs"),
		  sysret(ioctl(fd, NVME_IOCTL_IO64_CMD_VEC, &c64)), 0);
	check_true(strcat(strcpy(what, dev), " IO64_CMD_VEC read the written data"),
		   !memcmp(rbuf, wbuf, XFER));

	/* Upper address bits: ignored for a 32-bit caller, EFAULT otherwise. */
	memset(rbuf, 0, XFER);
	c = rw32(NVM_READ, slba, blocks, (uintptr_t)rbuf | 0xdead000000000000ull);
	snprintf(what, sizeof(what), "%s IO_CMD read, buffer address with upper bits set", dev);
	check_ret(what, sysret(ioctl(fd, NVME_IOCTL_IO_CMD, &c)), compat ? 0 : -EFAULT);
	if (compat) {
		snprintf(what, sizeof(what), "%s IO_CMD read to the low 32 bits' buffer", dev);
		check_true(what, !memcmp(rbuf, wbuf, XFER));
	}

	/* SUBMIT_IO: its number differs in 32-bit (44-byte struct). */
	{
		struct nvme_user_io io = {
			.opcode = NVM_READ,
			.nblocks = (uint16_t)(blocks - 1),
			.addr = (uintptr_t)rbuf,
			.slba = slba,
		};
		long want = compat && is_c ? -ENOTTY : 0;

		memset(rbuf, 0, XFER);
		snprintf(what, sizeof(what), "%s SUBMIT_IO read (number %#lx)", dev,
			 (unsigned long)NVME_IOCTL_SUBMIT_IO);
		check_ret(what, sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), want);
		if (want == 0) {
			snprintf(what, sizeof(what), "%s SUBMIT_IO read the written data", dev);
			check_true(what, !memcmp(rbuf, wbuf, XFER));
		}
	}

	check_ret(strcat(strcpy(what, dev), " unknown ioctl _IO('N', 0x50)"),
		  sysret(ioctl(fd, _IO('N', 0x50))), -ENOTTY);
	close(fd);
}

/* The X of /dev/nvme0nX whose sysfs nsid is 1. */
static unsigned instance_of_nsid1(void)
{
	char path[64];
	unsigned x;

	for (x = 1; x <= 32; x++) {
		snprintf(path, sizeof(path), "/sys/block/nvme0n%u/nsid", x);
		if (access(path, R_OK) == 0 && sysfs_uint(path) == 1)
			return x;
	}
	printf("FAIL - setup: no /sys/block/nvme0nX/nsid reads 1\n");
	exit(2);
}

static void load_serial(char *serial, size_t len)
{
	const char *path = getenv("NVME_RS_EXPECT");
	char line[512];
	FILE *f;

	if (!path || !*path)
		path = "/etc/nvme-rs-expect";
	f = fopen(path, "r");
	if (!f) {
		printf("FAIL - setup: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	serial[0] = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SERIAL=", 7)) {
			line[strcspn(line, "\n")] = 0;
			if (strlen(line + 7) < len)
				memcpy(serial, line + 7, strlen(line + 7) + 1);
		}
	fclose(f);
	if (!serial[0]) {
		printf("FAIL - setup: no SERIAL in %s\n", path);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	char serial[64], char_dev[32], block_dev[32], path[96];
	unsigned lba, x;
	uint64_t slba;

	if (argc == 3 && !strcmp(argv[1], "--driver") &&
	    (!strcmp(argv[2], "rs") || !strcmp(argv[2], "c"))) {
		is_c = !strcmp(argv[2], "c");
	} else {
		fprintf(stderr, "usage: nvme-compat-test --driver rs|c\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	load_serial(serial, sizeof(serial));
	x = instance_of_nsid1();
	snprintf(char_dev, sizeof(char_dev), "/dev/ng0n%u", x);
	snprintf(block_dev, sizeof(block_dev), "/dev/nvme0n%u", x);
	snprintf(path, sizeof(path), "/sys/block/nvme0n%u/queue/logical_block_size", x);
	lba = sysfs_uint(path);
	slba = REGION_BYTES / lba;
	printf("# %d-bit program, nvme_user_io %zu bytes, SUBMIT_IO %#lx\n",
	       (int)sizeof(void *) * 8, sizeof(struct nvme_user_io),
	       (unsigned long)NVME_IOCTL_SUBMIT_IO);

	admin_checks(serial);
	ns_checks(char_dev, slba, XFER / lba, 1);
	ns_checks(block_dev, slba + XFER / lba, XFER / lba, 2);

	printf("# nvme-compat-test: %d ok, %d FAIL\n", ok_count, fail_count);
	return fail_count ? 1 : 0;
}
