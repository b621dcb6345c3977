/* arith_test.c: Cleave's integer arithmetic (arith.h) at the limits of every width.
 *
 * For each of Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32 and UInt64,
 * every operator the code generator calls the runtime for (+ - * / %, unary -,
 * &+ &- &*, << >>) is applied to every pair of values around the type's edges
 * (MIN, MIN + 1, -2, -1, 0, 1, 2, the square root of the range, MAX - 1, MAX,
 * ...), and every conversion (from a signed or unsigned 64-bit value, and from
 * a Double) to every value around every type's edges.
 *
 * What each case must give is worked out here from the definitions, in 128-bit
 * arithmetic, never from the runtime: an operation traps exactly when its exact
 * result is outside the type (or divides by zero), and `MIN % -1` traps with
 * `MIN / -1`, as in Swift; a wrapping operator gives the exact result modulo 2^width; a shift by
 * n multiplies or (rounding down) divides by 2^n, a negative n shifts the other
 * way, and a shift by the width or more gives 0, or -1 for >> of a negative
 * value; a conversion from Double truncates toward zero and traps when that is
 * outside the type, or the Double is not finite.
 *
 * A case that must trap runs in a child process and must end with exactly its
 * message; the cases that must not trap run in one child per type and operator,
 * which reports every wrong value. Each case names itself as the trap's location,
 * so a trap where none was expected says which case it was.
 */
#include <float.h>
#include <math.h>

#include "harness.h"

typedef __int128 wide;

typedef struct int_type {
    const char *name;
    int bits;
    bool is_signed;
    wide min, max;
} int_type;

enum { I8, I16, I32, I64, U8, U16, U32, U64, TYPE_COUNT };

static const int_type types[TYPE_COUNT] = {
    {"Int8", 8, true, INT8_MIN, INT8_MAX},
    {"Int16", 16, true, INT16_MIN, INT16_MAX},
    {"Int32", 32, true, INT32_MIN, INT32_MAX},
    {"Int64", 64, true, INT64_MIN, INT64_MAX},
    {"UInt8", 8, false, 0, UINT8_MAX},
    {"UInt16", 16, false, 0, UINT16_MAX},
    {"UInt32", 32, false, 0, UINT32_MAX},
    {"UInt64", 64, false, 0, UINT64_MAX},
};

enum { ADD, SUB, MUL, DIV, REM, NEG, WADD, WSUB, WMUL, SHL, SHR, SHL_U64, SHR_U64, FROM_SIGNED, FROM_UNSIGNED, OP_COUNT };

static const char *const spellings[OP_COUNT] = {
    "+", "-", "*", "/", "%", "unary -", "&+", "&-", "&*", "<<", ">>", "<< (UInt64)", ">> (UInt64)", "from Int64", "from UInt64"};

/* ---- the runtime, called for one type -------------------------------------------- */

/* `a` and `b` hold values of the operation's types (the shift amount: Int64, or UInt64). */
#define SIGNED_CALLS(S, T)                                                                                            \
    static wide call_##S(int op, wide a, wide b, const char *w) {                                                     \
        T x = (T)a, y = (T)b;                                                                                         \
        switch (op) {                                                                                                 \
        case ADD: return cl_add_##S(x, y, w);                                                                         \
        case SUB: return cl_sub_##S(x, y, w);                                                                         \
        case MUL: return cl_mul_##S(x, y, w);                                                                         \
        case DIV: return cl_div_##S(x, y, w);                                                                         \
        case REM: return cl_rem_##S(x, y, w);                                                                         \
        case NEG: return cl_neg_##S(x, w);                                                                            \
        case WADD: return cl_wadd_##S(x, y);                                                                          \
        case WSUB: return cl_wsub_##S(x, y);                                                                          \
        case WMUL: return cl_wmul_##S(x, y);                                                                          \
        case SHL: return cl_shl_##S(x, (int64_t)b);                                                                   \
        case SHR: return cl_shr_##S(x, (int64_t)b);                                                                   \
        case SHL_U64: return cl_shl_##S(x, cl_shift_amount_u64((uint64_t)b));                                         \
        case SHR_U64: return cl_shr_##S(x, cl_shift_amount_u64((uint64_t)b));                                         \
        case FROM_SIGNED: return cl_to_##S##_s((int64_t)a, w);                                                        \
        default: return cl_to_##S##_u((uint64_t)a, w);                                                                \
        }                                                                                                             \
    }
