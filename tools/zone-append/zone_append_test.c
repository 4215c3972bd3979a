// SPDX-License-Identifier: GPL-2.0
/*
 * Zone Append through the block layer, which no file system in the test
 * kernel issues (6.12's zonefs writes at the write pointer; btrfs is not
 * configured): a test module for 66-formats, loaded against either NVMe
 * driver's zoned disk.
 *
 * At load it appends three 4 KiB blocks to zone `zone` of `dev` with
 * REQ_OP_ZONE_APPEND bios aimed at the zone's start, checks that each
 * comes back with the sector it was written at (the write pointer, which
 * each append moves on), reads the zone's first blocks back and compares,
 * and appends to a full zone, which must fail. It prints its checks as
 * "zone-append-test: ok - ..." or "... FAIL - ..." and fails to load
 * (EIO) when one failed, so nothing stays loaded either way but a module
 * that passed, which the group unloads.
 *
 * The zone must be empty and hold at least three 4 KiB blocks (the group
 * resets it first).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *dev;
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "zoned block device, e.g. /dev/nvme0n6");
static unsigned int zone;
module_param(zone, uint, 0444);
MODULE_PARM_DESC(zone, "index of an empty zone");
/* Appends made, each of a page. */
static const unsigned int appends = 3;

static int passed, failed;

static void check(bool ok, const char *what)
{
	if (ok)
		passed++;
	else
		failed++;
	pr_info("zone-append-test: %s - %s\n", ok ? "ok" : "FAIL", what);
}

/* One bio of one page at `sector`; returns its status, and in *done the
 * sector the device reports (for an append, where the data went). */
static int one_page_bio(struct block_device *bdev, blk_opf_t opf,
			sector_t sector, struct page *page, sector_t *done)
{
	struct bio *bio = bio_alloc(bdev, 1, opf, GFP_KERNEL);
	int ret;

	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = sector;
	if (bio_add_page(bio, page, PAGE_SIZE, 0) != PAGE_SIZE) {
		bio_put(bio);
		return -EIO;
	}
	ret = submit_bio_wait(bio);
	if (done)
		*done = bio->bi_iter.bi_sector;
	bio_put(bio);
	return ret;
}

static int __init zone_append_test_init(void)
{
	struct page *out = NULL, *in = NULL;
	struct file *file;
	struct block_device *bdev;
	sector_t start, got, zone_sectors;
	unsigned int i;
	int ret;
	char what[96];

	if (!dev)
		return -EINVAL;
	file = bdev_file_open_by_path(dev, BLK_OPEN_READ | BLK_OPEN_WRITE,
				      NULL, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	bdev = file_bdev(file);
	check(bdev_is_zoned(bdev), "the disk is zoned");
	zone_sectors = bdev_zone_sectors(bdev);
	check(bdev_max_zone_append_sectors(bdev) >= PAGE_SIZE >> SECTOR_SHIFT,
	      "the disk takes Zone Append of a page");
	if (failed)
		goto close;
	start = (sector_t)zone * zone_sectors;

	out = alloc_page(GFP_KERNEL);
	in = alloc_page(GFP_KERNEL);
	if (!out || !in) {
		check(false, "page allocation");
		goto close;
	}
	for (i = 0; i < appends; i++) {
		memset(page_address(out), 0xa0 + i, PAGE_SIZE);
		got = 0;
		ret = one_page_bio(bdev, REQ_OP_ZONE_APPEND | REQ_SYNC, start,
				   out, &got);
		snprintf(what, sizeof(what),
			 "append %u to the zone at sector %llu: status %d", i,
			 (unsigned long long)start, ret);
		check(ret == 0, what);
		snprintf(what, sizeof(what),
			 "append %u written at sector %llu (got %llu)", i,
			 (unsigned long long)(start + i * (PAGE_SIZE >> SECTOR_SHIFT)),
			 (unsigned long long)got);
		check(got == start + i * (PAGE_SIZE >> SECTOR_SHIFT), what);
	}
	for (i = 0; i < appends; i++) {
		ret = one_page_bio(bdev, REQ_OP_READ, start +
				   i * (PAGE_SIZE >> SECTOR_SHIFT), in, NULL);
		memset(page_address(out), 0xa0 + i, PAGE_SIZE);
		snprintf(what, sizeof(what), "block %u reads back as appended", i);
		check(ret == 0 && !memcmp(page_address(in), page_address(out),
					  PAGE_SIZE), what);
	}
	/* Fill the zone by finishing it, then append: the device refuses. */
	ret = blkdev_zone_mgmt(bdev, REQ_OP_ZONE_FINISH, start, zone_sectors);
	check(ret == 0, "zone finished");
	ret = one_page_bio(bdev, REQ_OP_ZONE_APPEND | REQ_SYNC, start, out,
			   NULL);
	snprintf(what, sizeof(what), "append to the full zone fails (status %d)",
		 ret);
	check(ret != 0, what);
close:
	if (out)
		__free_page(out);
	if (in)
		__free_page(in);
	fput(file);
	pr_info("zone-append-test: %d passed, %d failed\n", passed, failed);
	return failed ? -EIO : 0;
}

static void __exit zone_append_test_exit(void)
{
}

module_init(zone_append_test_init);
module_exit(zone_append_test_exit);
MODULE_DESCRIPTION("Zone Append through the block layer, for nvme-rs's tests");
MODULE_LICENSE("GPL");
