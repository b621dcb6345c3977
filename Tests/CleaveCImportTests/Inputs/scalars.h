// Every scalar C type the importer maps, as a parameter and as a result.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int take_int(int a);
unsigned take_unsigned(unsigned a);
short take_short(short a);
unsigned short take_unsigned_short(unsigned short a);
char take_char(char c);
signed char take_signed_char(signed char c);
unsigned char take_unsigned_char(unsigned char c);
long take_long(long a);
long long take_long_long(long long a);
unsigned long long take_unsigned_long_long(unsigned long long a);
int8_t take_int8(int8_t a);
uint8_t take_uint8(uint8_t a);
int16_t take_int16(int16_t a);
uint16_t take_uint16(uint16_t a);
int32_t take_int32(int32_t a);
uint32_t take_uint32(uint32_t a);
int64_t take_int64(int64_t a);
uint64_t take_uint64(uint64_t a);
size_t take_size(size_t n);
bool take_bool(bool b);
float take_float(float f);
double take_double(double d);
void nothing(void);
int unnamed(int, double);
enum mode { MODE_A, MODE_B };
enum mode take_mode(enum mode m);
static inline int add_inline(int a, int b) { return a + b; }
