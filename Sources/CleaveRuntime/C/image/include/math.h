/* math.h of the image: what Double needs, as the compiler's built-ins (one instruction
 * each with SSE2 and -fno-math-errno) and image/libc.c's round. */
#ifndef CLEAVE_IMAGE_MATH_H
#define CLEAVE_IMAGE_MATH_H

#define NAN __builtin_nan("")
#define INFINITY __builtin_inf()
#define HUGE_VAL __builtin_huge_val()
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf_sign(x)
#define isfinite(x) __builtin_isfinite(x)
#define signbit(x) __builtin_signbit(x)

static inline double fabs(double x) { return __builtin_fabs(x); }
static inline double sqrt(double x) { return __builtin_sqrt(x); }
static inline double copysign(double x, double y) { return __builtin_copysign(x, y); }
double round(double x);
double trunc(double x);

#endif
