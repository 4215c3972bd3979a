// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-passthru-test: pins down the NVMe passthrough user ABI (ioctls on
 * /dev/nvme0, /dev/ng0nN, /dev/nvme0nN and io_uring commands on the char
 * devices) as Linux 6.12's C driver (drivers/nvme/host/ioctl.c) gives it,
 * so the same program can judge nvme_rs.
 *
 * Runs in the test guest (tools/guest/tests/85-passthru.sh) as root, against
 * the emulated controller that scripts/guest.sh sets up; expected geometry
 * comes from /etc/nvme-rs-expect (or $NVME_RS_EXPECT). Every check prints
 *     ok - WHAT
 *     FAIL - WHAT: got X, want Y
 * and the program exits non-zero if any check failed. Results are written as
 * the syscall gives them: "0", "-EACCES" (ioctl failed with that errno, or an
 * io_uring CQE res of -EACCES), or "status 0x4080" (positive NVMe status:
 * Status Code Type << 8 | Status Code, with DNR 0x4000 and More 0x2000).
 *
 * It writes to scratch regions of both namespaces (from 1 MiB on), briefly
 * puts an MBR on namespace 1 (and wipes it again), resets the controller and
 * changes the char and block device nodes' modes (restored at the end).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NVME_URING_CMD_ADMIN_VEC
#error "<linux/nvme_ioctl.h> lacks the io_uring commands (Linux 5.19+ headers needed)"
#endif
#ifndef IORING_URING_CMD_FIXED
#define IORING_URING_CMD_FIXED (1U << 0)
#endif

#define CTRL_DEV "/dev/nvme0"
#define UNPRIV_ID 65534

/* NVMe opcodes and values used here (NVMe Base / NVM Command Set specs). */
enum {
	OP_FLUSH = 0x00,
	OP_WRITE = 0x01,
	OP_READ = 0x02,
	OP_WRITE_UNCOR = 0x04,
	OP_COMPARE = 0x05,
	OP_WRITE_ZEROES = 0x08,
	OP_DSM = 0x09,
	OP_VERIFY = 0x0c,
	OP_FABRICS = 0x7f,
	ADM_GET_LOG_PAGE = 0x02,
	ADM_IDENTIFY = 0x06,
	ADM_SET_FEATURES = 0x09,
	ADM_GET_FEATURES = 0x0a,
	FEAT_VWC = 0x06,
	FEAT_NUM_QUEUES = 0x07,
	FEAT_APST = 0x0c,
	FEAT_HMB = 0x0d,
	FEAT_KATO = 0x0f,
	FEAT_HOST_BEHAVIOR = 0x16,
	LOG_CMD_EFFECTS = 0x05,
};
/* Status values as the C driver returns them (CQE status >> 1). */
#define ST_DNR 0x4000
#define ST_INVALID_OPCODE (ST_DNR | 0x001)
#define ST_INVALID_FIELD (ST_DNR | 0x002)
#define ST_LBA_RANGE (ST_DNR | 0x080)
#define ST_COMPARE_FAILED 0x285 /* QEMU sets no DNR here */

/* Not an errno: io_uring_submit itself failed (reported as such). */
#define SUBMIT_FAILED (-100000L)

/* --- reporting ------------------------------------------------------------ */

/* Shared with the unprivileged child, which reports its own checks. */
struct counts {
	int ok, fail;
};
static struct counts *cnt;