#define UNSIGNED_CALLS(S, T)                                                                                          \
    static wide call_##S(int op, wide a, wide b, const char *w) {                                                     \
        T x = (T)a, y = (T)b;                                                                                         \
        switch (op) {                                                                                                 \
        case ADD: return cl_add_##S(x, y, w);                                                                         \
        case SUB: return cl_sub_##S(x, y, w);                                                                         \
        case MUL: return cl_mul_##S(x, y, w);                                                                         \
        case DIV: return cl_div_##S(x, y, w);                                                                         \
        case REM: return cl_rem_##S(x, y, w);                                                                         \
        case WADD: return cl_wadd_##S(x, y);                                                                          \
        case WSUB: return cl_wsub_##S(x, y);                                                                          \
        case WMUL: return cl_wmul_##S(x, y);                                                                          \
        case SHL: return cl_shl_##S(x, (int64_t)b);                                                                   \
        case SHR: return cl_shr_##S(x, (int64_t)b);                                                                   \
        case SHL_U64: return cl_shl_##S(x, cl_shift_amount_u64((uint64_t)b));                                         \
        case SHR_U64: return cl_shr_##S(x, cl_shift_amount_u64((uint64_t)b));                                         \
        case FROM_SIGNED: return cl_to_##S##_s((int64_t)a, w);                                                        \
        default: return cl_to_##S##_u((uint64_t)a, w);                                                                \
        }                                                                                                             \
    }

SIGNED_CALLS(i8, int8_t)
SIGNED_CALLS(i16, int16_t)
SIGNED_CALLS(i32, int32_t)
SIGNED_CALLS(i64, int64_t)
UNSIGNED_CALLS(u8, uint8_t)
UNSIGNED_CALLS(u16, uint16_t)
UNSIGNED_CALLS(u32, uint32_t)
UNSIGNED_CALLS(u64, uint64_t)

static wide call(int type, int op, wide a, wide b, const char *w) {
    switch (type) {
    case I8: return call_i8(op, a, b, w);
    case I16: return call_i16(op, a, b, w);
    case I32: return call_i32(op, a, b, w);
    case I64: return call_i64(op, a, b, w);
    case U8: return call_u8(op, a, b, w);
    case U16: return call_u16(op, a, b, w);
    case U32: return call_u32(op, a, b, w);
    default: return call_u64(op, a, b, w);
    }
}

static wide from_double(int type, double x, const char *w) {
    switch (type) {
    case I8: return cl_to_i8_d(x, w);
    case I16: return cl_to_i16_d(x, w);
    case I32: return cl_to_i32_d(x, w);
    case I64: return cl_to_i64_d(x, w);
    case U8: return cl_to_u8_d(x, w);
    case U16: return cl_to_u16_d(x, w);
    case U32: return cl_to_u32_d(x, w);
    default: return cl_to_u64_d(x, w);
    }
}

/* ---- what each case must give ------------------------------------------------------ */

typedef struct outcome {
    const char *trap; /* NULL: no trap, the value is `value` */
    wide value;
} outcome;

static outcome value(wide v) { return (outcome){NULL, v}; }
static outcome trap(const char *message) { return (outcome){message, 0}; }

static bool in_range(const int_type *t, wide v) { return v >= t->min && v <= t->max; }

