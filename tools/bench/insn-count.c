// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin that counts the guest instructions executed
 * between two marks the guest makes, split into user space, the kernel and
 * loadable modules. `make bench` uses it for instructions per I/O: unlike
 * time, the count hardly moves with the host's load, so the two drivers'
 * CPU cost per I/O can be compared to within a few percent.
 *
 *   qemu-system-x86_64 ... -plugin insn-count.so,out=FILE,modules=ADDR
 *
 * out      file the counts are appended to (required)
 * blocks   file that, at every stop, also gets "epoch E" and then one line
 *          "VADDR INSNS RUNS" per kernel or module block that ran since
 *          start (hex address, instructions in the block, times it ran):
 *          a profile, which tools/bench/profile.py names by function
 * modules  lowest address of the kernel's module area (MODULES_VADDR:
 *          0xffffffffa0000000 without KASLR in the config, 0xffffffffc0000000
 *          with); instructions from there up to the fixmap count as module
 *          code, which in the bench guest is the driver. The kernel must run
 *          with nokaslr, so its text stays below that address.
 *
 * The guest marks with instructions nothing else executes (tools/bench/
 * insn-mark.c):
 *   xchg %dx,%dx  (66 87 d2)  reset: a new epoch, nothing counted until start
 *   xchg %bx,%bx  (66 87 db)  start: zero the counts and count, unless counting
 *   xchg %cx,%cx  (66 87 c9)  stop: append "epoch E user U kernel K module M",
 *                              the counts since start, and go on counting
 * fio runs start and stop in every job's thread (exec_prerun, exec_postrun),
 * so with several jobs the first start counts and the last stop of an epoch
 * holds the whole run.
 *
 * Counting is per translation block: each block adds one to its own
 * counter of runs when it runs (an inline add, no call), and runs times
 * instructions are summed by class when asked. The adds are not atomic, so two
 * vCPUs running one block at the same instant can lose one; that is rare
 * enough not to show at the precision reported.
 *
 * The plugin API is declared here rather than taken from QEMU's
 * qemu-plugin.h, which Debian ships in no package: these are the API
 * version 1 calls of QEMU 7.2, all this needs.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

EXPORT int qemu_plugin_version = 1;

enum class { USER, KERNEL, MODULE, CLASSES };
static const char *const class_name[CLASSES] = { "user", "kernel", "module" };

/* One translated block: where, how long, how often it ran since start. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t runs;
	enum class class;
};

/*
 * Open addressing, two tables: user space's blocks in one, the kernel's and
 * the modules' in the other. fio's blocks move with every run's address
 * space layout, so a long boot gathers millions of them; kept apart, they
 * cannot crowd out the blocks the profile names.
 */
#define SLOTS (1u << 21)
enum { USER_TABLE, KERNEL_TABLE, TABLES };
static struct block *tables[TABLES];
/* Blocks translated once their table is full share these, one per class. */
static struct block overflow[CLASSES];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static FILE *blocks_out;
static uint64_t modules_start;
static unsigned int epoch;
static bool counting;

/* The x86-64 fixmap and vsyscall page sit above the module area. */
#define MODULES_END 0xffffffffff000000ull
#define USER_END 0x0000800000000000ull

static enum class class_of(uint64_t vaddr)
{
	if (vaddr < USER_END)
		return USER;
	if (vaddr >= modules_start && vaddr < MODULES_END)
		return MODULE;
	return KERNEL;
}

/* The block's counter; called under the lock. */
static struct block *block_for(uint64_t vaddr, uint64_t insns)
{
	uint64_t h = (vaddr * 0x9e3779b97f4a7c15ull) >> 40;
	struct block *table = tables[class_of(vaddr) == USER ? USER_TABLE : KERNEL_TABLE];

	for (unsigned int probe = 0; probe < 64; probe++, h++) {
		struct block *b = &table[h & (SLOTS - 1)];

		if (b->insns == 0) {
			b->vaddr = vaddr;
			b->insns = insns;
			b->class = class_of(vaddr);
			return b;
		}
		if (b->vaddr == vaddr && b->insns == insns)
			return b;
	}
	return &overflow[class_of(vaddr)];
}

static void zero_counts(void)
{
	for (int t = 0; t < TABLES; t++)
		for (size_t i = 0; i < SLOTS; i++)
			tables[t][i].runs = 0;
	for (int c = 0; c < CLASSES; c++)
		overflow[c].runs = 0;
}

static void on_reset(unsigned int vcpu, void *data)
{
	pthread_mutex_lock(&lock);
	epoch++;
	counting = false;
	pthread_mutex_unlock(&lock);
}

static void on_start(unsigned int vcpu, void *data)
{
	pthread_mutex_lock(&lock);
	if (!counting) {
		zero_counts();
		counting = true;
	}
	pthread_mutex_unlock(&lock);
}

static void on_stop(unsigned int vcpu, void *data)
{
	uint64_t sum[CLASSES] = { 0 };

	pthread_mutex_lock(&lock);
	if (counting) {
		for (size_t i = 0; i < SLOTS; i++)
			for (int t = 0; t < TABLES; t++)
				sum[tables[t][i].class] += tables[t][i].runs * tables[t][i].insns;
		for (int c = 0; c < CLASSES; c++)
			sum[c] += overflow[c].runs;
		fprintf(out, "epoch %u", epoch);
		for (int c = 0; c < CLASSES; c++)
			fprintf(out, " %s %" PRIu64, class_name[c], sum[c]);
		fputc('\n', out);
		fflush(out);
		if (blocks_out) {
			fprintf(blocks_out, "epoch %u\n", epoch);
			for (size_t i = 0; i < SLOTS; i++) {
				const struct block *b = &tables[KERNEL_TABLE][i];

				if (b->runs)
					fprintf(blocks_out, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
						b->vaddr, b->insns, b->runs);
			}
			fflush(blocks_out);
		}
	}
	pthread_mutex_unlock(&lock);
}

static bool is_mark(const unsigned char *b, size_t len, unsigned char modrm)
{
	return len == 3 && b[0] == 0x66 && b[1] == 0x87 && b[2] == modrm;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b;

	pthread_mutex_lock(&lock);
	b = block_for(qemu_plugin_tb_vaddr(tb), n);
	pthread_mutex_unlock(&lock);
	if (b >= overflow && b < overflow + CLASSES)
		/* A shared counter: add instructions, not runs. */
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, n);
	else
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);

	if (b->class != USER)
		return;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *bytes = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);
		qemu_plugin_vcpu_udata_cb_t cb = NULL;

		if (is_mark(bytes, len, 0xd2))
			cb = on_reset;
		else if (is_mark(bytes, len, 0xdb))
			cb = on_start;
		else if (is_mark(bytes, len, 0xc9))
			cb = on_stop;
		if (cb)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, cb, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
			       char **argv)
{
	const char *path = NULL, *blocks_path = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "blocks=", 7))
			blocks_path = argv[i] + 7;
		else if (!strncmp(argv[i], "modules=", 8))
			modules_start = strtoull(argv[i] + 8, NULL, 0);
	}
	if (!path || modules_start < USER_END) {
		fprintf(stderr, "insn-count: needs out=FILE and modules=ADDR\n");
		return -1;
	}
	out = fopen(path, "a");
	if (!out) {
		perror(path);
		return -1;
	}
	if (blocks_path) {
		blocks_out = fopen(blocks_path, "a");
		if (!blocks_out) {
			perror(blocks_path);
			return -1;
		}
	}
	for (int t = 0; t < TABLES; t++) {
		tables[t] = calloc(SLOTS, sizeof(struct block));
		if (!tables[t])
			return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
