/* arith.h: Cleave's integer arithmetic, checked as in Swift.
 *
 * `+ - *` trap on overflow, `/ %` on division by zero and on MIN / -1 (and
 * MIN % -1: its remainder would be 0, but Swift traps, and so does C's `%`);
 * the `&+ &- &*` operators wrap. Shifts are "smart" as in Swift: a shift by the
 * width or more gives 0 (or -1 for `>>` of a negative value) and a negative
 * amount shifts the other way. Conversions between integer types trap when the
 * value does not fit. One set of functions per integer type, from one macro.
 * `where` is the Cleave source location ("kv.clv:12:7") named by a trap.
 */
#ifndef CLEAVE_ARITH_H
#define CLEAVE_ARITH_H

#include <math.h>

/* + - * that trap on overflow, for any integer type. */
#define CL_CHECKED_OPS(S, T)                                                                           \
    static inline T cl_add_##S(T a, T b, const char *w) {                                              \
        T r;                                                                                           \
        if (__builtin_add_overflow(a, b, &r)) cl_trap(w, "arithmetic overflow in +");                  \
        return r;                                                                                      \
    }                                                                                                  \
    static inline T cl_sub_##S(T a, T b, const char *w) {                                              \
        T r;                                                                                           \
        if (__builtin_sub_overflow(a, b, &r)) cl_trap(w, "arithmetic overflow in -");                  \
        return r;                                                                                      \
    }                                                                                                  \
    static inline T cl_mul_##S(T a, T b, const char *w) {                                              \
        T r;                                                                                           \
        if (__builtin_mul_overflow(a, b, &r)) cl_trap(w, "arithmetic overflow in *");                  \
        return r;                                                                                      \
    }

#define CL_SIGNED_OPS(S, T, MIN, MAX, UT, BITS)                                                          \
    CL_CHECKED_OPS(S, T)                                                                               \
    static inline T cl_div_##S(T a, T b, const char *w) {                                              \
        if (b == 0) cl_trap(w, "division by zero");                                                    \
        if (a == MIN && b == -1) cl_trap(w, "arithmetic overflow in /");                               \
        return (T)(a / b);                                                                             \
    }                                                                                                  \
    static inline T cl_rem_##S(T a, T b, const char *w) {                                              \
        if (b == 0) cl_trap(w, "division by zero in %");                                               \
        if (a == MIN && b == -1) cl_trap(w, "arithmetic overflow in %");                               \
        return (T)(a % b);                                                                             \
    }                                                                                                  \
    static inline T cl_neg_##S(T a, const char *w) {                                                   \
        if (a == MIN) cl_trap(w, "arithmetic overflow in unary -");                                    \
        return (T)-a;                                                                                  \
    }                                                                                                  \
    static inline T cl_wadd_##S(T a, T b) { return (T)(UT)((UT)a + (UT)b); }                           \
    static inline T cl_wsub_##S(T a, T b) { return (T)(UT)((UT)a - (UT)b); }                           \
    static inline T cl_wmul_##S(T a, T b) { return (T)(UT)((UT)a * (UT)b); }                           \
    static inline T cl_shr_##S(T a, int64_t n);                                                        \
    static inline T cl_shl_##S(T a, int64_t n) {                                                       \
        if (n < 0) return n < -BITS ? (a < 0 ? -1 : 0) : cl_shr_##S(a, -n);                            \
        if (n >= BITS) return 0;                                                                       \
        return (T)(UT)((UT)a << n);                                                                    \
    }                                                                                                  \
    static inline T cl_shr_##S(T a, int64_t n) {                                                       \
        if (n < 0) return n < -BITS ? 0 : cl_shl_##S(a, -n);                                           \
        if (n >= BITS) return a < 0 ? -1 : 0;                                                          \
        return (T)(a >> n);                                                                            \
    }                                                                                                  \
    static inline T cl_to_##S##_s(int64_t x, const char *w) {                                          \
        if (x < (int64_t)MIN || x > (int64_t)MAX) cl_trap(w, "integer conversion: value does not fit"); \
        return (T)x;                                                                                   \
    }                                                                                                  \
    static inline T cl_to_##S##_u(uint64_t x, const char *w) {                                         \
        if (x > (uint64_t)MAX) cl_trap(w, "integer conversion: value does not fit");                   \
        return (T)x;                                                                                   \
    }                                                                                                  \
    /* Truncated toward zero, x fits when MIN - 1 < x < MAX + 1. For Int64, MIN - 1 is no Double       \
     * (it rounds to MIN, itself a Double that fits): hence the second test. */                        \
    static inline T cl_to_##S##_d(double x, const char *w) {                                           \
        if (!((x > (double)MIN - 1.0 || x == (double)MIN) && x < -((double)MIN)))                      \
            cl_trap(w, "Double value cannot be converted: it is not finite or does not fit");          \
        return (T)x;                                                                                   \
    }