static void report(bool good, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(bool good, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (good) {
		cnt->ok++;
		printf("ok - %s\n", what);
	} else {
		cnt->fail++;
		printf("FAIL - %s: ", what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static const char *errno_name(int e)
{
	static const struct {
		int e;
		const char *n;
	} names[] = {
		{ EPERM, "EPERM" },	    { ENOENT, "ENOENT" },
		{ EINTR, "EINTR" },	    { EIO, "EIO" },
		{ ENXIO, "ENXIO" },	    { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },	    { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },	    { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },	    { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" },	    { ENOTTY, "ENOTTY" },
		{ ENOSPC, "ENOSPC" },	    { ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" },	    { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EREMOTEIO, "EREMOTEIO" },
		{ EOVERFLOW, "EOVERFLOW" }, { ENOLINK, "ENOLINK" },
		{ EILSEQ, "EILSEQ" },	    { ENODATA, "ENODATA" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].n;
	return NULL;
}

/* "0", "-EINVAL", "status 0x4080", "2", "io_uring_submit failed: -EBUSY". */
static const char *fmt_ret(long v, char *buf, size_t len)
{
	if (v <= SUBMIT_FAILED) {
		const char *n = errno_name((int)(SUBMIT_FAILED - v));
		snprintf(buf, len, "io_uring_submit failed: -%s", n ? n : "?");
	} else if (v < 0) {
		const char *n = errno_name((int)-v);
		if (n)
			snprintf(buf, len, "-%s", n);
		else
			snprintf(buf, len, "-%ld", -v);
	} else if (v >= 0x100) {
		snprintf(buf, len, "status 0x%lx", v);
	} else {
		snprintf(buf, len, "%ld", v);
	}
	return buf;
}

/* A syscall outcome: the return value, or -errno when it failed. */
static long sysret(long r)
{
	return r < 0 ? -errno : r;
}

/* expect_ret: the whole outcome of an ioctl or CQE must equal want. */
static bool expect_ret(const char *what, long got, long want)
{
	char g[64], w[64];

	report(got == want, what, "got %s, want %s", fmt_ret(got, g, sizeof(g)),
	       fmt_ret(want, w, sizeof(w)));
	return got == want;
}

/* expect_status: like expect_ret, for a positive NVMe status. */
static bool expect_status(const char *what, long got, long want)
{
	char g[64];

	if (got > 0)
		snprintf(g, sizeof(g), "status 0x%lx", got);
	else
		fmt_ret(got, g, sizeof(g));
	report(got == want, what, "got %s, want status 0x%lx", g, want);
	return got == want;
}

static bool expect_u64(const char *what, uint64_t got, uint64_t want)
{
	report(got == want, what, "got 0x%" PRIx64 ", want 0x%" PRIx64, got, want);
	return got == want;
}

static bool expect_data(const char *what, const void *got, const void *want, size_t len)
{
	const uint8_t *g = got, *w = want;

	for (size_t i = 0; i < len; i++) {
		if (g[i] != w[i]) {
			report(false, what, "byte %zu of %zu is 0x%02x, want 0x%02x", i, len, g[i],
			       w[i]);
			return false;
		}
	}
	report(true, what, "-");
	return true;
}

static char *whatf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *whatf(const char *fmt, ...)
{
	static char buf[8][256];
	static int n;
	char *b = buf[n++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* --- expectations ---------------------------------------------------------- */

static struct {
	char serial[64];
	unsigned ns_count;
	uint64_t blocks[3];
	unsigned lba[3];
	unsigned ioqpairs; /* the emulated controller's max_ioqpairs */
	unsigned max_kb; /* /sys/block/nvme0n1/queue/max_hw_sectors_kb */
} ex;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL - setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# nvme-passthru-test: setup failed\n");
	exit(2);
}

static void load_expectations(void)
{
	const char *path = getenv("NVME_RS_EXPECT");
	char line[512];
	FILE *f;

	if (!path || !*path)
		path = "/etc/nvme-rs-expect";
	f = fopen(path, "r");
	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	ex.ioqpairs = 64; /* QEMU's default max_ioqpairs */
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *v, key[16];
		unsigned i;

		if (!eq)
			continue;
		*eq = 0;
		v = eq + 1;
		v[strcspn(v, "\n")] = 0;
		if (!strcmp(line, "SERIAL"))
			snprintf(ex.serial, sizeof(ex.serial), "%s", v);
		else if (!strcmp(line, "NS_COUNT"))
			ex.ns_count = strtoul(v, NULL, 0);
		else if (sscanf(line, "NS%u_%15s", &i, key) == 2 && i >= 1 && i <= 2 &&
			 !strcmp(key, "BLOCKS"))
			ex.blocks[i] = strtoull(v, NULL, 0);
		else if (sscanf(line, "NS%u_%15s", &i, key) == 2 && i >= 1 && i <= 2 &&
			 !strcmp(key, "LBA"))
			ex.lba[i] = strtoul(v, NULL, 0);
		else if (!strcmp(line, "NVME_OPTS")) {
			char *p = strstr(v, "max_ioqpairs=");
			if (p)
				ex.ioqpairs = strtoul(p + strlen("max_ioqpairs="), NULL, 0);
		}
	}
	fclose(f);
	if (!ex.serial[0] || ex.ns_count != 2 || !ex.blocks[1] || !ex.blocks[2] || !ex.lba[1] ||
	    !ex.lba[2])
		die("%s must give SERIAL, NS_COUNT=2, NS1/NS2_BLOCKS and _LBA", path);

	f = fopen("/sys/block/nvme0n1/queue/max_hw_sectors_kb", "r");
	if (!f || fscanf(f, "%u", &ex.max_kb) != 1 || !ex.max_kb)
		die("cannot read /sys/block/nvme0n1/queue/max_hw_sectors_kb");
	fclose(f);
}

/* --- buffers ----------------------------------------------------------------- */

static void *xalloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu: %s", len, strerror(errno));
	return p;
}

static void xfree(void *p, size_t len)
{
	munmap(p, len);
}

/* An address with nothing mapped: a page that was mapped and unmapped. */
static void *unmapped_page(void)
{
	void *p = xalloc(3 * 4096);

	munmap(p, 3 * 4096);
	return (char *)p + 4096;
}

static void fill(void *buf, size_t len, unsigned seed)
{
	uint8_t *b = buf;
	uint32_t x = seed * 2654435761u + 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345;
		b[i] = (uint8_t)(x >> 16);
	}
}

/* Scratch regions: 256 KiB each from 1 MiB on, never LBA 0 (the MBR test). */
static uint64_t region_lba(unsigned ns, unsigned k)
{
	return ((1ull << 20) + (uint64_t)k * (256 << 10)) / ex.lba[ns];
}

enum {
	R_IO_CMD,
	R_IO64,
	R_IO64_VEC,
	R_SUBMIT,
	R_MISALIGNED,
	R_DATALEN,
	R_URING,
	R_URING_VEC,
	R_URING_FIXED,
	R_URING_QD,
	R_URING_POLL,
	R_UNPRIV,
	R_UNPRIV_W,
	R_RESET,
	R_PER_NODE = 20, /* regions per node; region 120 on holds the big transfers */
};
#define REGION(node, r) ((node) * R_PER_NODE + (r))

/* --- commands ------------------------------------------------------------------ */

typedef struct nvme_passthru_cmd64 cmd_t;

static cmd_t rw_cmd(uint8_t opc, uint32_t nsid, uint64_t slba, uint32_t nblocks, void *buf,
		    uint32_t len)
{
	cmd_t c = { 0 };

	c.opcode = opc;
	c.nsid = nsid;
	c.addr = (uintptr_t)buf;
	c.data_len = len;
	c.cdw10 = (uint32_t)slba;
	c.cdw11 = (uint32_t)(slba >> 32);
	c.cdw12 = nblocks - 1;
	return c;
}

static cmd_t admin_cmd(uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, void *buf,
		       uint32_t len)
{
	cmd_t c = { 0 };

	c.opcode = opc;
	c.nsid = nsid;
	c.addr = (uintptr_t)buf;
	c.data_len = len;
	c.cdw10 = cdw10;
	c.cdw11 = cdw11;
	return c;
}

static cmd_t identify(uint32_t nsid, uint8_t cns, uint8_t csi, void *buf)
{
	return admin_cmd(ADM_IDENTIFY, nsid, cns, (uint32_t)csi << 24, buf, 4096);
}

static bool is_32bit_ioctl(unsigned long req)
{
	return req == NVME_IOCTL_ADMIN_CMD || req == NVME_IOCTL_IO_CMD;
}

static const char *ioctl_name(unsigned long req)
{
	switch (req) {
	case NVME_IOCTL_ID:
		return "ID";
	case NVME_IOCTL_ADMIN_CMD:
		return "ADMIN_CMD";
	case NVME_IOCTL_SUBMIT_IO:
		return "SUBMIT_IO";
	case NVME_IOCTL_IO_CMD:
		return "IO_CMD";
	case NVME_IOCTL_RESET:
		return "RESET";
	case NVME_IOCTL_SUBSYS_RESET:
		return "SUBSYS_RESET";
	case NVME_IOCTL_RESCAN:
		return "RESCAN";
	case NVME_IOCTL_ADMIN64_CMD:
		return "ADMIN64_CMD";
	case NVME_IOCTL_IO64_CMD:
		return "IO64_CMD";
	case NVME_IOCTL_IO64_CMD_VEC:
		return "IO64_CMD_VEC";
	}
	return "?";
}

/*
 * Issues c through one of the passthrough ioctls (32-bit or 64-bit struct
 * as req wants). Returns the outcome (0, NVMe status, -errno); *result gets
 * the struct's result field afterwards (it starts as a marker so a missing
 * write-back shows).
 */
static long passthru(int fd, unsigned long req, const cmd_t *c, uint64_t *result)
{
	long r;

	if (is_32bit_ioctl(req)) {
		struct nvme_passthru_cmd c32 = {
			.opcode = c->opcode,
			.flags = c->flags,
			.rsvd1 = c->rsvd1,
			.nsid = c->nsid,
			.cdw2 = c->cdw2,
			.cdw3 = c->cdw3,
			.metadata = c->metadata,
			.addr = c->addr,
			.metadata_len = c->metadata_len,
			.data_len = c->data_len,
			.cdw10 = c->cdw10,
			.cdw11 = c->cdw11,
			.cdw12 = c->cdw12,
			.cdw13 = c->cdw13,
			.cdw14 = c->cdw14,
			.cdw15 = c->cdw15,
			.timeout_ms = c->timeout_ms,
			.result = 0xdeadbeef,
		};
		r = sysret(ioctl(fd, req, &c32));
		if (result)
			*result = c32.result;
	} else {
		cmd_t c64 = *c;

		c64.result = 0xdeadbeefdeadbeefull;
		r = sysret(ioctl(fd, req, &c64));
		if (result)
			*result = c64.result;
	}
	return r;
}

static long submit_io(int fd, uint8_t opc, uint64_t slba, uint32_t nblocks, void *buf)
{
	struct nvme_user_io io = {
		.opcode = opc,
		.nblocks = (uint16_t)(nblocks - 1),
		.addr = (uintptr_t)buf,
		.slba = slba,
	};
	return sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io));
}

static int xopen(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/* --- io_uring ------------------------------------------------------------------ */

static void prep_uring_cmd(struct io_uring *ring, struct io_uring_sqe *sqe, int fd, uint32_t op,
			   const cmd_t *c, uint32_t uflags, uint16_t buf_index, uint64_t user_data)
{
	bool big = ring->flags & IORING_SETUP_SQE128;

	memset(sqe, 0, big ? 128 : 64);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	sqe->uring_cmd_flags = uflags;
	sqe->buf_index = buf_index;
	sqe->user_data = user_data;
	/* A 64-byte SQE has only 16 bytes of command: the driver refuses it
	 * before reading any. */
	if (big) {
		struct nvme_uring_cmd *u = (void *)sqe->cmd;

		u->opcode = c->opcode;
		u->flags = c->flags;
		u->rsvd1 = c->rsvd1;
		u->nsid = c->nsid;
		u->cdw2 = c->cdw2;
		u->cdw3 = c->cdw3;
		u->metadata = c->metadata;
		u->addr = c->addr;
		u->metadata_len = c->metadata_len;
		u->data_len = c->data_len;
		u->cdw10 = c->cdw10;
		u->cdw11 = c->cdw11;
		u->cdw12 = c->cdw12;
		u->cdw13 = c->cdw13;
		u->cdw14 = c->cdw14;
		u->cdw15 = c->cdw15;
		u->timeout_ms = c->timeout_ms;
	}
}

/* One command, waited for: returns cqe->res; *result gets big_cqe[0]. */
static long uring_cmd(struct io_uring *ring, int fd, uint32_t op, const cmd_t *c, uint32_t uflags,
		      uint16_t buf_index, uint64_t *result)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	long res;
	int r;

	if (!sqe)
		return SUBMIT_FAILED - EBUSY;
	prep_uring_cmd(ring, sqe, fd, op, c, uflags, buf_index, 0x5eed);
	r = io_uring_submit(ring);
	if (r != 1)
		return SUBMIT_FAILED - (r < 0 ? -r : EIO);
	r = io_uring_wait_cqe(ring, &cqe);
	if (r < 0)
		return SUBMIT_FAILED - -r;
	res = cqe->res;
	if (result)
		*result = (ring->flags & IORING_SETUP_CQE32) ? cqe->big_cqe[0] : ~0ull;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static bool ring_init(struct io_uring *ring, unsigned entries, unsigned flags, const char *what)
{
	int r = io_uring_queue_init(entries, ring, flags);

	if (r < 0) {
		report(false, what, "io_uring_queue_init: %s", strerror(-r));
		return false;
	}
	return true;
}

/* --- nodes ----------------------------------------------------------------------- */

struct node {
	const char *path;
	unsigned nsid;
	bool chr; /* generic char device (io_uring capable) */
};
/*
 * The C driver scans namespaces asynchronously, so nvme0n1 is not always
 * namespace 1: the names are found by geometry (discover_nodes). ngdev[N]
 * and blkdev[N] are namespace N's char and block device.
 */
static struct {
	char name[16], path[32];
} ngdev[3], blkdev[3];
#define NG1 ngdev[1].name
#define NG1_PATH ngdev[1].path
#define BLK1 blkdev[1].name
#define BLK1_PATH blkdev[1].path
/* The char devices of both namespaces and namespace 1's block device. */
static struct node nodes[3];
#define NNODES 3

static unsigned long long sysfs_ull(const char *fmt, unsigned x)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), fmt, x);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		die("cannot read %s", path);
	fclose(f);
	return v;
}

static void discover_nodes(void)
{
	for (unsigned x = 1; x <= 2; x++) {
		unsigned long long lbs =
			sysfs_ull("/sys/block/nvme0n%u/queue/logical_block_size", x);
		unsigned long long sectors = sysfs_ull("/sys/block/nvme0n%u/size", x);
		unsigned nsid = 0;

		for (unsigned i = 1; i <= 2; i++)
			if (lbs == ex.lba[i] && sectors * 512 == ex.blocks[i] * ex.lba[i])
				nsid = i;
		if (!nsid || blkdev[nsid].path[0])
			die("nvme0n%u (%llu sectors of 512, %llu-byte blocks) matches no namespace",
			    x, sectors, lbs);
		snprintf(ngdev[nsid].name, sizeof(ngdev[nsid].name), "ng0n%u", x);
		snprintf(ngdev[nsid].path, sizeof(ngdev[nsid].path), "/dev/ng0n%u", x);
		snprintf(blkdev[nsid].name, sizeof(blkdev[nsid].name), "nvme0n%u", x);
		snprintf(blkdev[nsid].path, sizeof(blkdev[nsid].path), "/dev/nvme0n%u", x);
	}
	nodes[0] = (struct node){ ngdev[1].path, 1, true };
	nodes[1] = (struct node){ ngdev[2].path, 2, true };
	nodes[2] = (struct node){ blkdev[1].path, 1, false };
	note("namespace 1 is %s/%s, namespace 2 is %s/%s", NG1, BLK1, ngdev[2].name,
	     blkdev[2].name);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* --- checks: controller node ------------------------------------------------------- */

static void trim_copy(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
	for (size_t i = n; i > 0 && dst[i - 1] == ' '; i--)
		dst[i - 1] = 0;
}

static bool expect_serial(const char *what, const uint8_t *id)
{
	char s[21];

	trim_copy(s, id + 4, 20);
	report(!strcmp(s, ex.serial), what, "got '%s', want '%s'", s, ex.serial);
	return !strcmp(s, ex.serial);
}

static uint32_t numq_result(void)
{
	return (ex.ioqpairs - 1) | ((ex.ioqpairs - 1) << 16);
}

/* Identify Controller and Get Features (Number of Queues) through req on fd. */
static void admin_basics(int fd, const char *dev, unsigned long req)
{
	uint8_t *buf = xalloc(4096);
	uint64_t res;
	cmd_t c;
	long r;

	c = identify(0, 0x01, 0, buf);
	r = passthru(fd, req, &c, &res);
	if (expect_ret(whatf("%s %s Identify Controller", dev, ioctl_name(req)), r, 0)) {
		expect_serial(whatf("%s %s Identify Controller serial", dev, ioctl_name(req)), buf);
		expect_u64(whatf("%s %s Identify Controller result", dev, ioctl_name(req)), res, 0);
	}
	c = admin_cmd(ADM_GET_FEATURES, 0, FEAT_NUM_QUEUES, 0, NULL, 0);
	r = passthru(fd, req, &c, &res);
	if (expect_ret(whatf("%s %s Get Features Number of Queues", dev, ioctl_name(req)), r, 0))
		expect_u64(whatf("%s %s Get Features Number of Queues result (cdw0)", dev,
				 ioctl_name(req)),
			   res, numq_result());
	xfree(buf, 4096);
}

static void check_identify_ns(int fd, const char *dev, unsigned nsid)
{
	uint8_t *buf = xalloc(4096);
	uint64_t nsze;
	unsigned flbas, lbads;
	cmd_t c = identify(nsid, 0x00, 0, buf);

	if (expect_ret(whatf("%s ADMIN_CMD Identify Namespace %u", dev, nsid),
		       passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0)) {
		memcpy(&nsze, buf, 8);
		flbas = buf[26] & 0xf;
		lbads = buf[128 + 4 * flbas + 2];
		expect_u64(whatf("%s Identify Namespace %u NSZE", dev, nsid), nsze,
			   ex.blocks[nsid]);
		expect_u64(whatf("%s Identify Namespace %u LBA size", dev, nsid),
			   lbads < 32 ? 1u << lbads : 0, ex.lba[nsid]);
	}
	xfree(buf, 4096);
}

static void effects_log(int fd)
{
	uint32_t *log = xalloc(4096);
	cmd_t c = admin_cmd(ADM_GET_LOG_PAGE, 0, LOG_CMD_EFFECTS | (1023u << 16), 0, log, 4096);

	if (expect_ret(CTRL_DEV " ADMIN_CMD Get Log Page Commands Supported and Effects (4 KiB in)",
		       passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0)) {
		/* acs[0..255] then iocs[0..255] (NVMe 1.4 layout). */
		note("effects log: flush %#x write %#x read %#x write-uncor %#x compare %#x "
		     "write-zeroes %#x dsm %#x verify %#x copy %#x; admin identify %#x get-log %#x",
		     log[256 + 0x00], log[256 + 0x01], log[256 + 0x02], log[256 + 0x04],
		     log[256 + 0x05], log[256 + 0x08], log[256 + 0x09], log[256 + 0x0c],
		     log[256 + 0x19], log[0x06], log[0x02]);
	}
	xfree(log, 4096);
}

static void ctrl_node_checks(void)
{
	int fd = xopen(CTRL_DEV, O_RDWR);
	uint8_t *buf = xalloc(4096);
	uint64_t res;
	cmd_t c;

	expect_ret(CTRL_DEV " NVME_IOCTL_ID (not a namespace)", sysret(ioctl(fd, NVME_IOCTL_ID)),
		   -ENOTTY);
	admin_basics(fd, CTRL_DEV, NVME_IOCTL_ADMIN_CMD);
	admin_basics(fd, CTRL_DEV, NVME_IOCTL_ADMIN64_CMD);
	check_identify_ns(fd, CTRL_DEV, 1);
	check_identify_ns(fd, CTRL_DEV, 2);

	c = identify(0, 0x02, 0, buf);
	if (expect_ret(CTRL_DEV " ADMIN_CMD Identify Active Namespace List",
		       passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0)) {
		uint32_t ids[3];

		memcpy(ids, buf, sizeof(ids));
		report(ids[0] == 1 && ids[1] == 2 && ids[2] == 0,
		       CTRL_DEV " Active Namespace List is 1, 2", "got %u, %u, %u", ids[0], ids[1],
		       ids[2]);
	}
	effects_log(fd);

	/* The device's own errors come back as a positive NVMe status. */
	c = identify(0, 0xff, 0, buf);
	expect_status(CTRL_DEV " ADMIN_CMD Identify CNS 0xff (reserved): device rejects",
		      passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, &res), ST_INVALID_FIELD);
	c = admin_cmd(0xc1, 0, 0, 0, NULL, 0);
	expect_status(CTRL_DEV " ADMIN_CMD vendor opcode 0xc1 (root): device rejects",
		      passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), ST_INVALID_OPCODE);
	expect_status(CTRL_DEV " ADMIN64_CMD vendor opcode 0xc1 (root): device rejects",
		      passthru(fd, NVME_IOCTL_ADMIN64_CMD, &c, NULL), ST_INVALID_OPCODE);

	/* 6.12.117 refuses these Set Features even with CAP_SYS_ADMIN. */
	static const struct {
		uint32_t cdw10;
		const char *name;
	} blocked[] = {
		{ FEAT_NUM_QUEUES, "Number of Queues" },
		{ FEAT_NUM_QUEUES | 1u << 31, "Number of Queues, Save bit" },
		{ 0x100 | FEAT_NUM_QUEUES, "FID 0x107 (low byte 0x07)" },
		{ FEAT_APST, "Autonomous Power State Transition" },
		{ FEAT_HMB, "Host Memory Buffer" },
		{ FEAT_KATO, "Keep Alive Timer (PCIe)" },
		{ FEAT_HOST_BEHAVIOR, "Host Behavior Support" },
	};
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		c = admin_cmd(ADM_SET_FEATURES, 0, blocked[i].cdw10, 0, NULL, 0);
		expect_ret(whatf(CTRL_DEV " ADMIN_CMD Set Features %s as root", blocked[i].name),
			   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), -EACCES);
	}
	c = admin_cmd(ADM_SET_FEATURES, 0, FEAT_NUM_QUEUES, 0, NULL, 0);
	expect_ret(CTRL_DEV " ADMIN64_CMD Set Features Number of Queues as root",
		   passthru(fd, NVME_IOCTL_ADMIN64_CMD, &c, NULL), -EACCES);

	/* Namespace ioctls on the controller node. */
	c = rw_cmd(OP_READ, 1, region_lba(1, 0), 1, buf, 512);
	expect_ret(CTRL_DEV " IO_CMD with 2 namespaces (deprecated path)",
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
	expect_ret(CTRL_DEV " IO64_CMD", passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -ENOTTY);
	/* 6.12 resets the subsystem only where CAP.NSSRS says it can. */
	expect_ret(CTRL_DEV " SUBSYS_RESET as root (QEMU 7.2: CAP.NSSRS clear)",
		   sysret(ioctl(fd, NVME_IOCTL_SUBSYS_RESET)), -ENOTTY);
	expect_ret(CTRL_DEV " IO64_CMD_VEC", passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL),
		   -ENOTTY);
	expect_ret(CTRL_DEV " SUBMIT_IO", submit_io(fd, OP_READ, region_lba(1, 0), 1, buf),
		   -ENOTTY);
	expect_ret(CTRL_DEV " unknown ioctl _IO('N', 0x4f)", sysret(ioctl(fd, _IO('N', 0x4f))),
		   -ENOTTY);
	expect_ret(CTRL_DEV " unknown ioctl _IOWR('N', 0x80, nvme_uring_cmd) (uring op number)",
		   sysret(ioctl(fd, NVME_URING_CMD_ADMIN, buf)), -ENOTTY);

	/* Bad argument pointers. */
	expect_ret(CTRL_DEV " ADMIN_CMD with argument pointer 0x8",
		   sysret(ioctl(fd, NVME_IOCTL_ADMIN_CMD, (void *)8)), -EFAULT);
	expect_ret(CTRL_DEV " ADMIN64_CMD with argument pointer 0x8",
		   sysret(ioctl(fd, NVME_IOCTL_ADMIN64_CMD, (void *)8)), -EFAULT);
	expect_ret(CTRL_DEV " ADMIN_CMD with NULL argument",
		   sysret(ioctl(fd, NVME_IOCTL_ADMIN_CMD, NULL)), -EFAULT);
	c = identify(0, 0x01, 0, unmapped_page());
	expect_ret(CTRL_DEV " ADMIN_CMD Identify into an unmapped buffer",
		   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), -EFAULT);
	c = identify(0, 0x01, 0, buf);
	c.flags = 1;
	expect_ret(CTRL_DEV " ADMIN_CMD with flags 1", passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL),
		   -EINVAL);
	expect_ret(CTRL_DEV " ADMIN64_CMD with flags 1",
		   passthru(fd, NVME_IOCTL_ADMIN64_CMD, &c, NULL), -EINVAL);
	c = identify(0, 0x01, 0, buf);
	c.rsvd1 = 0xffff;
	c.cdw2 = 0x12345678; /* cdw2/cdw3 go to the device, which ignores them here */
	expect_ret(CTRL_DEV " ADMIN_CMD with rsvd1 0xffff (ignored)",
		   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0);
	c = identify(0, 0x01, 0, buf);
	c.metadata = (uintptr_t)(buf + 2048);
	c.metadata_len = 64;
	expect_ret(CTRL_DEV " ADMIN_CMD with a metadata buffer",
		   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), -EINVAL);
	c.metadata_len = 0;
	expect_ret(CTRL_DEV " ADMIN_CMD with a metadata pointer and metadata_len 0 (ignored)",
		   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0);
	/* Shorter data_len than the 4 KiB Identify: not checked. */
	c = identify(0, 0x01, 0, buf);
	c.data_len = 512;
	memset(buf, 0, 4096);
	if (expect_ret(CTRL_DEV " ADMIN_CMD Identify with data_len 512 (page-aligned buffer)",
		       passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0))
		expect_serial(CTRL_DEV " Identify with data_len 512: serial", buf);

	/* The result must reach the caller: a read-only struct gets EFAULT
	 * although the command ran. */
	{
		struct nvme_passthru_cmd *ro = xalloc(4096);

		memset(ro, 0, sizeof(*ro));
		ro->opcode = ADM_GET_FEATURES;
		ro->cdw10 = FEAT_NUM_QUEUES;
		mprotect(ro, 4096, PROT_READ);
		expect_ret(CTRL_DEV " ADMIN_CMD from a read-only struct (result not writable)",
			   sysret(ioctl(fd, NVME_IOCTL_ADMIN_CMD, ro)), -EFAULT);
		xfree(ro, 4096);
	}

	{
		int bfd = xopen(blkdev[2].path, O_RDONLY);

		expect_ret(whatf("%s NVME_IOCTL_ID", blkdev[2].name),
			   sysret(ioctl(bfd, NVME_IOCTL_ID)), 2);
		close(bfd);
	}

	/* O_RDONLY is enough for admin commands (root). */
	{
		int rfd = xopen(CTRL_DEV, O_RDONLY);

		c = identify(0, 0x01, 0, buf);
		expect_ret(CTRL_DEV " O_RDONLY ADMIN_CMD Identify Controller",
			   passthru(rfd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0);
		close(rfd);
	}
	xfree(buf, 4096);
	close(fd);
}

