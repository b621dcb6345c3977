// A user header for Cleave's C import tests.
#include <stdint.h>
#include <stddef.h>

typedef struct {
    uint32_t sum;
    uint16_t folded;
} Checksum;

/* Internet checksum (RFC 1071) over `length` bytes. */
uint16_t internet_checksum(const uint8_t *data, size_t length);
Checksum checksum_parts(const uint8_t *data, int32_t length);
void fill_pattern(uint8_t *buffer, int32_t length, uint8_t seed);
double mean_of(int64_t total, int64_t count);
int printf_like(const char *format, ...);