/* v modulo 2^bits, as a value of the type (two's complement for a signed one). */
static wide wrap(const int_type *t, unsigned __int128 v) {
    unsigned __int128 modulus = (unsigned __int128)1 << t->bits;
    unsigned __int128 low = v & (modulus - 1);
    if (t->is_signed && low >= modulus / 2) return (wide)low - (wide)modulus;
    return (wide)low;
}

/* a * 2^n for 0 <= n, rounded down for a division (n < 0). */
static wide shifted(const int_type *t, wide a, wide n) {
    if (n >= 0) return n >= t->bits ? 0 : wrap(t, (unsigned __int128)a << n);
    wide m = -n;
    if (m >= t->bits) return a < 0 ? -1 : 0;
    wide power = (wide)1 << m;
    wide q = a / power;
    if (a < 0 && q * power != a) q -= 1;
    return q;
}

static outcome expected(int type, int op, wide a, wide b) {
    const int_type *t = &types[type];
    switch (op) {
    case ADD: return in_range(t, a + b) ? value(a + b) : trap("arithmetic overflow in +");
    case SUB: return in_range(t, a - b) ? value(a - b) : trap("arithmetic overflow in -");
    case MUL: {
        /* |a|, |b| < 2^64: the product's magnitude is below 2^128, so compare magnitudes unsigned. */
        unsigned __int128 ma = a < 0 ? (unsigned __int128)-a : (unsigned __int128)a;
        unsigned __int128 mb = b < 0 ? (unsigned __int128)-b : (unsigned __int128)b;
        unsigned __int128 m = ma * mb;
        bool negative = (a < 0) != (b < 0) && m != 0;
        unsigned __int128 limit = negative ? (unsigned __int128)-t->min : (unsigned __int128)t->max;
        if (m > limit) return trap("arithmetic overflow in *");
        return value(negative ? -(wide)m : (wide)m);
    }
    case DIV:
        if (b == 0) return trap("division by zero");
        return in_range(t, a / b) ? value(a / b) : trap("arithmetic overflow in /");
    case REM:
        /* MIN % -1 overflows with MIN / -1, as in Swift, though the remainder would be 0. */
        if (b == 0) return trap("division by zero in %");
        if (t->is_signed && a == t->min && b == -1) return trap("arithmetic overflow in %");
        return value(a % b);
    case NEG: return in_range(t, -a) ? value(-a) : trap("arithmetic overflow in unary -");
    case WADD: return value(wrap(t, (unsigned __int128)a + (unsigned __int128)b));
    case WSUB: return value(wrap(t, (unsigned __int128)a - (unsigned __int128)b));
    case WMUL: return value(wrap(t, (unsigned __int128)a * (unsigned __int128)b));
    case SHL:
    case SHL_U64: return value(shifted(t, a, b));
    case SHR:
    case SHR_U64: return value(shifted(t, a, -b));
    default: /* FROM_SIGNED, FROM_UNSIGNED: `a` is the value converted */
        return in_range(t, a) ? value(a) : trap("integer conversion: value does not fit");
    }
}

static outcome expected_from_double(int type, double x) {
    const int_type *t = &types[type];
    const char *message = "Double value cannot be converted: it is not finite or does not fit";
    if (!isfinite(x) || fabs(x) >= 0x1p100) return trap(message);
    wide v = (wide)trunc(x);
    return in_range(t, v) ? value(v) : trap(message);
}

/* ---- the cases --------------------------------------------------------------------- */

static void text_of(wide v, char *out) {
    char digits[48];
    int n = 0;
    unsigned __int128 m = v < 0 ? (unsigned __int128)-v : (unsigned __int128)v;
    do digits[n++] = (char)('0' + (int)(m % 10));
    while ((m /= 10) != 0);
    if (v < 0) *out++ = '-';
    while (n > 0) *out++ = digits[--n];
    *out = 0;
}

