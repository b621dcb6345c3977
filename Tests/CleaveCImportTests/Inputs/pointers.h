// Pointers to bytes are Bytes, const or not, whatever the byte type.
#include <stddef.h>
#include <stdint.h>

uint16_t checksum(const uint8_t *data, size_t length);
void fill(char *buffer, size_t count);
void keep(void *context);
void inspect(const void *context);
void signed_bytes(int8_t *values);
void name_buffer(const char name[16]);
