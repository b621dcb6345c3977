/* decimal_test.c: the core's own number conversions (decimal.c) against glibc's.
 *
 * The core formats and parses numbers without the C library; it must give what
 * glibc gives, byte for byte. Each kind of number is drawn at random (seeded, so
 * a run repeats) and its result compared with glibc's:
 *   - formatting: String(x) (cl_format_double) against the algorithm it replaced,
 *     written here with snprintf("%.*e") and strtod; the rounding to p digits
 *     (cl_decimal_round) against "%.*e" at a random precision; the exact digits
 *     (cl_decimal_exact) against "%.800e". The doubles are random bit patterns
 *     (every exponent, subnormals among them), random short decimals, numbers
 *     with short binary fractions (where "%.*e" meets exact ties), and integers;
 *   - parsing: cl_decimal_parse against strtod, the length read and every bit of
 *     the result (the sign of a zero, a NaN's payload), on random decimals with
 *     short and long (up to 900 digits) mantissas and any exponent, the exact
 *     midpoints between neighbouring doubles and the numbers just beside them,
 *     random hexadecimal numbers, random strings of the characters a number may
 *     have (partial forms: "1e", "0x", "-.e1", "infin", "nan(x"), subnormals where
 *     glibc rounds without the 54th significant bit (decimal.c does as it does), and
 *     a list of well-known hard cases; and cl_parse_double against the one it replaced.
 *   - integers: cl_format_int and cl_format_uint against "%lld" and "%llu".
 *
 * `decimal_test [N [SEED]]`: N rounds of every kind (RuntimeUnitTests runs the
 * default, a few seconds; a larger N is for a long run by hand). It prints the
 * first failures, then "N checks, M failures".
 */
#include <float.h>
#include <math.h>

#include "harness.h"

/* ---- the reference: glibc ------------------------------------------------------ */

/* cl_format_double as it was, on snprintf and strtod. */
static size_t old_format_double(double x, char *text) {
    int n;
    if (isnan(x)) {
        n = snprintf(text, 64, "nan");
    } else if (isinf(x)) {
        n = snprintf(text, 64, x < 0 ? "-inf" : "inf");
    } else if (x == 0) {
        n = snprintf(text, 64, signbit(x) ? "-0.0" : "0.0");
    } else {
        char e[40];
        for (int p = 1; p <= 17; p++) {
            snprintf(e, sizeof e, "%.*e", p - 1, x);
            if (strtod(e, NULL) == x) break;
        }
        char digits[24];
        int nd = 0;
        const char *s = e;
        bool negative = *s == '-';
        if (negative) s++;
        for (; *s && *s != 'e'; s++)
            if (*s != '.') digits[nd++] = *s;
        digits[nd] = 0;
        int exponent = atoi(s + 1);
        char *o = text;
        if (negative) *o++ = '-';
        if (exponent < -4 || fabs(x) > 18014398509481984.0) {
            *o++ = digits[0];
            if (nd > 1) {
                *o++ = '.';
                memcpy(o, digits + 1, (size_t)nd - 1);
                o += nd - 1;
            }
            o += sprintf(o, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
        } else if (exponent < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = -1; i > exponent; i--) *o++ = '0';
            memcpy(o, digits, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i <= exponent; i++) *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > exponent + 1) {
                memcpy(o, digits + exponent + 1, (size_t)(nd - exponent - 1));
                o += nd - exponent - 1;
            } else {
                *o++ = '0';
            }
        }
        *o = 0;
        n = (int)(o - text);
    }
    return (size_t)n;
}

/* cl_parse_double as it was, on strtod. */
static bool old_parse_double(const char *data, size_t count, double *out) {
    if (count == 0 || count > 1000) return false;
    uint8_t first = (uint8_t)data[0];
    if (first == ' ' || first == '\t' || first == '\n' || first == '\r' || first == '\v' || first == '\f') return false;
    char text[1001];
    memcpy(text, data, count);
    text[count] = 0;
    if (strlen(text) != count) return false;
    char *end;
    double d = strtod(text, &end);
    if (end != text + count) return false;
    *out = d;
    return true;
}

/* ---- checks -------------------------------------------------------------------- */

static int shown;

#define EXPECT(condition, ...)                                                                                        \
    do {                                                                                                              \
        harness_checks++;                                                                                             \
        if (!(condition)) {                                                                                           \
            harness_failures++;                                                                                       \
            if (shown++ < 40) {                                                                                       \
                printf("FAIL: ");                                                                                     \
                printf(__VA_ARGS__);                                                                                  \
                printf("\n");                                                                                         \
            }                                                                                                         \
        }                                                                                                             \
    } while (0)

