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

#endif
