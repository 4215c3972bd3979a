#!/bin/sh
# shellcheck disable=SC2317 # functions run through check
# Shadow doorbells: QEMU's controller offers Doorbell Buffer Config, so by
# default nvme_rs hands it the shadow buffers and writes the doorbell
# registers only when the event indexes ask. Data must be right either way:
# fio verifies with them off (shadow_doorbells=0) and on, and across a
# reset, which takes the buffers away and hands them over again.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

verify_both() { # NAME
	fio_ok --verify --name="$1-blk" --filename=/dev/nvme0n1 --ioengine=io_uring \
		--direct=1 --rw=randwrite --bs=4k --size=8M --iodepth=16 --verify=crc32c \
		--name="$1-ng" --filename=/dev/ng0n2 --ioengine=io_uring_cmd --cmd_type=nvme \
		--rw=randwrite --bs=4k --size=8M --iodepth=16 --verify=crc32c
}

shadow_line() { dmesg_since_mark | grep -c 'nvme0: shadow doorbells on'; }

dmesg_mark
require "nvme_rs loaded with shadow_doorbells=0" load_nvme_rs shadow_doorbells=0
check "no shadow doorbells with the parameter 0" equals "$(shadow_line)" 0
check "fio verify with doorbell registers only" verify_both off

dmesg_mark
require "nvme_rs loaded with the default (shadow_doorbells=1)" load_nvme_rs
check "shadow doorbells on by default" equals "$(shadow_line)" 1
check "fio verify with shadow doorbells" verify_both on
check "reset with shadow doorbells" nvme reset /dev/nvme0
no_config_failure() { ! dmesg_since_mark | grep 'Doorbell Buffer Config failed'; }
check "no Doorbell Buffer Config failure" no_config_failure
check "fio verify with shadow doorbells after the reset" verify_both after-reset

group_end