#define CL_UNSIGNED_OPS(S, T, MAX, BITS)                                                                \
    CL_CHECKED_OPS(S, T)                                                                               \
    static inline T cl_div_##S(T a, T b, const char *w) {                                              \
        if (b == 0) cl_trap(w, "division by zero");                                                    \
        return (T)(a / b);                                                                             \
    }                                                                                                  \
    static inline T cl_rem_##S(T a, T b, const char *w) {                                              \
        if (b == 0) cl_trap(w, "division by zero in %");                                               \
        return (T)(a % b);                                                                             \
    }                                                                                                  \
    static inline T cl_wadd_##S(T a, T b) { return (T)(a + b); }                                       \
    static inline T cl_wsub_##S(T a, T b) { return (T)(a - b); }                                       \
    static inline T cl_wmul_##S(T a, T b) { return (T)(a * b); }                                       \
    static inline T cl_shl_##S(T a, int64_t n) {                                                       \
        if (n <= -BITS || n >= BITS) return 0;                                                         \
        return n < 0 ? (T)(a >> -n) : (T)(a << n);                                                     \
    }                                                                                                  \
    static inline T cl_shr_##S(T a, int64_t n) {                                                       \
        if (n <= -BITS || n >= BITS) return 0;                                                         \
        return n < 0 ? (T)(a << -n) : (T)(a >> n);                                                     \
    }                                                                                                  \
    static inline T cl_to_##S##_s(int64_t x, const char *w) {                                          \
        if (x < 0 || (uint64_t)x > (uint64_t)MAX) cl_trap(w, "integer conversion: value does not fit"); \
        return (T)x;                                                                                   \
    }                                                                                                  \
    static inline T cl_to_##S##_u(uint64_t x, const char *w) {                                         \
        if (x > (uint64_t)MAX) cl_trap(w, "integer conversion: value does not fit");                   \
        return (T)x;                                                                                   \
    }                                                                                                  \
    static inline T cl_to_##S##_d(double x, const char *w) {                                           \
        if (!(x > -1.0 && x < (double)MAX + 1.0))                                                      \
            cl_trap(w, "Double value cannot be converted: it is not finite or does not fit");          \
        return (T)x;                                                                                   \
    }

CL_SIGNED_OPS(i8, int8_t, INT8_MIN, INT8_MAX, uint8_t, 8)
CL_SIGNED_OPS(i16, int16_t, INT16_MIN, INT16_MAX, uint16_t, 16)
CL_SIGNED_OPS(i32, int32_t, INT32_MIN, INT32_MAX, uint32_t, 32)
CL_SIGNED_OPS(i64, int64_t, INT64_MIN, INT64_MAX, uint64_t, 64)
CL_UNSIGNED_OPS(u8, uint8_t, UINT8_MAX, 8)
CL_UNSIGNED_OPS(u16, uint16_t, UINT16_MAX, 16)
CL_UNSIGNED_OPS(u32, uint32_t, UINT32_MAX, 32)
CL_UNSIGNED_OPS(u64, uint64_t, UINT64_MAX, 64)

/* A shift amount of type UInt64 as the int64_t the shift functions take. */
static inline int64_t cl_shift_amount_u64(uint64_t n) { return n > 1000 ? 1000 : (int64_t)n; }

/* An optional's value, or a trap naming where it was unwrapped. */
static inline void cl_check_some(bool some, const char *w) {
    if (!some) cl_trap(w, "unexpectedly found nil while unwrapping an Optional value");
}

#endif