/* --- checks: namespace nodes ------------------------------------------------------ */

/* Write a pattern with one method and read it back with the same. */
static void rw_roundtrip(int fd, const struct node *n, unsigned long req, uint64_t slba,
			 unsigned seed)
{
	const char *dev = base(n->path);
	unsigned lba = ex.lba[n->nsid];
	size_t len = 16384;
	uint32_t nb = len / lba;
	uint8_t *w = xalloc(len), *rd = xalloc(len);
	uint64_t res;
	long r;

	fill(w, len, seed);
	memset(rd, 0, len);
	if (req == NVME_IOCTL_SUBMIT_IO) {
		expect_ret(whatf("%s SUBMIT_IO write %zu bytes", dev, len),
			   submit_io(fd, OP_WRITE, slba, nb, w), 0);
		r = submit_io(fd, OP_READ, slba, nb, rd);
		if (expect_ret(whatf("%s SUBMIT_IO read %zu bytes", dev, len), r, 0))
			expect_data(whatf("%s SUBMIT_IO read back", dev), rd, w, len);
	} else if (req == NVME_IOCTL_IO64_CMD_VEC) {
		/* Three page-aligned pieces from separate mappings. */
		struct iovec wv[3] = { { w, 4096 }, { w + 4096, 8192 }, { w + 12288, 4096 } };
		uint8_t *r0 = xalloc(4096), *r1 = xalloc(8192), *r2 = xalloc(4096);
		struct iovec rv[3] = { { r0, 4096 }, { r1, 8192 }, { r2, 4096 } };
		cmd_t c = rw_cmd(OP_WRITE, n->nsid, slba, nb, wv, 3);

		expect_ret(whatf("%s IO64_CMD_VEC write %zu bytes in 3 iovecs", dev, len),
			   passthru(fd, req, &c, &res), 0);
		c = rw_cmd(OP_READ, n->nsid, slba, nb, rv, 3);
		if (expect_ret(whatf("%s IO64_CMD_VEC read %zu bytes in 3 iovecs", dev, len),
			       passthru(fd, req, &c, &res), 0)) {
			memcpy(rd, r0, 4096);
			memcpy(rd + 4096, r1, 8192);
			memcpy(rd + 12288, r2, 4096);
			expect_data(whatf("%s IO64_CMD_VEC read back", dev), rd, w, len);
		}
		xfree(r0, 4096);
		xfree(r1, 8192);
		xfree(r2, 4096);
	} else {
		cmd_t c = rw_cmd(OP_WRITE, n->nsid, slba, nb, w, len);

		r = passthru(fd, req, &c, &res);
		if (expect_ret(whatf("%s %s write %zu bytes", dev, ioctl_name(req), len), r, 0))
			expect_u64(whatf("%s %s write: result written back as 0", dev,
					 ioctl_name(req)),
				   res, 0);
		c = rw_cmd(OP_READ, n->nsid, slba, nb, rd, len);
		r = passthru(fd, req, &c, &res);
		if (expect_ret(whatf("%s %s read %zu bytes", dev, ioctl_name(req), len), r, 0))
			expect_data(whatf("%s %s read back", dev, ioctl_name(req)), rd, w, len);
	}
	xfree(w, len);
	xfree(rd, len);
}

