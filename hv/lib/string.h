/* Freestanding string and memory helpers shared by loader, hypervisor and tests. */
#ifndef ZV_STRING_H
#define ZV_STRING_H

#include <stddef.h>

void *zv_memset(void *dst, int c, size_t n);
void *zv_memcpy(void *dst, const void *src, size_t n);
int zv_memcmp(const void *a, const void *b, size_t n);
size_t zv_strlen(const char *s);
size_t zv_strnlen(const char *s, size_t max);
int zv_strcmp(const char *a, const char *b);
int zv_strncmp(const char *a, const char *b, size_t n);
/* Copies at most size-1 bytes and always NUL-terminates (size > 0). Returns strlen(src). */
size_t zv_strlcpy(char *dst, const char *src, size_t size);

#endif