/* The values around a type's edges, in its range. */
static int edges(const int_type *t, wide *out) {
    /* Products of these overflow or just do not: 2^(bits/2) squared is beyond every type, half of
     * it squared is within. */
    wide root = (wide)1 << (t->bits / 2), half = root / 2;
    wide candidates[] = {t->min, t->min + 1, t->min / 2, -root, -half - 1, -half, -3, -2, -1, 0, 1, 2, 3, half - 1, half, half + 1,
        root - 1, root, t->max / 2, t->max / 2 + 1, t->max - 1, t->max};
    int n = 0;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        wide v = candidates[i];
        bool seen = false;
        for (int k = 0; k < n; k++) seen |= out[k] == v;
        if (in_range(t, v) && !seen) out[n++] = v;
    }
    return n;
}

/* Shift amounts: around 0 and around the width, both ways, and the extremes. */
static int shift_amounts(const int_type *t, bool unsigned_amount, wide *out) {
    int n = 0;
    wide w = t->bits;
    if (unsigned_amount) {
        wide amounts[] = {0, 1, w - 1, w, w + 1, 999, 1000, 1001, (wide)INT64_MAX, (wide)INT64_MAX + 1, (wide)UINT64_MAX};
        for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) out[n++] = amounts[i];
    } else {
        wide amounts[] = {INT64_MIN, INT64_MIN + 1, -w - 1, -w, -w + 1, -1, 0, 1, w - 1, w, w + 1, INT64_MAX};
        for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) out[n++] = amounts[i];
    }
    return n;
}

/* The values a conversion is tried on: around every type's edges, as Int64 or as UInt64. */
static int conversion_sources(bool from_unsigned, wide *out) {
    int n = 0;
    for (int k = 0; k < TYPE_COUNT; k++) {
        const int_type *s = &types[k];
        wide candidates[] = {s->min - 1, s->min, s->min + 1, s->max - 1, s->max, s->max + 1, -1, 0, 1};
        for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
            wide v = candidates[i];
            bool fits = from_unsigned ? v >= 0 && v <= (wide)UINT64_MAX : v >= INT64_MIN && v <= INT64_MAX;
            bool seen = false;
            for (int j = 0; j < n; j++) seen |= out[j] == v;
            if (fits && !seen) out[n++] = v;
        }
    }
    return n;
}

typedef struct batch {
    int type, op;
    int count;
    wide a[1024], b[1024];
} batch;

static void name_case(char *out, size_t size, int type, int op, wide a, wide b) {
    char x[48], y[48];
    text_of(a, x);
    text_of(b, y);
    if (op == NEG) snprintf(out, size, "%s: -(%s)", types[type].name, x);
    else if (op == FROM_SIGNED || op == FROM_UNSIGNED) snprintf(out, size, "%s(%s %s)", types[type].name, spellings[op] + 5, x);
    else snprintf(out, size, "%s: %s %s %s", types[type].name, x, spellings[op], y);
}

/* The cases of a batch that must not trap, one after the other; every wrong value is reported. */
static void run_values(const void *argument) {
    const batch *c = argument;
    int wrong = 0;
    for (int i = 0; i < c->count; i++) {
        char where[160];
        name_case(where, sizeof where, c->type, c->op, c->a[i], c->b[i]);
        wide got = call(c->type, c->op, c->a[i], c->b[i], where);
        wide want = expected(c->type, c->op, c->a[i], c->b[i]).value;
        if (got != want) {
            char g[48], e[48];
            text_of(got, g);
            text_of(want, e);
            fprintf(stderr, "WRONG: %s is %s, not %s\n", where, g, e);
            wrong++;
        }
    }
    fflush(stderr);
    if (wrong) _exit(3);
}

typedef struct one_case {
    int type, op;
    wide a, b;
    const char *where;
} one_case;

static void run_trap(const void *argument) {
    const one_case *c = argument;
    wide got = call(c->type, c->op, c->a, c->b, c->where);
    char g[48];
    text_of(got, g);
    fprintf(stderr, "no trap: the result was %s\n", g);
}

