// SPDX-License-Identifier: GPL-2.0
/*
 * Admin commands on /dev/nvme0 running side by side (96-admin-concurrency).
 *
 *   admin-concurrency held HOLD_MS
 *	A child sends an Asynchronous Event Request through NVME_IOCTL_ADMIN_CMD
 *	with a timeout of HOLD_MS: QEMU keeps it until an event comes, so it
 *	stays outstanding until it times out (the driver then resets the
 *	controller). Meanwhile the parent sends Identify Controller and prints
 *	"identify MS": how long it took. Then "held RET": the child's ioctl
 *	return (-errno or NVMe status).
 *
 *   admin-concurrency uring N
 *	Submits N Identify Controller NVME_URING_CMD_ADMIN commands at once and
 *	waits for them. Prints "ok K" (K of them succeeded with the right
 *	data) and "workers W": the io_uring worker threads (iou-wrk-*) the
 *	process has. A driver that completes admin commands asynchronously
 *	needs none; one that returns EAGAIN for a non-blocking issue makes
 *	io_uring punt each command to a worker.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CTRL_DEV "/dev/nvme0"
#define OP_IDENTIFY 0x06
#define OP_ASYNC_EVENT 0x0c
#define CNS_CTRL 1
#define ID_SIZE 4096
#define MAX_CMDS 16

static int open_ctrl(void)
{
	int fd = open(CTRL_DEV, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", CTRL_DEV, strerror(errno));
		exit(2);
	}
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Identify Controller data looks right: a non-zero PCI vendor ID. */
static int identify_ok(const uint8_t *id)
{
	return id[0] | id[1];
}

static int admin_ioctl(int fd, uint8_t opcode, uint32_t cdw10, void *buf, uint32_t len,
		       uint32_t timeout_ms)
{
	struct nvme_admin_cmd c = {
		.opcode = opcode,
		.addr = (uintptr_t)buf,
		.data_len = len,
		.cdw10 = cdw10,
		.timeout_ms = timeout_ms,
	};
	int r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);

	return r < 0 ? -errno : r;
}

static int held(long hold_ms)
{
	static uint8_t id[ID_SIZE];
	int fd = open_ctrl();
	int status, r;
	long start;
	pid_t child = fork();

	if (child < 0) {
		perror("fork");
		return 2;
	}
	if (child == 0) {
		r = admin_ioctl(fd, OP_ASYNC_EVENT, 0, NULL, 0, hold_ms);
		/* Its outcome, and when it ended (CLOCK_MONOTONIC, ms). */
		printf("held %d\n", r);
		printf("held-end %ld\n", now_ms());
		fflush(stdout);
		_exit(0);
	}
	/* Long enough for the child's command to reach the controller. */
	usleep(500 * 1000);
	start = now_ms();
	r = admin_ioctl(fd, OP_IDENTIFY, CNS_CTRL, id, sizeof(id), 0);
	/* How long it took (for the log), and when it ended, which the test
	 * compares with the held command's end: an order, not a speed. */
	printf("identify %ld\n", now_ms() - start);
	printf("identify-end %ld\n", now_ms());
	if (r != 0 || !identify_ok(id))
		printf("identify failed: %d\n", r);
	fflush(stdout);
	waitpid(child, &status, 0);
	return 0;
}

/*
 * hold HOLD_MS: only the held command, for the test to do something else
 * meanwhile; prints its outcome, and when it started and ended
 * (CLOCK_MONOTONIC, ms).
 */
static int hold(long hold_ms)
{
	int fd = open_ctrl();
	long start = now_ms();
	int r = admin_ioctl(fd, OP_ASYNC_EVENT, 0, NULL, 0, hold_ms);

	printf("held %d\n", r);
	printf("held-start %ld\n", start);
	printf("held-end %ld\n", now_ms());
	return 0;
}

static int io_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300], comm[32];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk-", 8))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int uring(int n)
{
	static uint8_t id[MAX_CMDS][ID_SIZE];
	struct io_uring ring;
	int fd = open_ctrl();
	int i, r, ok = 0;

	if (n < 1 || n > MAX_CMDS) {
		fprintf(stderr, "uring: 1 to %d commands\n", MAX_CMDS);
		return 2;
	}
	r = io_uring_queue_init(MAX_CMDS, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
	if (r < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-r));
		return 2;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct nvme_uring_cmd *u = (void *)sqe->cmd;

		memset(sqe, 0, 128);
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = fd;
		sqe->cmd_op = NVME_URING_CMD_ADMIN;
		sqe->user_data = i;
		u->opcode = OP_IDENTIFY;
		u->addr = (uintptr_t)id[i];
		u->data_len = ID_SIZE;
		u->cdw10 = CNS_CTRL;
	}
	r = io_uring_submit(&ring);
	if (r != n) {
		fprintf(stderr, "io_uring_submit: %d\n", r);
		return 2;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;

		r = io_uring_wait_cqe(&ring, &cqe);
		if (r < 0) {
			fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-r));
			return 2;
		}
		if (cqe->res == 0 && cqe->user_data < (uint64_t)n && identify_ok(id[cqe->user_data]))
			ok++;
		else
			printf("command %llu: res %d\n", (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	printf("ok %d\n", ok);
	printf("workers %d\n", io_workers());
	io_uring_queue_exit(&ring);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "held"))
		return held(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "uring"))
		return uring(atoi(argv[2]));
	fprintf(stderr, "usage: %s held HOLD_MS | hold HOLD_MS | uring N\n", argv[0]);
	return 2;
}