static void ns_node_checks(unsigned ni)
{
	const struct node *n = &nodes[ni];
	const char *dev = base(n->path);
	unsigned lba = ex.lba[n->nsid], other = n->nsid == 1 ? 2 : 1;
	uint64_t blocks = ex.blocks[n->nsid];
	int fd = xopen(n->path, O_RDWR);
	uint8_t *buf = xalloc(65536), *buf2 = xalloc(65536);
	uint64_t res;
	cmd_t c;

	expect_ret(whatf("%s NVME_IOCTL_ID", dev), sysret(ioctl(fd, NVME_IOCTL_ID)), n->nsid);
	admin_basics(fd, dev, NVME_IOCTL_ADMIN_CMD);
	if (ni != 1) /* once per namespace is enough */
		admin_basics(fd, dev, NVME_IOCTL_ADMIN64_CMD);

	rw_roundtrip(fd, n, NVME_IOCTL_IO_CMD, region_lba(n->nsid, REGION(ni, R_IO_CMD)), 10 + ni);
	rw_roundtrip(fd, n, NVME_IOCTL_IO64_CMD, region_lba(n->nsid, REGION(ni, R_IO64)), 20 + ni);
	rw_roundtrip(fd, n, NVME_IOCTL_IO64_CMD_VEC, region_lba(n->nsid, REGION(ni, R_IO64_VEC)),
		     30 + ni);
	rw_roundtrip(fd, n, NVME_IOCTL_SUBMIT_IO, region_lba(n->nsid, REGION(ni, R_SUBMIT)),
		     40 + ni);

	/* Cross-method: what IO_CMD wrote, SUBMIT_IO reads. */
	fill(buf2, 16384, 10 + ni);
	memset(buf, 0, 16384);
	if (expect_ret(whatf("%s SUBMIT_IO reads what IO_CMD wrote", dev),
		       submit_io(fd, OP_READ, region_lba(n->nsid, REGION(ni, R_IO_CMD)),
				 16384 / lba, buf),
		       0))
		expect_data(whatf("%s SUBMIT_IO data equals IO_CMD's", dev), buf, buf2, 16384);

	/* The device rejects LBAs beyond the namespace: positive status. */
	c = rw_cmd(OP_READ, n->nsid, blocks, 1, buf, lba);
	expect_status(whatf("%s IO_CMD read 1 block at LBA %" PRIu64 " (one past the end)", dev,
			    blocks),
		      passthru(fd, NVME_IOCTL_IO_CMD, &c, &res), ST_LBA_RANGE);
	expect_u64(whatf("%s IO_CMD out-of-range read: result written back as 0", dev), res, 0);
	expect_status(whatf("%s IO64_CMD read 1 block past the end", dev),
		      passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), ST_LBA_RANGE);
	c = rw_cmd(OP_READ, n->nsid, blocks - 1, 2, buf, 2 * lba);
	expect_status(whatf("%s IO_CMD read 2 blocks across the end", dev),
		      passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), ST_LBA_RANGE);
	expect_status(whatf("%s SUBMIT_IO read 1 block past the end", dev),
		      submit_io(fd, OP_READ, blocks, 1, buf), ST_LBA_RANGE);
	/* Compare: equal, then different. */
	fill(buf2, 16384, 10 + ni);
	expect_ret(whatf("%s SUBMIT_IO compare equal data", dev),
		   submit_io(fd, OP_COMPARE, region_lba(n->nsid, REGION(ni, R_IO_CMD)), 16384 / lba,
			     buf2),
		   0);
	buf2[100] ^= 1;
	expect_status(whatf("%s SUBMIT_IO compare different data", dev),
		      submit_io(fd, OP_COMPARE, region_lba(n->nsid, REGION(ni, R_IO_CMD)),
				16384 / lba, buf2),
		      ST_COMPARE_FAILED);
	/* Unsupported I/O opcode (root: goes to the device). */
	c = rw_cmd(0x7e, n->nsid, 0, 1, NULL, 0);
	expect_status(whatf("%s IO_CMD opcode 0x7e (root): device rejects", dev),
		      passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), ST_INVALID_OPCODE);
	c = rw_cmd(0x81, n->nsid, 0, 1, NULL, 0);
	expect_status(whatf("%s IO_CMD vendor opcode 0x81 (root): device rejects", dev),
		      passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), ST_INVALID_OPCODE);
	c = rw_cmd(OP_FLUSH, n->nsid, 0, 1, NULL, 0);
	c.cdw12 = 0;
	expect_ret(whatf("%s IO_CMD Flush (no data)", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	/* A buffer is mapped only when both addr and data_len are non-zero. */
	c.data_len = 4096;
	expect_ret(whatf("%s IO_CMD Flush with addr 0 and data_len 4096", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	c.data_len = 0;
	c.addr = (uintptr_t)unmapped_page();
	expect_ret(whatf("%s IO_CMD Flush with an unmapped addr and data_len 0", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	/* Without a data buffer the metadata buffer is not looked at either. */
	c.addr = 0;
	c.metadata = (uintptr_t)buf2;
	c.metadata_len = 8;
	expect_ret(whatf("%s IO_CMD Flush with a metadata buffer but no data buffer", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);

	/* nsid must be the node's. */
	c = rw_cmd(OP_READ, other, region_lba(other, 0), 1, buf, ex.lba[other]);
	expect_ret(whatf("%s IO_CMD with the other namespace's nsid %u", dev, other),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
	expect_ret(whatf("%s IO64_CMD with the other namespace's nsid %u", dev, other),
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -EINVAL);
	c = rw_cmd(OP_READ, 0, region_lba(n->nsid, 0), 1, buf, lba);
	expect_ret(whatf("%s IO_CMD with nsid 0", dev), passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL),
		   -EINVAL);
	c.nsid = 0xffffffff;
	expect_ret(whatf("%s IO_CMD with nsid 0xffffffff", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);

	/* Admin commands through the namespace node may name any namespace. */
	c = identify(other, 0x00, 0, buf);
	expect_ret(whatf("%s ADMIN_CMD Identify Namespace %u (other namespace)", dev, other),
		   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0);

	/* flags. */
	c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 0), 1, buf, lba);
	c.flags = 1;
	if (expect_ret(whatf("%s IO_CMD with flags 1", dev),
		       passthru(fd, NVME_IOCTL_IO_CMD, &c, &res), -EINVAL))
		expect_u64(whatf("%s IO_CMD with flags 1: result field left alone", dev), res,
			   0xdeadbeef);
	if (expect_ret(whatf("%s IO64_CMD with flags 1", dev),
		       passthru(fd, NVME_IOCTL_IO64_CMD, &c, &res), -EINVAL))
		expect_u64(whatf("%s IO64_CMD with flags 1: result field left alone", dev), res,
			   0xdeadbeefdeadbeefull);
	c.flags = 0x40; /* PSDT bits: SGL requested by user */
	expect_ret(whatf("%s IO_CMD with flags 0x40 (PSDT)", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
	{
		struct nvme_user_io io = { .opcode = OP_READ,
					   .flags = 1,
					   .addr = (uintptr_t)buf,
					   .slba = region_lba(n->nsid, 0) };
		expect_ret(whatf("%s SUBMIT_IO with flags 1", dev),
			   sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), -EINVAL);
		io.flags = 0;
		io.opcode = OP_FLUSH;
		expect_ret(whatf("%s SUBMIT_IO with opcode Flush (only read/write/compare)", dev),
			   sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), -EINVAL);
		io.opcode = OP_WRITE_ZEROES;
		expect_ret(whatf("%s SUBMIT_IO with opcode Write Zeroes", dev),
			   sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), -EINVAL);
		/* Without metadata in the LBA format the metadata pointer is unused. */
		io.opcode = OP_READ;
		io.metadata = (uintptr_t)buf2;
		expect_ret(whatf("%s SUBMIT_IO read with a metadata pointer (no metadata format)",
				 dev),
			   sysret(ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io)), 0);
	}

	/* Metadata buffers: no integrity support here. */
	c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 0), 1, buf, lba);
	c.metadata = (uintptr_t)buf2;
	c.metadata_len = 8;
	expect_ret(whatf("%s IO_CMD read with a metadata buffer", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
	expect_ret(whatf("%s IO64_CMD read with a metadata buffer", dev),
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -EINVAL);
	c.metadata_len = 0;
	expect_ret(whatf("%s IO_CMD read with a metadata pointer and metadata_len 0", dev),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);

	/* Bad argument pointers. */
	static const unsigned long ns_ioctls[] = {
		NVME_IOCTL_IO_CMD,    NVME_IOCTL_IO64_CMD,  NVME_IOCTL_IO64_CMD_VEC,
		NVME_IOCTL_SUBMIT_IO, NVME_IOCTL_ADMIN_CMD, NVME_IOCTL_ADMIN64_CMD,
	};
	for (size_t i = 0; i < sizeof(ns_ioctls) / sizeof(ns_ioctls[0]); i++)
		expect_ret(whatf("%s %s with argument pointer 0x8", dev, ioctl_name(ns_ioctls[i])),
			   sysret(ioctl(fd, ns_ioctls[i], (void *)8)), -EFAULT);

	/* Unknown and controller-only ioctls. */
	expect_ret(whatf("%s unknown ioctl _IO('N', 0x4f)", dev), sysret(ioctl(fd, _IO('N', 0x4f))),
		   -ENOTTY);
	expect_ret(whatf("%s RESET (controller node only)", dev),
		   sysret(ioctl(fd, NVME_IOCTL_RESET)), -ENOTTY);
	expect_ret(whatf("%s RESCAN (controller node only)", dev),
		   sysret(ioctl(fd, NVME_IOCTL_RESCAN)), -ENOTTY);
	expect_ret(whatf("%s SUBSYS_RESET (controller node only)", dev),
		   sysret(ioctl(fd, NVME_IOCTL_SUBSYS_RESET)), -ENOTTY);

	/* Root may write through a read-only descriptor (CAP_SYS_ADMIN). */
	{
		int rfd = xopen(n->path, O_RDONLY);

		fill(buf, 4096, 50 + ni);
		c = rw_cmd(OP_WRITE, n->nsid, region_lba(n->nsid, REGION(ni, R_UNPRIV_W)),
			   4096 / lba, buf, 4096);
		expect_ret(whatf("%s O_RDONLY IO_CMD write as root", dev),
			   passthru(rfd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
		close(rfd);
	}
	xfree(buf, 65536);
	xfree(buf2, 65536);
	close(fd);
}

/* Buffers the block layer cannot map directly, sizes that do not match. */
static void buffer_checks(void)
{
	const struct node *n = &nodes[0]; /* namespace 1's char device, 512-byte blocks */
	int fd = xopen(n->path, O_RDWR);
	uint64_t slba = region_lba(1, REGION(0, R_MISALIGNED));
	size_t maxb = (size_t)ex.max_kb << 10;
	uint8_t *w = xalloc(maxb + 8192), *r = xalloc(maxb + 8192);
	cmd_t c;

	/* Odd addresses: the block layer bounces them; data must survive. */
	fill(w, 8192, 60);
	c = rw_cmd(OP_WRITE, 1, slba, 2, w + 1, 1024);
	expect_ret(whatf("%s IO_CMD write 1024 bytes from an odd address", NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	memset(r, 0, 8192);
	c = rw_cmd(OP_READ, 1, slba, 2, r + 3, 1024);
	if (expect_ret(whatf("%s IO_CMD read 1024 bytes into an odd address", NG1),
		       passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
		expect_data(whatf("%s odd-address read back", NG1), r + 3, w + 1, 1024);
	/* Vectored, with pieces neither page- nor dword-aligned (2048 bytes). */
	{
		struct iovec wv[3] = { { w + 4096 + 8, 512 },
				       { w + 6000 + 1, 1024 },
				       { w + 7680, 512 } };
		uint8_t *r2 = r + 4096;
		struct iovec rv[3] = { { r2 + 100, 1024 },
				       { r2 + 1500 + 3, 512 },
				       { r2 + 2500, 512 } };
		uint8_t want[2048], got[2048];

		fill(w + 4096, 4096, 61);
		c = rw_cmd(OP_WRITE, 1, slba + 8, 4, wv, 3);
		expect_ret(whatf("%s IO64_CMD_VEC write 2048 bytes from 3 unaligned iovecs", NG1),
			   passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL), 0);
		c = rw_cmd(OP_READ, 1, slba + 8, 4, rv, 3);
		if (expect_ret(whatf("%s IO64_CMD_VEC read 2048 bytes into 3 unaligned iovecs",
				     NG1),
			       passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL), 0)) {
			memcpy(want, wv[0].iov_base, 512);
			memcpy(want + 512, wv[1].iov_base, 1024);
			memcpy(want + 1536, wv[2].iov_base, 512);
			memcpy(got, rv[0].iov_base, 1024);
			memcpy(got + 1024, rv[1].iov_base, 512);
			memcpy(got + 1536, rv[2].iov_base, 512);
			expect_data(whatf("%s unaligned vectored read back", NG1), got, want, 2048);
		}
	}

	/* data_len larger than the command transfers: read lands at the start,
	 * the rest of the (directly mapped) buffer is untouched. */
	fill(w, 512, 62);
	c = rw_cmd(OP_WRITE, 1, slba + 16, 1, w, 512);
	expect_ret(whatf("%s IO_CMD write 1 block for the data_len checks", NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	memset(r, 0xa5, 4096);
	c = rw_cmd(OP_READ, 1, slba + 16, 1, r, 4096);
	if (expect_ret(whatf("%s IO_CMD read 1 block with data_len 4096", NG1),
		       passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0)) {
		uint8_t pat[4096 - 512];

		expect_data(whatf("%s data_len 4096 read: first block", NG1), r, w, 512);
		memset(pat, 0xa5, sizeof(pat));
		expect_data(whatf("%s data_len 4096 read: rest of the buffer untouched", NG1),
			    r + 512, pat, sizeof(pat));
	}
	/* Odd data_len (bounced): the device moves the whole block, the caller
	 * gets data_len bytes. */
	memset(r, 0xa5, 1024);
	c = rw_cmd(OP_READ, 1, slba + 16, 1, r, 511);
	if (expect_ret(whatf("%s IO_CMD read 1 block with data_len 511", NG1),
		       passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0)) {
		expect_data(whatf("%s data_len 511 read: 511 bytes of the block", NG1), r, w, 511);
		report(r[511] == 0xa5, whatf("%s data_len 511 read: byte 511 untouched", NG1),
		       "it is 0x%02x", r[511]);
	}
	/* data_len smaller than the transfer: not checked by the driver (the
	 * device reads 1024 bytes from the page-aligned buffer). */
	fill(w, 4096, 63);
	c = rw_cmd(OP_WRITE, 1, slba + 24, 2, w, 512);
	expect_ret(whatf("%s IO_CMD write 2 blocks with data_len 512 (page-aligned buffer)", NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);

	/* Transfer size limit (max_hw_sectors_kb). */
	{
		uint64_t big = region_lba(1, 120); /* 31 MiB on: room for 1 MiB */
		uint32_t nb = maxb / 512;

		fill(w, maxb, 64);
		c = rw_cmd(OP_WRITE, 1, big, nb, w, maxb);
		expect_ret(whatf("%s IO_CMD write of max_hw_sectors_kb (%u KiB)", NG1, ex.max_kb),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
		memset(r, 0, maxb);
		c = rw_cmd(OP_READ, 1, big, nb, r, maxb);
		if (expect_ret(whatf("%s IO_CMD read of max_hw_sectors_kb (%u KiB)", NG1,
				     ex.max_kb),
			       passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
			expect_data(whatf("%s max-size read back", NG1), r, w, maxb);
		c = rw_cmd(OP_READ, 1, big, nb + 8, r, maxb + 4096);
		expect_ret(whatf("%s IO_CMD read of max_hw_sectors_kb + 4 KiB (%u KiB)", NG1,
				 ex.max_kb + 4),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
		expect_ret(whatf("%s IO64_CMD read of max_hw_sectors_kb + 4 KiB", NG1),
			   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -EINVAL);
		c = rw_cmd(OP_WRITE, 1, big, nb + 8, w, maxb + 4096);
		expect_ret(whatf("%s IO_CMD write of max_hw_sectors_kb + 4 KiB", NG1),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
		c = rw_cmd(OP_READ, 1, big, nb + 1, r + 1, maxb + 512);
		expect_ret(whatf("%s IO_CMD read of max_hw_sectors_kb + 512 into an odd address",
				 NG1),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
		if (nb + 8 <= 65536)
			expect_ret(whatf("%s SUBMIT_IO read of max_hw_sectors_kb + 4 KiB", NG1),
				   submit_io(fd, OP_READ, big, nb + 8, r), -EINVAL);
		else
			report(false, whatf("%s SUBMIT_IO read of max_hw_sectors_kb + 4 KiB", NG1),
			       "max_hw_sectors_kb %u does not fit nblocks", ex.max_kb);
		{
			struct iovec v[2] = { { r, maxb }, { r + maxb, 4096 } };

			c = rw_cmd(OP_READ, 1, big, nb + 8, v, 2);
			expect_ret(
				whatf("%s IO64_CMD_VEC read of max_hw_sectors_kb + 4 KiB in 2 iovecs",
				      NG1),
				passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL), -EINVAL);
		}
	}

	/* Vectored limits and bad iovecs. */
	{
		struct iovec *v = (struct iovec *)r;

		for (int i = 0; i < 1025; i++) {
			v[i].iov_base = w;
			v[i].iov_len = 512;
		}
		c = rw_cmd(OP_READ, 1, slba, 1, v, 1025);
		expect_ret(whatf("%s IO64_CMD_VEC with 1025 iovecs (> UIO_MAXIOV)", NG1),
			   passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL), -EINVAL);
		c = rw_cmd(OP_READ, 1, slba, 1, unmapped_page(), 1);
		expect_ret(whatf("%s IO64_CMD_VEC with an unmapped iovec array", NG1),
			   passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL), -EFAULT);
		v[0].iov_base = unmapped_page();
		v[0].iov_len = 512;
		c = rw_cmd(OP_READ, 1, slba, 1, v, 1);
		expect_ret(whatf("%s IO64_CMD_VEC read into an iovec with an unmapped base", NG1),
			   passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &c, NULL), -EFAULT);
	}

	/* Unmapped data buffers. */
	c = rw_cmd(OP_READ, 1, slba, 1, unmapped_page(), 512);
	expect_ret(whatf("%s IO_CMD read into an unmapped page-aligned buffer", NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EFAULT);
	expect_ret(whatf("%s IO64_CMD read into an unmapped page-aligned buffer", NG1),
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -EFAULT);
	c = rw_cmd(OP_WRITE, 1, slba, 1, unmapped_page(), 512);
	expect_ret(whatf("%s IO_CMD write from an unmapped page-aligned buffer", NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EFAULT);
	c = rw_cmd(OP_WRITE, 1, slba, 1, (char *)unmapped_page() + 1, 512);
	expect_ret(whatf("%s IO_CMD write from an unmapped odd address (bounce copy fails)", NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EFAULT);
	/* Bounced read: the copy back to the unmapped buffer fails after the
	 * command completed, and 6.12 ignores that failure. */
	c = rw_cmd(OP_READ, 1, slba, 1, (char *)unmapped_page() + 1, 512);
	expect_ret(whatf("%s IO_CMD read into an unmapped odd address (failed copy-back ignored)",
			 NG1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	expect_ret(whatf("%s SUBMIT_IO read into an unmapped page-aligned buffer", NG1),
		   submit_io(fd, OP_READ, slba, 1, unmapped_page()), -EFAULT);

	/* Result write-back to a read-only struct: the read ran, EFAULT. */
	{
		struct nvme_passthru_cmd *ro = xalloc(4096);
		struct nvme_passthru_cmd64 *ro64 = (void *)((char *)ro + 1024);

		memset(ro, 0, 2048);
		ro->opcode = OP_READ;
		ro->nsid = 1;
		ro->addr = (uintptr_t)r;
		ro->data_len = 512;
		ro->cdw10 = (uint32_t)slba;
		ro64->opcode = OP_READ;
		ro64->nsid = 1;
		ro64->addr = (uintptr_t)r;
		ro64->data_len = 512;
		ro64->cdw10 = (uint32_t)slba;
		mprotect(ro, 4096, PROT_READ);
		expect_ret(whatf("%s IO_CMD from a read-only struct (result not writable)", NG1),
			   sysret(ioctl(fd, NVME_IOCTL_IO_CMD, ro)), -EFAULT);
		expect_ret(whatf("%s IO64_CMD from a read-only struct (result not writable)", NG1),
			   sysret(ioctl(fd, NVME_IOCTL_IO64_CMD, ro64)), -EFAULT);
		xfree(ro, 4096);
	}
	xfree(w, maxb + 8192);
	xfree(r, maxb + 8192);
	close(fd);
}

/* --- checks: io_uring ------------------------------------------------------------ */

static void uring_rw(struct io_uring *ring, int fd, const struct node *n, const char *tag,
		     uint64_t slba, unsigned seed, bool vec)
{
	const char *dev = base(n->path);
	unsigned lba = ex.lba[n->nsid];
	size_t len = 16384;
	uint8_t *w = xalloc(len), *rd = xalloc(len);
	uint64_t res;
	struct iovec wv[2] = { { w, 8192 }, { w + 8192, 8192 } };
	struct iovec rv[2] = { { rd, 4096 }, { rd + 4096, 12288 } };
	uint32_t op = vec ? NVME_URING_CMD_IO_VEC : NVME_URING_CMD_IO;
	const char *opn = vec ? "URING_CMD_IO_VEC" : "URING_CMD_IO";
	cmd_t c;

	fill(w, len, seed);
	memset(rd, 0, len);
	c = vec ? rw_cmd(OP_WRITE, n->nsid, slba, len / lba, wv, 2) :
		  rw_cmd(OP_WRITE, n->nsid, slba, len / lba, w, len);
	if (expect_ret(whatf("%s %s%s write %zu bytes", dev, tag, opn, len),
		       uring_cmd(ring, fd, op, &c, 0, 0, &res), 0))
		expect_u64(whatf("%s %s%s write: big CQE result 0", dev, tag, opn), res, 0);
	c = vec ? rw_cmd(OP_READ, n->nsid, slba, len / lba, rv, 2) :
		  rw_cmd(OP_READ, n->nsid, slba, len / lba, rd, len);
	if (expect_ret(whatf("%s %s%s read %zu bytes", dev, tag, opn, len),
		       uring_cmd(ring, fd, op, &c, 0, 0, &res), 0))
		expect_data(whatf("%s %s%s read back", dev, tag, opn), rd, w, len);
	xfree(w, len);
	xfree(rd, len);
}

/* QD commands in flight at once: writes, then reads of the same blocks. */
static void uring_qd(struct io_uring *ring, int fd, const struct node *n, const char *tag,
		     uint64_t slba, unsigned seed, unsigned qd)
{
	const char *dev = base(n->path);
	unsigned lba = ex.lba[n->nsid];
	size_t each = 4096, len = each * qd;
	uint8_t *w = xalloc(len), *rd = xalloc(len);
	uint32_t nb = each / lba;

	fill(w, len, seed);
	memset(rd, 0, len);
	for (int pass = 0; pass < 2; pass++) {
		bool wr = pass == 0;
		unsigned seen = 0, bad = 0, dup = 0, got = 0;
		uint64_t seen_mask = 0;
		long first_bad = 0;
		int r;

		for (unsigned i = 0; i < qd; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			cmd_t c = rw_cmd(wr ? OP_WRITE : OP_READ, n->nsid, slba + i * nb, nb,
					 (wr ? w : rd) + i * each, each);

			if (!sqe)
				break;
			prep_uring_cmd(ring, sqe, fd, NVME_URING_CMD_IO, &c, 0, 0, i);
		}
		r = io_uring_submit(ring);
		report(r == (int)qd,
		       whatf("%s %sURING_CMD_IO %u %ss submitted at once", dev, tag, qd,
			     wr ? "write" : "read"),
		       "io_uring_submit returned %d", r);
		while (got < (unsigned)(r > 0 ? r : 0)) {
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(ring, &cqe) < 0)
				break;
			got++;
			if (cqe->user_data < 64) {
				if (seen_mask & (1ull << cqe->user_data))
					dup++;
				seen_mask |= 1ull << cqe->user_data;
				seen++;
			}
			if (cqe->res != 0 && !bad++)
				first_bad = cqe->res;
			io_uring_cqe_seen(ring, cqe);
		}
		report(got == qd && seen == qd && !dup && !bad,
		       whatf("%s %sQD%u %ss: every completion once, each res 0", dev, tag, qd,
			     wr ? "write" : "read"),
		       "%u completions (%u distinct, %u duplicate), %u with res != 0 (first %ld)",
		       got, seen - dup, dup, bad, first_bad);
	}
	expect_data(whatf("%s %sQD%u read back", dev, tag, qd), rd, w, len);
	xfree(w, len);
	xfree(rd, len);
}

static void uring_ns_checks(unsigned ni)
{
	const struct node *n = &nodes[ni];
	const char *dev = base(n->path);
	unsigned lba = ex.lba[n->nsid];
	uint64_t blocks = ex.blocks[n->nsid];
	int fd = xopen(n->path, O_RDWR);
	struct io_uring ring;
	uint8_t *buf = xalloc(65536);
	uint64_t res;
	cmd_t c;

	if (!ring_init(&ring, 64, IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
		       whatf("%s io_uring ring (SQE128|CQE32)", dev)))
		goto out;
	uring_rw(&ring, fd, n, "", region_lba(n->nsid, REGION(ni, R_URING)), 70 + ni, false);
	uring_rw(&ring, fd, n, "", region_lba(n->nsid, REGION(ni, R_URING_VEC)), 80 + ni, true);
	uring_qd(&ring, fd, n, "", region_lba(n->nsid, REGION(ni, R_URING_QD)), 90 + ni, 32);

	c = rw_cmd(OP_READ, n->nsid, blocks, 1, buf, lba);
	expect_status(whatf("%s URING_CMD_IO read past the end: cqe res", dev),
		      uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, &res), ST_LBA_RANGE);
	expect_u64(whatf("%s URING_CMD_IO read past the end: big CQE result", dev), res, 0);

	/* Registered buffers. */
	{
		size_t flen = 65536;
		uint8_t *fb = xalloc(flen), *w = xalloc(16384);
		struct iovec reg = { fb, flen };
		int r = io_uring_register_buffers(&ring, &reg, 1);
		uint64_t slba = region_lba(n->nsid, REGION(ni, R_URING_FIXED));

		if (expect_ret(whatf("%s io_uring_register_buffers (64 KiB)", dev), r, 0)) {
			fill(fb, 16384, 100 + ni);
			memcpy(w, fb, 16384);
			memset(fb + 32768, 0, 16384);
			c = rw_cmd(OP_WRITE, n->nsid, slba, 16384 / lba, fb, 16384);
			expect_ret(whatf("%s URING_CMD_IO fixed-buffer write 16 KiB", dev),
				   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c,
					     IORING_URING_CMD_FIXED, 0, NULL),
				   0);
			c = rw_cmd(OP_READ, n->nsid, slba, 16384 / lba, fb + 32768, 16384);
			if (expect_ret(whatf("%s URING_CMD_IO fixed-buffer read 16 KiB at +32 KiB",
					     dev),
				       uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c,
						 IORING_URING_CMD_FIXED, 0, NULL),
				       0))
				expect_data(whatf("%s fixed-buffer read back", dev), fb + 32768, w,
					    16384);
			/* Odd address inside the registered buffer: bounced. */
			size_t x = lba > 2048 ? lba : 2048;

			fill(fb + 1, x, 110 + ni);
			memcpy(w, fb + 1, x);
			c = rw_cmd(OP_WRITE, n->nsid, slba + 16384 / lba, x / lba, fb + 1, x);
			expect_ret(whatf("%s URING_CMD_IO fixed-buffer write from an odd address",
					 dev),
				   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c,
					     IORING_URING_CMD_FIXED, 0, NULL),
				   0);
			memset(fb + 40001, 0, x);
			c = rw_cmd(OP_READ, n->nsid, slba + 16384 / lba, x / lba, fb + 40001, x);
			if (expect_ret(whatf("%s URING_CMD_IO fixed-buffer read into an odd address",
					     dev),
				       uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c,
						 IORING_URING_CMD_FIXED, 0, NULL),
				       0))
				expect_data(whatf("%s fixed-buffer odd-address read back", dev),
					    fb + 40001, w, x);
			/* Outside the registered range, bad index, vectored. */
			c = rw_cmd(OP_READ, n->nsid, slba, 16384 / lba, fb + flen - 4096, 16384);
			expect_ret(
				whatf("%s URING_CMD_IO fixed buffer running past the registration",
				      dev),
				uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, IORING_URING_CMD_FIXED,
					  0, NULL),
				-EFAULT);
			c = rw_cmd(OP_READ, n->nsid, slba, 1, buf, lba);
			expect_ret(whatf("%s URING_CMD_IO fixed buffer at an unregistered address",
					 dev),
				   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c,
					     IORING_URING_CMD_FIXED, 0, NULL),
				   -EFAULT);
			c = rw_cmd(OP_READ, n->nsid, slba, 1, fb, lba);
			expect_ret(whatf("%s URING_CMD_IO fixed buf_index 5 (1 registered)", dev),
				   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c,
					     IORING_URING_CMD_FIXED, 5, NULL),
				   -EFAULT);
			{
				struct iovec v = { fb, lba };

				c = rw_cmd(OP_READ, n->nsid, slba, 1, &v, 1);
				expect_ret(whatf("%s URING_CMD_IO_VEC with IORING_URING_CMD_FIXED",
						 dev),
					   uring_cmd(&ring, fd, NVME_URING_CMD_IO_VEC, &c,
						     IORING_URING_CMD_FIXED, 0, NULL),
					   -EINVAL);
			}
			io_uring_unregister_buffers(&ring);
		}
		xfree(fb, flen);
		xfree(w, 16384);
	}

	/* Bad commands. */
	c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 0), 1, buf, lba);
	c.flags = 1;
	expect_ret(whatf("%s URING_CMD_IO with flags 1", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EINVAL);
	c.flags = 0;
	expect_ret(whatf("%s URING_CMD_IO with sqe uring_cmd_flags 0x2", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 2, 0, NULL), -EINVAL);
	c.nsid = n->nsid == 1 ? 2 : 1;
	expect_ret(whatf("%s URING_CMD_IO with the other namespace's nsid", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EINVAL);
	c.nsid = n->nsid;
	c.metadata = (uintptr_t)(buf + 8192);
	c.metadata_len = 8;
	expect_ret(whatf("%s URING_CMD_IO with a metadata buffer", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EINVAL);
	c.metadata = 0;
	c.metadata_len = 0;
	c.addr = (uintptr_t)unmapped_page();
	expect_ret(whatf("%s URING_CMD_IO read into an unmapped buffer", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EFAULT);
	c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 0), 1, unmapped_page(), 1);
	expect_ret(whatf("%s URING_CMD_IO_VEC with an unmapped iovec array", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO_VEC, &c, 0, 0, NULL), -EFAULT);
	{
		size_t maxb = (size_t)ex.max_kb << 10;
		uint8_t *big = xalloc(maxb + 4096);

		c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 120), (maxb + 4096) / lba, big,
			   maxb + 4096);
		expect_ret(whatf("%s URING_CMD_IO read of max_hw_sectors_kb + 4 KiB", dev),
			   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EINVAL);
		xfree(big, maxb + 4096);
	}
	c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 0), 1, buf, lba);
	expect_ret(whatf("%s unknown uring cmd_op _IOWR('N', 0x84, ...)", dev),
		   uring_cmd(&ring, fd, _IOWR('N', 0x84, struct nvme_uring_cmd), &c, 0, 0, NULL),
		   -ENOTTY);
	expect_ret(whatf("%s uring cmd_op NVME_URING_CMD_ADMIN (controller node only)", dev),
		   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -ENOTTY);
	expect_ret(whatf("%s uring cmd_op NVME_IOCTL_IO64_CMD (an ioctl number)", dev),
		   uring_cmd(&ring, fd, NVME_IOCTL_IO64_CMD, &c, 0, 0, NULL), -ENOTTY);
	io_uring_queue_exit(&ring);

	/* IOPOLL ring: needs the driver's poll queues (poll_queues=1). */
	if (ring_init(&ring, 64, IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_IOPOLL,
		      whatf("%s io_uring IOPOLL ring", dev))) {
		uring_rw(&ring, fd, n, "IOPOLL ", region_lba(n->nsid, REGION(ni, R_URING_POLL)),
			 120 + ni, false);
		uring_qd(&ring, fd, n, "IOPOLL ",
			 region_lba(n->nsid, REGION(ni, R_URING_POLL)) + 65536 / lba, 130 + ni, 32);
		c = rw_cmd(OP_READ, n->nsid, blocks, 1, buf, lba);
		expect_status(whatf("%s IOPOLL URING_CMD_IO read past the end", dev),
			      uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL),
			      ST_LBA_RANGE);
		io_uring_queue_exit(&ring);
	}

	/* Rings without big SQEs and CQEs. */
	static const struct {
		unsigned flags;
		const char *name;
	} small[] = {
		{ 0, "64-byte SQEs, 16-byte CQEs" },
		{ IORING_SETUP_SQE128, "SQE128 without CQE32" },
		{ IORING_SETUP_CQE32, "CQE32 without SQE128" },
	};
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		if (!ring_init(&ring, 8, small[i].flags, whatf("%s ring %s", dev, small[i].name)))
			continue;
		c = rw_cmd(OP_READ, n->nsid, region_lba(n->nsid, 0), 1, buf, lba);
		expect_ret(whatf("%s URING_CMD_IO on a ring with %s", dev, small[i].name),
			   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EOPNOTSUPP);
		io_uring_queue_exit(&ring);
	}
out:
	xfree(buf, 65536);
	close(fd);
}

static void uring_ctrl_checks(void)
{
	int fd = xopen(CTRL_DEV, O_RDWR);
	struct io_uring ring;
	uint8_t *buf = xalloc(8192);
	uint64_t res;
	cmd_t c;

	if (!ring_init(&ring, 16, IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
		       CTRL_DEV " io_uring ring (SQE128|CQE32)"))
		goto out;
	memset(buf, 0, 4096);
	c = identify(0, 0x01, 0, buf);
	if (expect_ret(CTRL_DEV " URING_CMD_ADMIN Identify Controller",
		       uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, &res), 0)) {
		expect_serial(CTRL_DEV " URING_CMD_ADMIN Identify Controller serial", buf);
		expect_u64(CTRL_DEV " URING_CMD_ADMIN Identify: big CQE result", res, 0);
	}
	{
		uint8_t *a = xalloc(4096), *b = xalloc(4096);
		struct iovec v[2] = { { a, 2048 }, { b, 2048 } };
		uint8_t id[4096];

		c = identify(0, 0x01, 0, v);
		c.data_len = 2;
		if (expect_ret(CTRL_DEV " URING_CMD_ADMIN_VEC Identify Controller (2 iovecs)",
			       uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN_VEC, &c, 0, 0, NULL), 0)) {
			memcpy(id, a, 2048);
			memcpy(id + 2048, b, 2048);
			expect_serial(CTRL_DEV " URING_CMD_ADMIN_VEC Identify serial", id);
			expect_data(CTRL_DEV " URING_CMD_ADMIN_VEC data equals URING_CMD_ADMIN's",
				    id, buf, 4096);
		}
		xfree(a, 4096);
		xfree(b, 4096);
	}
	c = admin_cmd(ADM_GET_FEATURES, 0, FEAT_NUM_QUEUES, 0, NULL, 0);
	if (expect_ret(CTRL_DEV " URING_CMD_ADMIN Get Features Number of Queues",
		       uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, &res), 0))
		expect_u64(CTRL_DEV " URING_CMD_ADMIN Get Features result (big CQE)", res,
			   numq_result());
	c = identify(0, 0xff, 0, buf);
	expect_status(CTRL_DEV " URING_CMD_ADMIN Identify CNS 0xff: cqe res",
		      uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), ST_INVALID_FIELD);
	c = admin_cmd(ADM_SET_FEATURES, 0, FEAT_NUM_QUEUES, 0, NULL, 0);
	expect_ret(CTRL_DEV " URING_CMD_ADMIN Set Features Number of Queues as root",
		   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EACCES);
	c = identify(0, 0x01, 0, buf);
	c.flags = 1;
	expect_ret(CTRL_DEV " URING_CMD_ADMIN with flags 1",
		   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EINVAL);
	c.flags = 0;
	expect_ret(CTRL_DEV " uring cmd_op NVME_URING_CMD_IO (namespace nodes only)",
		   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -ENOTTY);
	expect_ret(CTRL_DEV " unknown uring cmd_op _IOWR('N', 0x84, ...)",
		   uring_cmd(&ring, fd, _IOWR('N', 0x84, struct nvme_uring_cmd), &c, 0, 0, NULL),
		   -ENOTTY);
	c.addr = (uintptr_t)unmapped_page();
	expect_ret(CTRL_DEV " URING_CMD_ADMIN Identify into an unmapped buffer",
		   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EFAULT);
	io_uring_queue_exit(&ring);

	if (ring_init(&ring, 8, IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_IOPOLL,
		      CTRL_DEV " io_uring IOPOLL ring")) {
		c = identify(0, 0x01, 0, buf);
		expect_ret(CTRL_DEV " URING_CMD_ADMIN on an IOPOLL ring",
			   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EOPNOTSUPP);
		io_uring_queue_exit(&ring);
	}
	if (ring_init(&ring, 8, 0, CTRL_DEV " io_uring ring (64-byte SQEs)")) {
		c = identify(0, 0x01, 0, buf);
		expect_ret(CTRL_DEV " URING_CMD_ADMIN on a ring without SQE128/CQE32",
			   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EOPNOTSUPP);
		io_uring_queue_exit(&ring);
	}

	/* The block device has its own uring_cmd (discard only). */
	{
		int bfd = xopen(BLK1_PATH, O_RDWR);

		if (ring_init(&ring, 8, IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
			      whatf("%s io_uring ring", BLK1))) {
			c = rw_cmd(OP_READ, 1, region_lba(1, 0), 1, buf, 512);
			expect_ret(whatf("%s (block device) URING_CMD_IO: not a passthrough node",
					 BLK1),
				   uring_cmd(&ring, bfd, NVME_URING_CMD_IO, &c, 0, 0, NULL),
				   -EINVAL);
			io_uring_queue_exit(&ring);
		}
		close(bfd);
	}
