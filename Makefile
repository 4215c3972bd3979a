# nvme-rs: build, run and test.
#
#   make run     build the test kernel and module, boot QEMU with an emulated
#                NVMe controller, load nvme_rs and show what it found
#   make test    host unit tests, then the in-guest tests
#   make module  build nvme_rs.ko against the test kernel
#   make suites  blktests' block and nvme groups and the xfstests list of
#                make test, with nvme-rs and the C driver; the table in
#                Documentation/suites-results.md
#   make xfstests xfstests' whole quick group on ext4 and xfs, with nvme-rs
#                and the C driver (hours); Documentation/suites-quick.md
#   make bench   fio against the C driver and nvme_rs in one guest, on a
#                kernel without debug options; results in build/bench/
#                (scripts/bench.sh: BENCH_ROUNDS, BENCH_RUNTIME, BENCH_FILTER,
#                BENCH_INSNS)
#
# When invoked by the kernel build (M=...), Kbuild is used instead.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KDIR ?= $(REPO)/build/kernel-test

.PHONY: all deps kernel module run test host-test guest-test bench suites xfstests clean

all: module

deps:
	scripts/install-deps.sh

kernel: deps
	scripts/build-kernel.sh test

# Kbuild cannot tell that the kernel tree behind build/kernel-test moved to
# another configuration (the paths it records are the same), so objects and
# bindings built against the old one would be reused: clean when it moves.
module: kernel
	@kdir=$$(readlink -f $(KDIR)); \
	if [ "$$(cat $(REPO)/build/module-kernel 2>/dev/null)" != "$$kdir" ]; then \
		$(MAKE) -s -C $(KDIR)/ M=$(REPO) LLVM=1 clean; \
		rm -rf $(REPO)/build/rust; \
		echo "$$kdir" > $(REPO)/build/module-kernel; \
	fi
	$(MAKE) -C $(KDIR)/ M=$(REPO) LLVM=1 modules
	@echo "nvme_rs.ko: $(REPO)/nvme_rs.ko"

run: module
	scripts/guest.sh --mode run --kernel-dir $(KDIR)/ --module $(REPO)/nvme_rs.ko

host-test: deps
	cargo test --manifest-path $(REPO)/Cargo.toml

guest-test: module
	scripts/guest.sh --mode test --kernel-dir $(KDIR)/ --module $(REPO)/nvme_rs.ko

test:
	scripts/test.sh

bench: deps
	scripts/bench.sh

suites: module
	scripts/suites.sh --blktests all --markdown $(REPO)/Documentation/suites-results.md \
		--kernel-dir $(KDIR)/ --module $(REPO)/nvme_rs.ko

xfstests: module
	scripts/suites.sh --xfstests quick --suites xfstests-ext4,xfstests-xfs \
		--markdown $(REPO)/Documentation/suites-quick.md \
		--kernel-dir $(KDIR)/ --module $(REPO)/nvme_rs.ko

clean:
	-$(MAKE) -C $(KDIR)/ M=$(REPO) LLVM=1 clean
	rm -rf $(REPO)/build/guest $(REPO)/build/rust $(REPO)/build/bench/module $(REPO)/target

endif