static uint64_t bits_of(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double double_of(uint64_t b) {
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static uint64_t state;

static uint64_t next(void) { /* splitmix64 */
    uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int below(int n) { return (int)(next() % (uint64_t)n); }

static long formatted, rounded, exacts, parsed, integers;

/* String(x), and x rounded to a random precision, against glibc. */
static void check_format(double x) {
    char expected[64];
    size_t n = old_format_double(x, expected);
    cl_bytes got = cl_format_double(x);
    EXPECT(got->count == (int64_t)n && memcmp(got->data, expected, n) == 0, "String(%a): %.*s, glibc %s", x, (int)got->count,
        (const char *)got->data, expected);
    formatted++;
    if (!isfinite(x) || x == 0) return;
    int p = 1 + below(below(4) == 0 ? 30 : 17);
    char e[64], digits[40];
    snprintf(e, sizeof e, "%.*e", p - 1, fabs(x));
    cl_decimal d;
    cl_decimal_exact(x, &d);
    int exponent = cl_decimal_round(&d, p, digits);
    char mine[64];
    if (p == 1) snprintf(mine, sizeof mine, "%ce%+03d", digits[0], exponent);
    else snprintf(mine, sizeof mine, "%c.%.*se%+03d", digits[0], p - 1, digits + 1, exponent);
    EXPECT(strcmp(mine, e) == 0, "%a to %d digits: %s, glibc %s", x, p, mine, e);
    rounded++;
}

/* The exact digits, against "%.800e" (glibc writes every digit, then zeros). */
static void check_exact(double x) {
    if (!isfinite(x) || x == 0) return;
    static char e[900];
    snprintf(e, sizeof e, "%.800e", fabs(x));
    char *mark = strchr(e, 'e');
    int exponent = atoi(mark + 1);
    char *last = mark - 1;
    while (*last == '0') last--;
    char expected[820];
    int n = 0;
    for (char *s = e; s <= last; s++)
        if (*s != '.') expected[n++] = *s;
    cl_decimal d;
    cl_decimal_exact(x, &d);
    EXPECT(d.count == n && d.exponent == exponent && memcmp(d.digits, expected, (size_t)n) == 0,
        "exact digits of %a: %d digits e%d, glibc %d e%d", x, d.count, d.exponent, n, exponent);
    exacts++;
}

/* The text read by cl_decimal_parse and by strtod: the same length, the same bits; and cl_parse_double
 * as before. */
static void check_parse(const char *text, size_t length) {
    static char copy[4096];
    if (length >= sizeof copy) return;
    memcpy(copy, text, length);
    copy[length] = 0;
    double mine;
    size_t read = cl_decimal_parse(text, length, &mine);
    bool space = length > 0 && strchr(" \t\n\r\v\f", text[0]) != NULL;
    if (!space && strlen(copy) == length) {
        char *end;
        double glibc = strtod(copy, &end);
        size_t glibc_read = (size_t)(end - copy);
        EXPECT(read == glibc_read && (read == 0 || bits_of(mine) == bits_of(glibc)),
            "\"%.200s\"%s: read %zu as %a (%016llx), strtod %zu as %a (%016llx)", copy, length > 200 ? "..." : "", read,
            mine, (unsigned long long)bits_of(mine), glibc_read, glibc, (unsigned long long)bits_of(glibc));
        parsed++;
    }
    double old = 0, now = 0;
    cl_bytes b = cl_bytes_from((const uint8_t *)text, length);
    bool old_ok = old_parse_double(text, length, &old), now_ok = cl_parse_double(b, &now);
    EXPECT(old_ok == now_ok && (!old_ok || bits_of(old) == bits_of(now)), "Double(\"%.200s\"): %d %a, before %d %a", copy,
        now_ok, now, old_ok, old);
}

static void check_parse_text(const char *text) { check_parse(text, strlen(text)); }

/* ---- what is drawn --------------------------------------------------------------- */

/* An integer of any size, either sign. */
static int64_t random_integer(void) {
    uint64_t magnitude = next();
    magnitude >>= below(64);
    int64_t v = (int64_t)(magnitude >> 1);
    return below(2) ? -v : v;
}

static double random_bits(void) {
    switch (below(4)) {
    case 0: return double_of(next() & 0x800fffffffffffffu); /* subnormal */
    case 1: {
        uint64_t exponent = (uint64_t)(1 + below(2046)) << 52;
        return double_of((next() & 0x800fffffffffffffu) | exponent);
    }
    default: return double_of(next());
    }
}

/* Random decimal text: `digits` significant digits, perhaps a point and leading zeros, an exponent
 * that puts it anywhere from below the least subnormal to beyond the largest double. */
static size_t random_decimal(char *text, int digits) {
    size_t n = 0;
    if (below(4) == 0) text[n++] = below(2) ? '-' : '+';
    int point = below(3) == 0 ? -1 : below(digits + 1);
    if (below(8) == 0) {
        text[n++] = '0';
        if (point >= 0) {
            text[n++] = '.';
            for (int z = below(30); z > 0; z--) text[n++] = '0';
            point = -1;
        }
    }
    for (int i = 0; i < digits; i++) {
        if (i == point) text[n++] = '.';
        text[n++] = (char)('0' + (i == 0 ? 1 + below(9) : below(10)));
    }
    if (point == digits) text[n++] = '.';
    /* The exponent: the number's magnitude anywhere from 1e-345 to 1e+320. */
    int magnitude = -345 + below(666);
    int whole = point < 0 ? digits : point;
    int exponent = magnitude - whole;
    if (below(16) == 0 && exponent == 0) return n;
    text[n++] = below(2) ? 'e' : 'E';
    n += (size_t)sprintf(text + n, below(4) == 0 && exponent >= 0 ? "+%d" : "%d", exponent);
    return n;
}

/* The exact midpoint between x and the next double up, in decimal (a long double holds it exactly),
 * and the texts just below and above it: its last digit changed, or more digits after it. */
static void check_midpoint(double x) {
    if (!isfinite(x) || x < 0) x = fabs(x);
    if (!isfinite(x)) return;
    long double mid = ((long double)x + (long double)nextafter(x, INFINITY)) / 2;
    if (isinf(nextafter(x, INFINITY))) mid = (long double)x + ((long double)x - (long double)nextafter(x, 0)) / 2;
    static char text[1000];
    int n = snprintf(text, sizeof text, "%.800Le", mid);
    char *mark = strchr(text, 'e');
    char exponent[16];
    snprintf(exponent, sizeof exponent, "%s", mark);
    char *last = mark - 1;
    while (*last == '0') last--;
    if (*last == '.') last--;
    size_t keep = (size_t)(last - text + 1);
    n = (int)keep + sprintf(text + keep, "%s", exponent);
    check_parse(text, (size_t)n);
    /* Just below and just above: the last digit lowered or raised (when it can be), or digits after it. */
    char digit = text[keep - 1];
    if (digit > '0' && digit != '.') {
        text[keep - 1] = (char)(digit - 1);
        check_parse(text, (size_t)n);
    }
    if (digit < '9' && digit != '.') {
        text[keep - 1] = (char)(digit + 1);
        check_parse(text, (size_t)n);
    }
    text[keep - 1] = digit;
    static char longer[1100];
    const char *zeros_then = strchr(text, '.') ? "00000000" : ".00000";
    int m = snprintf(longer, sizeof longer, "%.*s%s1%s", (int)keep, text, zeros_then, exponent);
    check_parse(longer, (size_t)m);
    /* Beyond the 800 digits the parser keeps: the midpoint, zeros up to digit 790 to 900, then a 1
     * (above the midpoint, by less than the last digit kept), or nothing (the midpoint itself). */
    int digits = (int)keep - (strchr(text, '.') ? 1 : 0); /* "d.ddd": every character but the point */
    int zeros = 790 + below(110) - digits;
    if (zeros > 0) {
        static char padded[1200];
        m = snprintf(padded, sizeof padded, "%.*s%s%0*d%s%s", (int)keep, text, strchr(text, '.') ? "" : ".", zeros, 0,
            below(2) ? "1" : "", exponent);
        check_parse(padded, (size_t)m);
    }
    /* The midpoint cut short: 17 to 40 significant digits. */
    int cut = 17 + below(24);
    if ((size_t)cut + 1 < keep) {
        m = snprintf(longer, sizeof longer, "%.*s%s", cut + 1, text, exponent);
        check_parse(longer, (size_t)m);
    }
}

/* A subnormal's neighbourhood where glibc leaves the 54th significant bit out of the rounding
 * (decimal.c follows it): 54 significant bits, the half bit either way, and below it only the
 * 54th, in decimal (exactly: a long double holds it) and in hexadecimal. */
static void check_54th_bit(void) {
    int e2 = -1074 + below(52); /* the leading bit's exponent */
    int half = 53 - (e2 + 1075); /* the half bit's place, counted from the 54th bit (0) */
    uint64_t m = (1ull << 53) | (next() & ((1ull << 53) - 1));
    m &= ~((1ull << half) - 1);
    m |= 1;
    if (below(2)) m |= 1ull << half;
    else m &= ~(1ull << half);
    static char text[1000];
    int n = snprintf(text, sizeof text, "%.800Le", ldexpl((long double)m, e2 - 53));
    check_parse(text, (size_t)n);
    n = snprintf(text, sizeof text, "0x%llxp%d", (unsigned long long)m, e2 - 53);
    check_parse(text, (size_t)n);
}

static size_t random_hex(char *text) {
    static const char hex[] = "0123456789abcdefABCDEF";
    size_t n = 0;
    if (below(4) == 0) text[n++] = below(2) ? '-' : '+';
    text[n++] = '0';
    text[n++] = below(2) ? 'x' : 'X';
    int digits = below(6) == 0 ? below(40) : 1 + below(16);
    int point = below(3) == 0 ? -1 : below(digits + 1);
    if (below(6) == 0)
        for (int z = below(20); z > 0; z--) text[n++] = '0';
    for (int i = 0; i < digits; i++) {
        if (i == point) text[n++] = '.';
        text[n++] = hex[below(22)];
    }
    if (point == digits) text[n++] = '.';
    if (below(5) != 0) {
        text[n++] = below(2) ? 'p' : 'P';
        int exponent = below(3) == 0 ? -1100 + below(2200) : -60 + below(120);
        if (below(50) == 0) exponent = below(2) ? 99999999 : -99999999;
        n += (size_t)sprintf(text + n, below(4) == 0 && exponent >= 0 ? "+%d" : "%d", exponent);
    }
    return n;
}

/* Text of the characters a number may have, in any order: the partial and odd forms. */
static size_t random_junk(char *text) {
    static const char *pieces[] = {"0", "1", "9", "5", ".", "e", "E", "p", "P", "x", "X", "+", "-", "inf", "INF", "inity",
        "nan", "NaN", "(", ")", "_", "a", "f", "g", "z", "0x", "1e", "e5", " ", "00", "12345678901234567890", "iNfInItY",
        "n", "i", "(0x1f)", "(123)", "(abc)", "(0777)", "(99999999999999999999999)", "(0x8000000000000)"};
    size_t n = 0;
    for (int k = below(7); k >= 0; k--) {
        const char *p = pieces[below((int)(sizeof pieces / sizeof *pieces))];
        size_t l = strlen(p);
        memcpy(text + n, p, l);
        n += l;
    }
    return n;
}

/* ---- the runs -------------------------------------------------------------------------- */

static const char *hard_cases[] = {
    "9007199254740993", "9007199254740992", "9007199254740994", "9007199254740995", "1e23", "8.98846567431158e307",
    "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
    "2.225073858507201136057409796709131975934819546351645648e-308",
    "4.9e-324", "5e-324", "2e-324", "3e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
    /* 2^-1075 and a little more: the least subnormal, not 0 */
    "2.47032822920623272088284396434110686182529901307162382212792841250337753635104375932649918180817996"
    "1898982823477228588654633283551779698981993873980053909390631503565951557022639229085839244910518443"
    "5931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927"
    "8343384093519780155312465972635795746227664652728272200563740064854999770965994704540208281662262378"
    "5739345073633900796776193057750674017632467360096895134053553745851666113422376667860416215968046191"
    "4467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668"
    "2350898633885879256283027559956575244555072551893136908362547791869486679949683240497058210285131854"
    "513962138377228261454376934125320985913276672363281255e-324",
    "2.4703282292062328e-324", "2.47032822920623272e-324",
    "2.4703282292062327208828439643411068618252990130716238221279284125033775364e-324",
    "1.7976931348623157e308", "1.7976931348623158e308", "1.797693134862315807e308", "1.7976931348623158079e308",
    "1.79769313486231580793728971405301e+308", "1.797693134862315807937289714053034150799341327710955e308", "1.8e308",
    "1e309",
    "0.1", "0.2", "0.3", "1e-400", "1e400", "-0", "-0.0", "0e999999999999999999", "1e-999999999999999999",
    "1e999999999999999999", "0.0000000000000000000000000000001e31", "123456789012345678901234567890e-30",
    "0x1p-1074", "0x1p-1075", "0x1.0000000000001p-1075", "0x1.fffffffffffffp1023", "0x1.fffffffffffff8p1023",
    "0x1.fffffffffffff7ffffffp1023", "0x1.00000000000008p0", "0x1.00000000000008000000001p0", "0x1.00000000000018p0",
    "0x20000000000001.0p0", "0x20000000000001.000000p0", "0x20000000000003p0", "0x.8p1", "0x.p1", "0x", "0X", "-0x", "0xp1",
    "0x0", "0x0p", "0x0.", "0x1p", "0x1p+", "0x1.8", "0x1.8p3", "0X1.8P3", "1e", "1e+", "1e-", "1.", ".5", "-.5", ".",
    "-.e1", "-.", "+", "-", "", "e5", "inf", "-inf", "+INF", "infinity", "Infinity", "-iNfInItY", "infinit", "infin", "in",
    "nan", "-nan", "NAN", "nan()", "nan(abc_123)", "nan(0x1f)", "nan(0X1F)", "nan(0x)", "nan(017)", "nan(08)", "nan(123",
    "nan(a-b)", "nan(99999999999999999999999)", "-nan(5)", "nan(0x8000000000000)", "nan(0xfffffffffffff)", "nan(_)",
    "1.5e+", "1,5", "1_000", "0.", "00", "000.000e5", "0001.25e-0", "1e0000000000000000000001", " 1", "1 ", "\t1",
};

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 15000;
    state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed;
    cl_heap_init();
    cl_loop_enter();

    for (size_t i = 0; i < sizeof hard_cases / sizeof *hard_cases; i++) {
        check_parse_text(hard_cases[i]);
        double x = strtod(hard_cases[i], NULL);
        check_format(x);
        check_format(-x);
        check_exact(x);
    }
    /* A NUL inside (strtod stops there, Double(_:) is nil), and Double(_:)'s longest text, 1000 bytes. */
    check_parse("1\0", 2);
    check_parse("0x1p3\0" "5", 7);
    static char thousand[1002];
    memset(thousand, '0', sizeof thousand);
    thousand[0] = '1';
    check_parse(thousand, 1000);
    check_parse(thousand, 1001);
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, DBL_MIN, DBL_MAX, DBL_TRUE_MIN, 1.0, 0.1, 1e-4,
        9.9999999999999991e-5, 18014398509481984.0, 18014398509481986.0, 18014398509481982.0, 1e16, 1e17, 123456789.0,
        5e-324, 1.5, 2.5, 0.5, 0.125, 1e22, 1e23, 9007199254740993.0};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
        check_format(special[i]);
        check_format(-special[i]);
        check_exact(special[i]);
        check_midpoint(special[i]);
    }

    char text[4096];
    for (long i = 0; i < count; i++) {
        /* Doubles: random bits; the doubles random decimals denote; short binary fractions; integers. */
        double x = random_bits();
        check_format(x);
        if (i % 8 == 0) check_exact(x);
        size_t n = random_decimal(text, 1 + below(below(3) == 0 ? 20 : 8));
        text[n] = 0;
        check_format(strtod(text, NULL));
        check_format(ldexp((double)random_integer(), -below(64)));
        check_format((double)random_integer());

        /* Text: short decimals, long ones, midpoints, hexadecimal, and odd forms. */
        check_parse(text, n);
        n = random_decimal(text, 1 + below(20));
        check_parse(text, n);
        if (i % 4 == 0) {
            n = random_decimal(text, below(3) == 0 ? 700 + below(200) : 20 + below(400));
            check_parse(text, n);
        }
        check_midpoint(random_bits());
        if (i % 4 == 0) check_54th_bit();
        check_parse(text, random_hex(text));
        check_parse(text, random_junk(text));

        /* Integers. */
        int64_t v = random_integer();
        if (below(100) == 0) v = below(2) ? INT64_MIN : INT64_MAX;
        char expected[32];
        int l = snprintf(expected, sizeof expected, "%lld", (long long)v);
        cl_bytes got = cl_format_int(v);
        EXPECT(got->count == l && memcmp(got->data, expected, (size_t)l) == 0, "String(%lld)", (long long)v);
        uint64_t u = next();
        u >>= below(64);
        l = snprintf(expected, sizeof expected, "%llu", (unsigned long long)u);
        got = cl_format_uint(u);
        EXPECT(got->count == l && memcmp(got->data, expected, (size_t)l) == 0, "String(%llu as UInt)",
            (unsigned long long)u);
        integers += 2;

        if (i % 256 == 0) cl_iteration_end();
    }
    printf("formatted %ld doubles (%ld rounded to a random precision, %ld exact expansions), parsed %ld texts, "
           "%ld integers\n",
        formatted, rounded, exacts, parsed, integers);
    return harness_done();
}