out:
	xfree(buf, 8192);
	close(fd);
}

/* --- checks: unprivileged ----------------------------------------------------------- */

struct mode_save {
	const char *path;
	mode_t mode;
	bool saved;
};
/* Every node the unprivileged child opens, whichever namespace it is. */
static struct mode_save modes[] = {
	{ CTRL_DEV, 0, false },
	{ "/dev/ng0n1", 0, false },
	{ "/dev/ng0n2", 0, false },
	{ "/dev/nvme0n1", 0, false },
	{ "/dev/nvme0n2", 0, false },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static void open_up_nodes(void)
{
	for (size_t i = 0; i < NMODES; i++) {
		struct stat st;

		if (stat(modes[i].path, &st) == 0) {
			modes[i].mode = st.st_mode & 07777;
			modes[i].saved = true;
		}
		report(chmod(modes[i].path, 0666) == 0, whatf("chmod 0666 %s", modes[i].path), "%s",
		       strerror(errno));
	}
}

static void restore_modes(void)
{
	for (size_t i = 0; i < NMODES; i++)
		if (modes[i].saved)
			chmod(modes[i].path, modes[i].mode);
}

static bool caps_gone(char *why, size_t len)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0) {
		snprintf(why, len, "capget: %s", strerror(errno));
		return false;
	}
	snprintf(why, len, "uid %d euid %d gid %d, effective caps %08x%08x, permitted %08x%08x",
		 (int)getuid(), (int)geteuid(), (int)getgid(), d[1].effective, d[0].effective,
		 d[1].permitted, d[0].permitted);
	return getuid() == UNPRIV_ID && geteuid() == UNPRIV_ID && getgid() == UNPRIV_ID &&
	       !d[0].effective && !d[1].effective && !d[0].permitted && !d[1].permitted;
}

