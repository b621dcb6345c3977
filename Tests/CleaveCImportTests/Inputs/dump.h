#include <stdint.h>
struct pair { int32_t x; int32_t y; };
uint16_t checksum(const uint8_t *data, int32_t length);
void reset(void);
double scale(struct pair p, float);
