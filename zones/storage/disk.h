/* A zone's disk as its virtio-blk device sees it: a size, and where reads and writes go. */
#ifndef ZV_STORAGE_DISK_H
#define ZV_STORAGE_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR    512u /* virtio-blk counts in 512-byte sectors (VIRTIO 1.1 5.2.4) */
#define DISK_SERIAL_ID 20u  /* VIRTIO_BLK_ID_BYTES (5.2.6): what GET_ID answers */

/* Why a backend refused; the device answers VIRTIO_BLK_S_IOERR to both and
 * counts them apart. */
enum disk_err {
	DISK_EIO = -1,	  /* the backend cannot (a read of a disk being torn down) */
	DISK_ENOSPC = -2, /* a write needed pool memory and the pool has none left */
};

struct disk_ops {
	/* Bytes [off, off + len) of the disk; the device checked the range is
	 * inside the disk.  0, or a negative enum disk_err. */
	int (*read)(void *ctx, uint64_t off, void *dst, size_t len);
	/* NULL for a read-only disk. */
	int (*write)(void *ctx, uint64_t off, const void *src, size_t len);
	/* The zone's device is gone (its destroy hook ran): drop the reference
	 * the disk held.  May be NULL. */
	void (*release)(void *ctx);
};

struct disk {
	const struct disk_ops *ops;
	void *ctx;
	uint64_t size; /* bytes, a multiple of DISK_SECTOR */
	bool read_only;
	char serial[DISK_SERIAL_ID + 1]; /* "zv-image", "zv-workspace": /sys/block/vdX/serial */
};

#endif