/* Opens path for the unprivileged checks; the open is itself a check. */
static int uopen(const char *path, int flags)
{
	int fd = open(path, flags);

	report(fd >= 0,
	       whatf("unprivileged open %s %s", path, flags == O_RDONLY ? "O_RDONLY" : "O_RDWR"),
	       "%s", strerror(errno));
	return fd;
}

static void unpriv_admin(int fd, const char *dev, unsigned long req)
{
	uint8_t *buf = xalloc(4096);
	cmd_t c;

	/* Identify CNS values that 6.12 lets anyone send, and the device's answer. */
	static const struct {
		uint8_t cns;
		uint32_t nsid;
		long want;
		const char *name;
	} ids[] = {
		{ 0x00, 1, 0, "CNS 0x00 Namespace" },
		{ 0x01, 0, 0, "CNS 0x01 Controller" },
		{ 0x05, 1, 0, "CNS 0x05 I/O Command Set specific Namespace (NVM)" },
		{ 0x06, 0, 0, "CNS 0x06 I/O Command Set specific Controller (NVM)" },
		/* Allowed, but QEMU 7.2 does not know CNS 0x08. */
		{ 0x08, 1, ST_INVALID_FIELD, "CNS 0x08 I/O Command Set Independent Namespace" },
		{ 0x02, 0, -EACCES, "CNS 0x02 Active Namespace List" },
		{ 0x03, 1, -EACCES, "CNS 0x03 Namespace Identification Descriptors" },
		{ 0x07, 0, -EACCES, "CNS 0x07 Active Namespace List (I/O Command Set)" },
		{ 0x1c, 0, -EACCES, "CNS 0x1c I/O Command Set data structure" },
		{ 0x10, 0, -EACCES, "CNS 0x10 Allocated Namespace List" },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		long r;

		memset(buf, 0, 4096);
		c = identify(ids[i].nsid, ids[i].cns, 0, buf);
		r = passthru(fd, req, &c, NULL);
		if (ids[i].want > 0)
			expect_status(whatf("unprivileged %s %s Identify %s", dev, ioctl_name(req),
					    ids[i].name),
				      r, ids[i].want);
		else
			expect_ret(whatf("unprivileged %s %s Identify %s", dev, ioctl_name(req),
					 ids[i].name),
				   r, ids[i].want);
		if (ids[i].cns == 0x01 && r == 0)
			expect_serial(whatf("unprivileged %s %s Identify Controller serial", dev,
					    ioctl_name(req)),
				      buf);
	}
	/* CNS is cdw10's low byte only: CNTID bits above it do not matter. */
	c = identify(0, 0x01, 0, buf);
	c.cdw10 = 0xffff0001;
	expect_ret(whatf("unprivileged %s %s Identify cdw10 0xffff0001 (CNS 1)", dev,
			 ioctl_name(req)),
		   passthru(fd, req, &c, NULL), 0);

	static const struct {
		uint8_t opcode;
		uint32_t cdw10;
		bool data;
		const char *name;
	} denied[] = {
		{ ADM_GET_LOG_PAGE, LOG_CMD_EFFECTS | (1023u << 16), true,
		  "Get Log Page (effects)" },
		{ ADM_GET_LOG_PAGE, 0x02 | (127u << 16), true, "Get Log Page (SMART)" },
		{ ADM_GET_FEATURES, FEAT_NUM_QUEUES, false, "Get Features Number of Queues" },
		{ ADM_SET_FEATURES, FEAT_VWC, false, "Set Features Volatile Write Cache" },
		{ ADM_SET_FEATURES, FEAT_NUM_QUEUES, false, "Set Features Number of Queues" },
		{ 0xc1, 0, false, "vendor opcode 0xc1" },
		{ OP_FABRICS, 0, false, "fabrics opcode 0x7f" },
		{ 0x80, 0, false, "Format NVM" },
	};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		c = admin_cmd(denied[i].opcode, 0, denied[i].cdw10, 0, denied[i].data ? buf : NULL,
			      denied[i].data ? 512 : 0);
		expect_ret(whatf("unprivileged %s %s %s", dev, ioctl_name(req), denied[i].name),
			   passthru(fd, req, &c, NULL), -EACCES);
	}
	xfree(buf, 4096);
}

