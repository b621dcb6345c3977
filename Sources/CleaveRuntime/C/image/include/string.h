/* string.h of the image: the memory and string functions the runtime and the generated
 * C use, defined in image/libc.c. (The image has no C library; see image/README.md.) */
#ifndef CLEAVE_IMAGE_STRING_H
#define CLEAVE_IMAGE_STRING_H

#include <stddef.h>

void *memcpy(void *restrict to, const void *restrict from, size_t n);
void *memmove(void *to, const void *from, size_t n);
void *memset(void *to, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int bcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
