/* zonectl's image and workspace commands (storage.c). */
#ifndef ZV_ZONECTL_STORAGE_H
#define ZV_ZONECTL_STORAGE_H

#include <stdint.h>

/* zonectl image load|ls|rm ... (ARGV[0] is "image"). */
int cmd_image(int argc, char **argv);
/* zonectl workspace export NAME DIR. */
int cmd_workspace(int argc, char **argv);

/* run --workspace DIR: packs DIR into ext4 (SIZE bytes; 0 = the default)
 * and stages it with WORKSPACE_WRITE; the channel is open.  Exits with a
 * message on failure, its temporary file removed. */
void zc_stage_workspace(const char *dir, uint64_t size);
/* Checks DIR before the channel opens: exits 2 unless it is a directory. */
void zc_check_workspace_dir(const char *dir);

/* The control zone's unprivileged user for unpacking what a zone made
 * (workspace export's e2fsck and debugfs, cp's tar -x): tools/mkinitramfs
 * --control writes zv-export:x:999:999. */
#define ZC_EXPORT_ID 999

/* Makes every entry under directory FD root's, without set-user-ID or
 * set-group-ID bits, and removes what is not a file, directory or symlink,
 * never following a path (as workspace export does before its rename).
 * 0, or -1 after a message naming WHAT.  Only once ZC_EXPORT_ID has no
 * process left. */
int zc_tidy_staged(int fd, const char *what);
/* Removes NAME in DIRFD and everything under it, never following a symlink.
 * 0, or -1. */
int zc_remove_tree(int dirfd, const char *name);

#endif