/* I/O permission rows on a namespace node (char or block) opened with flags. */
static void unpriv_io(int fd, const struct node *n, int flags, unsigned ni)
{
	const char *dev = base(n->path);
	const char *m = flags == O_RDONLY ? "O_RDONLY" : "O_RDWR";
	bool rw = flags == O_RDWR;
	unsigned lba = ex.lba[n->nsid];
	uint64_t slba = region_lba(n->nsid, REGION(ni, R_UNPRIV));
	uint8_t *buf = xalloc(8192), *want = xalloc(4096);
	uint64_t res;
	cmd_t c;

	/* Root wrote this pattern before the fork. */
	fill(want, 4096, 140 + ni);
	memset(buf, 0, 4096);
	c = rw_cmd(OP_READ, n->nsid, slba, 4096 / lba, buf, 4096);
	if (expect_ret(whatf("unprivileged %s %s IO_CMD Read", dev, m),
		       passthru(fd, NVME_IOCTL_IO_CMD, &c, &res), 0))
		expect_data(whatf("unprivileged %s %s IO_CMD Read data", dev, m), buf, want, 4096);
	expect_ret(whatf("unprivileged %s %s IO64_CMD Read", dev, m),
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), 0);
	{
		struct iovec v = { buf, 4096 };
		cmd_t cv = rw_cmd(OP_READ, n->nsid, slba, 4096 / lba, &v, 1);

		expect_ret(whatf("unprivileged %s %s IO64_CMD_VEC Read", dev, m),
			   passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &cv, NULL), 0);
	}
	expect_ret(whatf("unprivileged %s %s SUBMIT_IO Read", dev, m),
		   submit_io(fd, OP_READ, slba, 4096 / lba, buf), 0);
	c = rw_cmd(OP_VERIFY, n->nsid, slba, 1, NULL, 0);
	expect_ret(whatf("unprivileged %s %s Verify (CSUPP, no LBCC)", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);

	/* Writes and other LBCC commands need a descriptor open for writing. */
	long wr = rw ? 0 : -EACCES;
	uint64_t wlba = region_lba(n->nsid, REGION(ni, R_UNPRIV_W));

	fill(buf, 4096, 150 + ni);
	c = rw_cmd(OP_WRITE, n->nsid, wlba, 4096 / lba, buf, 4096);
	expect_ret(whatf("unprivileged %s %s IO_CMD Write", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), wr);
	expect_ret(whatf("unprivileged %s %s IO64_CMD Write", dev, m),
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), wr);
	expect_ret(whatf("unprivileged %s %s SUBMIT_IO Write", dev, m),
		   submit_io(fd, OP_WRITE, wlba, 4096 / lba, buf), wr);
	/* Compare is a host-to-controller transfer (odd opcode). */
	expect_ret(whatf("unprivileged %s %s SUBMIT_IO Compare (equal data)", dev, m),
		   submit_io(fd, OP_COMPARE, wlba, 4096 / lba, buf), rw ? 0 : -EACCES);
	c = rw_cmd(OP_FLUSH, n->nsid, 0, 1, NULL, 0);
	c.cdw12 = 0;
	expect_ret(whatf("unprivileged %s %s Flush (QEMU marks it LBCC)", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), wr);
	c = rw_cmd(OP_WRITE_ZEROES, n->nsid, wlba + 4096 / lba, 1, NULL, 0);
	expect_ret(whatf("unprivileged %s %s Write Zeroes", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), wr);
	{
		uint32_t *range = (uint32_t *)(buf + 4096);

		memset(range, 0, 16);
		range[1] = 1; /* 1 block */
		range[2] = (uint32_t)(wlba + 4096 / lba + 1); /* slba low */
		c = admin_cmd(OP_DSM, n->nsid, 0, 1u << 2, range, 16); /* 1 range, deallocate */
		expect_ret(whatf("unprivileged %s %s Dataset Management deallocate", dev, m),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), wr);
	}
	/* Not in the effects log as supported, or vendor specific: root only. */
	c = rw_cmd(OP_WRITE_UNCOR, n->nsid, wlba, 1, NULL, 0);
	expect_ret(whatf("unprivileged %s %s Write Uncorrectable (not CSUPP)", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EACCES);
	c = rw_cmd(0x7e, n->nsid, 0, 1, NULL, 0);
	expect_ret(whatf("unprivileged %s %s opcode 0x7e (not CSUPP)", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EACCES);
	c = rw_cmd(0x81, n->nsid, 0, 1, NULL, 0);
	expect_ret(whatf("unprivileged %s %s vendor opcode 0x81", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EACCES);
	c = rw_cmd(OP_FABRICS, n->nsid, 0, 1, NULL, 0);
	expect_ret(whatf("unprivileged %s %s fabrics opcode 0x7f", dev, m),
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -EACCES);
	/* Validation before permission: a wrong nsid is EINVAL even here. */
	c = rw_cmd(OP_WRITE, 0, wlba, 1, buf, lba);
	expect_ret(whatf("unprivileged %s %s IO_CMD Write with nsid 0", dev, m),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);

	expect_ret(whatf("unprivileged %s %s NVME_IOCTL_ID", dev, m),
		   sysret(ioctl(fd, NVME_IOCTL_ID)), n->nsid);
	xfree(buf, 8192);
	xfree(want, 4096);
}

static void unpriv_uring(void)
{
	struct io_uring ring;
	uint8_t *buf = xalloc(8192);
	int fd;
	cmd_t c;

	if (!ring_init(&ring, 16, IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
		       "unprivileged io_uring ring"))
		goto out;
	fd = uopen(NG1_PATH, O_RDONLY);
	if (fd >= 0) {
		uint8_t want[4096];

		fill(want, 4096, 140);
		memset(buf, 0, 4096);
		c = rw_cmd(OP_READ, 1, region_lba(1, REGION(0, R_UNPRIV)), 8, buf, 4096);
		if (expect_ret(whatf("unprivileged %s O_RDONLY URING_CMD_IO Read", NG1),
			       uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), 0))
			expect_data(whatf("unprivileged %s O_RDONLY URING_CMD_IO Read data", NG1),
				    buf, want, 4096);
		c = rw_cmd(OP_WRITE, 1, region_lba(1, REGION(0, R_UNPRIV_W)), 8, buf, 4096);
		expect_ret(whatf("unprivileged %s O_RDONLY URING_CMD_IO Write", NG1),
			   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EACCES);
		close(fd);
	}
	fd = uopen(NG1_PATH, O_RDWR);
	if (fd >= 0) {
		c = rw_cmd(OP_WRITE, 1, region_lba(1, REGION(0, R_UNPRIV_W)), 8, buf, 4096);
		expect_ret(whatf("unprivileged %s O_RDWR URING_CMD_IO Write", NG1),
			   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), 0);
		c = rw_cmd(0x81, 1, 0, 1, NULL, 0);
		expect_ret(whatf("unprivileged %s O_RDWR URING_CMD_IO vendor opcode 0x81", NG1),
			   uring_cmd(&ring, fd, NVME_URING_CMD_IO, &c, 0, 0, NULL), -EACCES);
		close(fd);
	}
	fd = uopen(CTRL_DEV, O_RDONLY);
	if (fd >= 0) {
		c = identify(0, 0x01, 0, buf);
		if (expect_ret("unprivileged " CTRL_DEV " URING_CMD_ADMIN Identify Controller",
			       uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), 0))
			expect_serial("unprivileged " CTRL_DEV " URING_CMD_ADMIN Identify serial",
				      buf);
		c = admin_cmd(ADM_GET_LOG_PAGE, 0, LOG_CMD_EFFECTS | (1023u << 16), 0, buf, 4096);
		expect_ret("unprivileged " CTRL_DEV " URING_CMD_ADMIN Get Log Page",
			   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EACCES);
		c = identify(0, 0x02, 0, buf);
		expect_ret("unprivileged " CTRL_DEV
			   " URING_CMD_ADMIN Identify Active Namespace List",
			   uring_cmd(&ring, fd, NVME_URING_CMD_ADMIN, &c, 0, 0, NULL), -EACCES);
		close(fd);
	}
	io_uring_queue_exit(&ring);
out:
	xfree(buf, 8192);
}

static void unprivileged_child(void)
{
	char why[160];
	int fd;

	if (setgroups(0, NULL) || setgid(UNPRIV_ID) || setuid(UNPRIV_ID)) {
		report(false, "drop to uid/gid 65534", "%s", strerror(errno));
		return;
	}
	if (!caps_gone(why, sizeof(why))) {
		report(false, "unprivileged: uid/gid 65534, no capabilities", "%s", why);
		return; /* every later check would mean nothing */
	}
	report(true, "unprivileged: uid/gid 65534, no capabilities", "-");

	for (int fl = 0; fl < 2; fl++) {
		int flags = fl ? O_RDWR : O_RDONLY;

		fd = uopen(CTRL_DEV, flags);
		if (fd < 0)
			continue;
		unpriv_admin(fd, fl ? CTRL_DEV " O_RDWR" : CTRL_DEV " O_RDONLY",
			     NVME_IOCTL_ADMIN_CMD);
		if (!fl) {
			uint8_t *buf = xalloc(4096);
			cmd_t c = identify(0, 0x01, 0, buf);

			expect_ret("unprivileged " CTRL_DEV " ADMIN64_CMD Identify Controller",
				   passthru(fd, NVME_IOCTL_ADMIN64_CMD, &c, NULL), 0);
			c = admin_cmd(ADM_GET_FEATURES, 0, FEAT_NUM_QUEUES, 0, NULL, 0);
			expect_ret("unprivileged " CTRL_DEV " ADMIN64_CMD Get Features",
				   passthru(fd, NVME_IOCTL_ADMIN64_CMD, &c, NULL), -EACCES);
			expect_ret("unprivileged " CTRL_DEV " RESET",
				   sysret(ioctl(fd, NVME_IOCTL_RESET)), -EACCES);
			expect_ret("unprivileged " CTRL_DEV " SUBSYS_RESET",
				   sysret(ioctl(fd, NVME_IOCTL_SUBSYS_RESET)), -EACCES);
			expect_ret("unprivileged " CTRL_DEV " RESCAN",
				   sysret(ioctl(fd, NVME_IOCTL_RESCAN)), -EACCES);
			c = rw_cmd(OP_READ, 1, region_lba(1, 0), 1, buf, 512);
			expect_ret("unprivileged " CTRL_DEV " IO_CMD (2 namespaces)",
				   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
			expect_ret("unprivileged " CTRL_DEV " NVME_IOCTL_ID",
				   sysret(ioctl(fd, NVME_IOCTL_ID)), -ENOTTY);
			xfree(buf, 4096);
		}
		close(fd);
	}

	for (unsigned ni = 0; ni < NNODES; ni++) {
		for (int fl = 0; fl < 2; fl++) {
			int flags = fl ? O_RDWR : O_RDONLY;

			fd = uopen(nodes[ni].path, flags);
			if (fd < 0)
				continue;
			unpriv_io(fd, &nodes[ni], flags, ni);
			if (ni == 0 && !fl) {
				/* Admin through a namespace node: same rules. */
				uint8_t *buf = xalloc(4096);
				cmd_t c = identify(0, 0x01, 0, buf);

				if (expect_ret(
					    whatf("unprivileged %s O_RDONLY ADMIN_CMD Identify Controller",
						  NG1),
					    passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0))
					expect_serial(
						whatf("unprivileged %s ADMIN_CMD Identify serial",
						      NG1),
						buf);
				c = admin_cmd(ADM_GET_LOG_PAGE, 0, LOG_CMD_EFFECTS | (1023u << 16),
					      0, buf, 4096);
				expect_ret(whatf("unprivileged %s O_RDONLY ADMIN_CMD Get Log Page",
						 NG1),
					   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), -EACCES);
				xfree(buf, 4096);
			}
			close(fd);
		}
	}
	unpriv_uring();
}

static void unprivileged_checks(void)
{
	pid_t pid;
	int status;

	/* Patterns for the child to read. */
	for (unsigned ni = 0; ni < NNODES; ni++) {
		const struct node *n = &nodes[ni];
		int fd = xopen(n->path, O_RDWR);
		uint8_t *buf = xalloc(4096);
		unsigned lba = ex.lba[n->nsid];
		cmd_t c;

		fill(buf, 4096, 140 + ni);
		c = rw_cmd(OP_WRITE, n->nsid, region_lba(n->nsid, REGION(ni, R_UNPRIV)), 4096 / lba,
			   buf, 4096);
		expect_ret(whatf("%s IO_CMD write a pattern for the unprivileged reads",
				 base(n->path)),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
		xfree(buf, 4096);
		close(fd);
	}
	open_up_nodes();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report(false, "fork the unprivileged child", "%s", strerror(errno));
		return;
	}
	if (pid == 0) {
		unprivileged_child();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unprivileged child finished",
	       "wait status %#x", status);
}

/* --- checks: partitions ------------------------------------------------------------- */

static bool wait_path(const char *path, bool present, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if ((access(path, F_OK) == 0) == present)
			return true;
		usleep(100000);
	}
	return (access(path, F_OK) == 0) == present;
}

static bool write_mbr(int bfd, bool with_partition)
{
	uint8_t mbr[512] = { 0 };

	if (with_partition) {
		uint8_t *e = mbr + 446;
		uint32_t start = 2048, count = 8192;

		e[4] = 0x83;
		memcpy(e + 8, &start, 4);
		memcpy(e + 12, &count, 4);
		mbr[510] = 0x55;
		mbr[511] = 0xaa;
	}
	if (pwrite(bfd, mbr, 512, 0) != 512 || fsync(bfd) != 0)
		return false;
	return ioctl(bfd, BLKRRPART) == 0;
}