/* Every case of `op` on `type` over these operands: the traps one by one, the values together. */
static void check_op(int type, int op, const wide *as, int na, const wide *bs, int nb) {
    static batch values;
    values.type = type;
    values.op = op;
    values.count = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            outcome o = expected(type, op, as[i], bs[j]);
            if (o.trap == NULL) {
                if (values.count == 1024) {
                    harness_fail("too many cases for one batch");
                    return;
                }
                values.a[values.count] = as[i];
                values.b[values.count++] = bs[j];
                continue;
            }
            char where[160];
            name_case(where, sizeof where, type, op, as[i], bs[j]);
            one_case c = {type, op, as[i], bs[j], where};
            run_case_at(where, where, run_trap, &c, o.trap);
        }
    char name[80];
    snprintf(name, sizeof name, "%s %s, the cases without a trap", types[type].name, spellings[op]);
    run_case_at(name, "-", run_values, &values, NULL);
}

typedef struct double_case {
    int type;
    double x;
    const char *where;
} double_case;

static void run_double(const void *argument) {
    const double_case *c = argument;
    wide got = from_double(c->type, c->x, c->where);
    outcome want = expected_from_double(c->type, c->x);
    if (want.trap || got != want.value) {
        char g[48];
        text_of(got, g);
        fprintf(stderr, "WRONG: %s is %s\n", c->where, g);
        fflush(stderr);
        _exit(3);
    }
}

static void check_from_double(int type) {
    const int_type *t = &types[type];
    double lo = (double)t->min, hi = (double)t->max;
    /* Around both edges; nextafter gives the doubles next to 2^63 and 2^64, where MAX itself
     * rounds up to the first value outside the type. */
    double xs[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 0.5, -0.5, 0.9999, -0.9999, 1.0, -1.0, lo, lo - 0.5, lo + 0.5, lo - 1.0,
        lo - 2.0, nextafter(lo, -INFINITY), nextafter(lo, INFINITY), hi, hi + 0.5, hi - 0.5, hi + 1.0, nextafter(hi, INFINITY),
        nextafter(hi, -INFINITY), nextafter(hi + 1.0, -INFINITY), 1e30, -1e30, 0x1p63, -0x1p63, 0x1p64, -0x1p64, DBL_MAX, -DBL_MAX};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        bool seen = false; /* at 2^63 and beyond, MAX + 0.5 and others are the same Double */
        for (size_t k = 0; k < i; k++) seen |= xs[k] == xs[i] && signbit(xs[k]) == signbit(xs[i]);
        if (seen) continue;
        char where[160];
        snprintf(where, sizeof where, "%s(%a as Double)", t->name, xs[i]);
        double_case c = {type, xs[i], where};
        outcome o = expected_from_double(type, xs[i]);
        run_case_at(where, where, run_double, &c, o.trap);
    }
}

int main(void) {
    cl_heap_init();
    for (int type = 0; type < TYPE_COUNT; type++) {
        const int_type *t = &types[type];
        wide values[32], amounts[32], sources[128];
        int n = edges(t, values);
        const int binary[] = {ADD, SUB, MUL, DIV, REM, WADD, WSUB, WMUL};
        for (size_t k = 0; k < sizeof binary / sizeof binary[0]; k++) check_op(type, binary[k], values, n, values, n);
        wide none = 0;
        if (t->is_signed) check_op(type, NEG, values, n, &none, 1);
        int m = shift_amounts(t, false, amounts);
        check_op(type, SHL, values, n, amounts, m);
        check_op(type, SHR, values, n, amounts, m);
        m = shift_amounts(t, true, amounts);
        check_op(type, SHL_U64, values, n, amounts, m);
        check_op(type, SHR_U64, values, n, amounts, m);
        m = conversion_sources(false, sources);
        check_op(type, FROM_SIGNED, sources, m, &none, 1);
        m = conversion_sources(true, sources);
        check_op(type, FROM_UNSIGNED, sources, m, &none, 1);
        check_from_double(type);
    }
    return harness_done();
}