/* Passthrough on a partition: root only, and LBAs stay namespace LBAs. */
static void partition_checks(void)
{
	char part[48];
	int bfd = xopen(BLK1_PATH, O_RDWR);
	uint8_t *buf = xalloc(4096);
	pid_t pid;
	int status, fd;
	cmd_t c;

	snprintf(part, sizeof(part), "%sp1", BLK1_PATH);
	if (!write_mbr(bfd, true) || !wait_path(part, true, 10)) {
		report(false, whatf("partition %sp1 appears after writing an MBR", BLK1), "%s",
		       strerror(errno));
		goto out;
	}
	report(true, whatf("partition %sp1 appears after writing an MBR", BLK1), "-");
	fd = xopen(part, O_RDWR);
	expect_ret(whatf("%sp1 NVME_IOCTL_ID (the namespace's)", BLK1),
		   sysret(ioctl(fd, NVME_IOCTL_ID)), 1);
	memset(buf, 0, 512);
	c = rw_cmd(OP_READ, 1, 0, 1, buf, 512);
	if (expect_ret(whatf("%sp1 IO_CMD read LBA 0 as root", BLK1),
		       passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
		report(buf[510] == 0x55 && buf[511] == 0xaa && buf[446 + 4] == 0x83,
		       whatf("%sp1 IO_CMD LBA 0 is the namespace's (the MBR), not the partition's",
			     BLK1),
		       "bytes 510-511 are %02x %02x", buf[510], buf[511]);
	expect_ret(whatf("%sp1 SUBMIT_IO read LBA 0 as root", BLK1),
		   submit_io(fd, OP_READ, 0, 1, buf), 0);
	close(fd);
	report(chmod(part, 0666) == 0, whatf("chmod 0666 %s", part), "%s", strerror(errno));

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char why[160];

		if (setgroups(0, NULL) || setgid(UNPRIV_ID) || setuid(UNPRIV_ID) ||
		    !caps_gone(why, sizeof(why))) {
			report(false, "partition child: drop to uid/gid 65534", "%s",
			       strerror(errno));
			_exit(1);
		}
		fd = uopen(part, O_RDWR);
		if (fd >= 0) {
			c = rw_cmd(OP_READ, 1, region_lba(1, 0), 1, buf, 512);
			/* 6.12's nvme_user_cmd (the 32-bit IO_CMD) hands flags 0 to
			 * nvme_cmd_allowed, so the partition rule misses it. */
			expect_ret(
				whatf("unprivileged %sp1 O_RDWR IO_CMD Read (partition flag not passed)",
				      BLK1),
				passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
			c = rw_cmd(OP_WRITE, 1, region_lba(1, REGION(2, R_UNPRIV_W)), 1, buf, 512);
			expect_ret(
				whatf("unprivileged %sp1 O_RDWR IO_CMD Write (partition flag not passed)",
				      BLK1),
				passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
			c = rw_cmd(OP_READ, 1, region_lba(1, 0), 1, buf, 512);
			expect_ret(whatf("unprivileged %sp1 O_RDWR IO64_CMD Read", BLK1),
				   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -EACCES);
			{
				struct iovec v = { buf, 512 };
				cmd_t cv = rw_cmd(OP_READ, 1, region_lba(1, 0), 1, &v, 1);

				expect_ret(
					whatf("unprivileged %sp1 O_RDWR IO64_CMD_VEC Read", BLK1),
					passthru(fd, NVME_IOCTL_IO64_CMD_VEC, &cv, NULL), -EACCES);
			}
			expect_ret(whatf("unprivileged %sp1 O_RDWR SUBMIT_IO Read", BLK1),
				   submit_io(fd, OP_READ, region_lba(1, 0), 1, buf), -EACCES);
			expect_ret(whatf("unprivileged %sp1 NVME_IOCTL_ID", BLK1),
				   sysret(ioctl(fd, NVME_IOCTL_ID)), 1);
			/* Admin commands do not carry the partition flag. */
			c = identify(0, 0x01, 0, buf);
			expect_ret(whatf("unprivileged %sp1 ADMIN_CMD Identify Controller", BLK1),
				   passthru(fd, NVME_IOCTL_ADMIN_CMD, &c, NULL), 0);
			close(fd);
		}
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0, "partition child finished",
	       "wait status %#x", status);
out:
	report(write_mbr(bfd, false) && wait_path(part, false, 10),
	       whatf("MBR wiped, %sp1 gone again", BLK1), "%s", strerror(errno));
	xfree(buf, 4096);
	close(bfd);
}

/* --- checks: reset and rescan ------------------------------------------------------- */

static bool ctrl_live(void)
{
	char s[32] = "";
	FILE *f = fopen("/sys/class/nvme/nvme0/state", "r");

	if (f) {
		if (!fgets(s, sizeof(s), f))
			s[0] = 0;
		fclose(f);
	}
	return !strncmp(s, "live", 4);
}

static void reset_checks(void)
{
	int cfd = xopen(CTRL_DEV, O_RDWR);
	int nfd = xopen(NG1_PATH, O_RDWR);
	uint8_t *w = xalloc(8192), *r = xalloc(8192);
	uint64_t slba = region_lba(1, REGION(0, R_RESET));
	struct io_uring ring;
	cmd_t c;
	int i;

	fill(w, 8192, 160);
	c = rw_cmd(OP_WRITE, 1, slba, 16, w, 8192);
	expect_ret(whatf("%s IO_CMD write before the reset", NG1),
		   passthru(nfd, NVME_IOCTL_IO_CMD, &c, NULL), 0);
	expect_ret(CTRL_DEV " RESET", sysret(ioctl(cfd, NVME_IOCTL_RESET)), 0);
	for (i = 0; i < 100 && !ctrl_live(); i++)
		usleep(100000);
	report(ctrl_live(), "controller state is live after RESET", "not live after 10 s");
	memset(r, 0, 8192);
	c = rw_cmd(OP_READ, 1, slba, 16, r, 8192);
	if (expect_ret(whatf("%s IO_CMD read after RESET (descriptor from before)", NG1),
		       passthru(nfd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
		expect_data(whatf("%s data after RESET", NG1), r, w, 8192);
	admin_basics(cfd, CTRL_DEV " after RESET", NVME_IOCTL_ADMIN_CMD);

	expect_ret(CTRL_DEV " RESCAN", sysret(ioctl(cfd, NVME_IOCTL_RESCAN)), 0);
	usleep(500000);
	report(wait_path("/dev/ng0n1", true, 10) && wait_path("/dev/ng0n2", true, 10),
	       "ng0n1 and ng0n2 present after RESCAN", "missing");
	close(nfd);
	nfd = open(NG1_PATH, O_RDWR);
	if (nfd >= 0) {
		memset(r, 0, 8192);
		if (expect_ret(whatf("%s IO_CMD read after RESCAN (new descriptor)", NG1),
			       passthru(nfd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
			expect_data(whatf("%s data after RESCAN", NG1), r, w, 8192);
		if (ring_init(&ring, 8, IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
			      "io_uring ring after RESCAN")) {
			memset(r, 0, 8192);
			if (expect_ret(whatf("%s URING_CMD_IO read after RESET and RESCAN", NG1),
				       uring_cmd(&ring, nfd, NVME_URING_CMD_IO, &c, 0, 0, NULL), 0))
				expect_data(whatf("%s io_uring data after RESET and RESCAN", NG1),
					    r, w, 8192);
			io_uring_queue_exit(&ring);
		}
		expect_ret(whatf("%s NVME_IOCTL_ID after RESCAN", NG1),
			   sysret(ioctl(nfd, NVME_IOCTL_ID)), 1);
		close(nfd);
	} else {
		report(false, whatf("open %s after RESCAN", NG1_PATH), "%s", strerror(errno));
	}
	xfree(w, 8192);
	xfree(r, 8192);
	close(cfd);
}

/* --- IO_CMD on the controller node, by namespace count ---------------------------------- */

/*
 * NVME_IOCTL_IO_CMD on /dev/nvme0 (6.12's nvme_dev_user_cmd): with one
 * namespace it runs there, with that namespace's checks and permission
 * rules; with none it is ENOTTY, with several EINVAL. Run by
 * 85-passthru-single-ns (GUEST_SETUP=faults), which detaches namespaces to
 * get one and none: `--ctrl-io-cmd COUNT [NODE]`, NODE the N of the only
 * namespace's /dev/ng0nN.
 */
static void ctrl_io_cmd_unprivileged(uint32_t nsid, unsigned lba, uint64_t slba, const void *want)
{
	uint8_t *buf = xalloc(4096);
	char why[160];
	cmd_t c;

	if (setgroups(0, NULL) || setgid(UNPRIV_ID) || setuid(UNPRIV_ID)) {
		report(false, "drop to uid/gid 65534", "%s", strerror(errno));
		return;
	}
	if (!caps_gone(why, sizeof(why))) {
		report(false, "unprivileged: uid/gid 65534, no capabilities", "%s", why);
		return;
	}
	for (int fl = 0; fl < 2; fl++) {
		int flags = fl ? O_RDWR : O_RDONLY;
		const char *m = fl ? "O_RDWR" : "O_RDONLY";
		int fd = uopen(CTRL_DEV, flags);

		if (fd < 0)
			continue;
		memset(buf, 0, 4096);
		c = rw_cmd(OP_READ, nsid, slba, 4096 / lba, buf, 4096);
		if (expect_ret(whatf("unprivileged " CTRL_DEV " %s IO_CMD Read (one namespace)", m),
			       passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
			expect_data(whatf("unprivileged " CTRL_DEV " %s IO_CMD Read data", m), buf,
				    want, 4096);
		memcpy(buf, want, 4096);
		c = rw_cmd(OP_WRITE, nsid, slba, 4096 / lba, buf, 4096);
		expect_ret(whatf("unprivileged " CTRL_DEV " %s IO_CMD Write (one namespace)", m),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), fl ? 0 : -EACCES);
		c = (cmd_t){ .opcode = 0x81, .nsid = nsid };
		expect_ret(whatf("unprivileged " CTRL_DEV " %s IO_CMD vendor opcode 0x81", m),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EACCES);
		close(fd);
	}
	xfree(buf, 4096);
}

static int ctrl_io_cmd_checks(unsigned count, unsigned node)
{
	int fd = xopen(CTRL_DEV, O_RDWR);
	uint8_t *w = xalloc(8192), *r = xalloc(8192);
	uint64_t res;
	cmd_t c;

	expect_ret(CTRL_DEV " SUBSYS_RESET as root (QEMU 7.2: CAP.NSSRS clear)",
		   sysret(ioctl(fd, NVME_IOCTL_SUBSYS_RESET)), -ENOTTY);
	if (count != 1) {
		c = rw_cmd(OP_READ, count ? 1 : 0, 0, 1, r, 4096);
		expect_ret(whatf(CTRL_DEV " IO_CMD with %u namespaces", count),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), count ? -EINVAL : -ENOTTY);
		c = (cmd_t){ .opcode = OP_FLUSH, .nsid = count ? 1 : 0 };
		expect_ret(whatf(CTRL_DEV " IO_CMD Flush with %u namespaces", count),
			   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), count ? -EINVAL : -ENOTTY);
		goto out;
	}

	/*
	 * The only namespace's nodes are /dev/ng0nNODE and /dev/nvme0nNODE: C
	 * names them by an instance number its parallel scan hands out, which
	 * need not be the NSID.
	 */
	char path[64];
	unsigned lba = (unsigned)sysfs_ull("/sys/block/nvme0n%u/queue/logical_block_size", node);
	/* Far from namespace 1's failing LBAs (89-media-errors), on either namespace. */
	uint64_t slba = 8192 / lba * 64;
	uint32_t nsid;
	int nfd;

	snprintf(path, sizeof(path), "/dev/ng0n%u", node);
	nfd = xopen(path, O_RDWR);
	nsid = (uint32_t)ioctl(nfd, NVME_IOCTL_ID);
	note("the only namespace: %s, NSID %u, %u-byte blocks", path, nsid, lba);

	fill(w, 8192, 170);
	c = rw_cmd(OP_WRITE, nsid, slba, 8192 / lba, w, 8192);
	expect_ret(whatf(CTRL_DEV " IO_CMD Write 8 KiB to namespace %u (its only one)", nsid),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, &res), 0);
	memset(r, 0, 8192);
	c = rw_cmd(OP_READ, nsid, slba, 8192 / lba, r, 8192);
	if (expect_ret(CTRL_DEV " IO_CMD Read it back", passthru(fd, NVME_IOCTL_IO_CMD, &c, &res),
		       0)) {
		expect_data(CTRL_DEV " IO_CMD Read data is what it wrote", r, w, 8192);
		expect_u64(CTRL_DEV " IO_CMD Read result written back as 0", res, 0);
	}
	memset(r, 0, 8192);
	if (expect_ret(whatf("%s IO_CMD Read of what " CTRL_DEV " wrote", path),
		       passthru(nfd, NVME_IOCTL_IO_CMD, &c, NULL), 0))
		expect_data(whatf("%s data equals " CTRL_DEV "'s", path), r, w, 8192);
	close(nfd);
	c = rw_cmd(OP_READ, nsid + 1, slba, 1, r, lba);
	expect_ret(whatf(CTRL_DEV " IO_CMD with NSID %u (not the namespace's)", nsid + 1),
		   passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), -EINVAL);
	c = (cmd_t){ .opcode = OP_FLUSH, .nsid = nsid };
	expect_ret(CTRL_DEV " IO_CMD Flush (no data)", passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL),
		   0);
	c = (cmd_t){ .opcode = 0x7e, .nsid = nsid };
	expect_status(CTRL_DEV " IO_CMD opcode 0x7e (root): device rejects",
		      passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL), ST_INVALID_OPCODE);
	c = rw_cmd(OP_READ, nsid, slba, 1, r, lba);
	c.flags = 1;
	expect_ret(CTRL_DEV " IO_CMD with flags set", passthru(fd, NVME_IOCTL_IO_CMD, &c, NULL),
		   -EINVAL);
	expect_ret(CTRL_DEV " IO64_CMD (still not on the controller node)",
		   passthru(fd, NVME_IOCTL_IO64_CMD, &c, NULL), -ENOTTY);

	/* The namespace's permission rules, for a user without CAP_SYS_ADMIN. */
	struct stat st;
	bool saved = stat(CTRL_DEV, &st) == 0;

	report(chmod(CTRL_DEV, 0666) == 0, "chmod 0666 " CTRL_DEV, "%s", strerror(errno));
	fflush(stdout);
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		ctrl_io_cmd_unprivileged(nsid, lba, slba, w);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unprivileged child finished",
	       "wait status %#x", status);
	if (saved)
		chmod(CTRL_DEV, st.st_mode & 07777);
out:
	xfree(w, 8192);
	xfree(r, 8192);
	close(fd);
	printf("# nvme-passthru-test: %d ok, %d FAIL\n", cnt->ok, cnt->fail);
	return cnt->fail ? 1 : 0;
}

/* --- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	bool ctrl_io_cmd = argc >= 3 && argc <= 4 && strcmp(argv[1], "--ctrl-io-cmd") == 0;

	if (argc > 1 && !ctrl_io_cmd) {
		fprintf(stderr, "usage: nvme-passthru-test [--ctrl-io-cmd COUNT [NODE]] "
				"(as root, in the nvme-rs test guest)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	cnt = mmap(NULL, sizeof(*cnt), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cnt == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (geteuid() != 0)
		die("must run as root");
	if (ctrl_io_cmd)
		return ctrl_io_cmd_checks((unsigned)atoi(argv[2]),
					  argc == 4 ? (uint32_t)atoi(argv[3]) : 1);
	load_expectations();
	discover_nodes();
	note("serial %s, ns1 %" PRIu64 " x %u, ns2 %" PRIu64 " x %u, max_ioqpairs %u, "
	     "max_hw_sectors_kb %u",
	     ex.serial, ex.blocks[1], ex.lba[1], ex.blocks[2], ex.lba[2], ex.ioqpairs, ex.max_kb);

	ctrl_node_checks();
	for (unsigned ni = 0; ni < NNODES; ni++)
		ns_node_checks(ni);
	buffer_checks();
	uring_ctrl_checks();
	uring_ns_checks(0);
	uring_ns_checks(1);
	unprivileged_checks();
	partition_checks();
	reset_checks();
	restore_modes();

	printf("# nvme-passthru-test: %d ok, %d FAIL\n", cnt->ok, cnt->fail);
	return cnt->fail ? 1 : 0;
}
