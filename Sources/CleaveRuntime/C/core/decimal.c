/* decimal.c: numbers between binary and decimal, exactly, without the C library.
 *
 * The core writes and reads numbers itself, so that a platform with no C library
 * (an image) prints and parses them as a Linux process does, byte for byte: the
 * digits glibc's "%.*e" writes and the double glibc's strtod reads, both exact
 * (rounded half to even on the exact value, never on an approximation).
 *
 * Both directions work on a small natural number of fixed capacity (`big`: 32-bit
 * limbs, on the stack, no allocation).
 *   - A double is M * 2^e. Its exact decimal digits are those of M << e when e >= 0;
 *     otherwise those of M * 5^-e, scaled by 10^e. The number is turned into digits
 *     by repeated division by 10^9.
 *   - Text is D * 10^E (D * 2^E in hexadecimal). The double is num / den * 2^E with
 *     num = D * 5^E, den = 1 (E >= 0) or num = D, den = 5^-E; the quotient is divided
 *     out to 56 bits and a sticky bit (anything left over), then rounded to 53 bits, or
 *     fewer for a subnormal. Beyond 800 significant digits the text is cut and a
 *     nonzero digit put in place of what was cut: the halfway points between doubles
 *     have at most 767 significant digits, so that cannot move the result.
 * The result is the correctly rounded one but in a corner where glibc's is not, and
 * there it is glibc's (see `nearest`): Swift's Double(_:) reads text with glibc too,
 * and the interpreter and a built service must agree.
 */
#include "cleave.h"

/* ---- natural numbers ------------------------------------------------------ */

/* Enough for the largest number either direction makes: M * 5^1074 (2547 bits) to
 * write a double, and 5^1124 << 56 (2666 bits) or 800 digits and a sticky one to
 * read text. */
enum { LIMBS = 88 };

typedef struct big {
    int n;                /* limbs in use; the top one is nonzero (0: the number 0) */
    uint32_t limb[LIMBS]; /* least significant first */
} big;

static void out_of_room(void) { cl_trap("runtime", "decimal.c: a number outgrew its room"); }

static void big_set(big *a, uint64_t x) {
    a->n = 0;
    while (x) {
        a->limb[a->n++] = (uint32_t)x;
        x >>= 32;
    }
}

/* a = a * m + add */
static void big_mul_add(big *a, uint32_t m, uint32_t add) {
    uint64_t carry = add;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->limb[i] * m + carry;
        a->limb[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) {
        if (a->n == LIMBS) out_of_room();
        a->limb[a->n++] = (uint32_t)carry;
    }
}

/* a = a * 5^k */
static void big_mul_pow5(big *a, int64_t k) {
    static const uint32_t pow5[14] = {1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125, 9765625, 48828125,
        244140625, 1220703125};
    for (; k >= 13; k -= 13) big_mul_add(a, pow5[13], 0);
    if (k > 0) big_mul_add(a, pow5[k], 0);
}

/* a = a << bits */
static void big_shl(big *a, int64_t bits) {
    if (a->n == 0 || bits <= 0) return;
    int words = (int)(bits / 32), shift = (int)(bits % 32);
    if (a->n + words + 1 > LIMBS) out_of_room();
    a->limb[a->n + words] = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        uint32_t x = a->limb[i];
        if (shift) a->limb[i + words + 1] |= x >> (32 - shift);
        a->limb[i + words] = x << shift;
    }
    for (int i = 0; i < words; i++) a->limb[i] = 0;
    a->n += words + 1;
    while (a->n > 0 && a->limb[a->n - 1] == 0) a->n--;
}

static int big_bits(const big *a) { return a->n == 0 ? 0 : 32 * a->n - __builtin_clz(a->limb[a->n - 1]); }

/* a = a / d, the remainder returned */
static uint32_t big_div_small(big *a, uint32_t d) {
    uint64_t r = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        uint64_t t = (r << 32) | a->limb[i];
        a->limb[i] = (uint32_t)(t / d);
        r = t % d;
    }
    while (a->n > 0 && a->limb[a->n - 1] == 0) a->n--;
    return (uint32_t)r;
}

/* The quotient num / den, when it is below 2^64 (long division a limb at a time: Knuth's
 * algorithm D); num is left holding the remainder, times a power of 2. */
static uint64_t big_divide(big *num, big *den) {
    int shift = __builtin_clz(den->limb[den->n - 1]); /* den's top bit set: each estimate is off by 2 at most */
    big_shl(den, shift);
    big_shl(num, shift);
    int n = den->n, m = num->n - n;
    if (m < 0) return 0;
    if (num->n == LIMBS) out_of_room();
    uint32_t *u = num->limb;
    const uint32_t *v = den->limb;
    u[num->n] = 0;
    uint64_t q = 0;
    for (int j = m; j >= 0; j--) {
        uint64_t top = ((uint64_t)u[j + n] << 32) | u[j + n - 1];
        uint64_t qhat = top / v[n - 1], rhat = top % v[n - 1];
        while (qhat >> 32 || (n >= 2 && qhat * v[n - 2] > ((rhat << 32) | u[j + n - 2]))) {
            qhat--;
            rhat += v[n - 1];
            if (rhat >> 32) break;
        }
        /* u[j .. j + n] -= qhat * v, and add v back once if that went below 0. */
        uint64_t carry = 0, borrow = 0;
        for (int i = 0; i < n; i++) {
            uint64_t p = qhat * v[i] + carry;
            carry = p >> 32;
            uint64_t t = (uint64_t)u[i + j] - (uint32_t)p - borrow;
            u[i + j] = (uint32_t)t;
            borrow = t >> 63;
        }
        uint64_t t = (uint64_t)u[j + n] - carry - borrow;
        u[j + n] = (uint32_t)t;
        if (t >> 63) {
            qhat--;
            carry = 0;
            for (int i = 0; i < n; i++) {
                uint64_t sum = (uint64_t)u[i + j] + v[i] + carry;
                u[i + j] = (uint32_t)sum;
                carry = sum >> 32;
            }
            u[j + n] += (uint32_t)carry;
        }
        q = (q << 32) | qhat;
    }
    num->n = n;
    while (num->n > 0 && num->limb[num->n - 1] == 0) num->n--;
    return q;
}

/* ---- doubles to decimal ----------------------------------------------------- */

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

static const uint64_t sign_bit = 1ull << 63, infinity_bits = 0x7ff0000000000000ull, quiet_nan_bits = 0x7ff8000000000000ull;

static double zero(bool negative) { return double_of(negative ? sign_bit : 0); }

static double infinity(bool negative) { return double_of(infinity_bits | (negative ? sign_bit : 0)); }

void cl_decimal_exact(double x, cl_decimal *d) {
    uint64_t bits = bits_of(x) & ~sign_bit;
    uint64_t m = bits & ((1ull << 52) - 1);
    int e = (int)(bits >> 52);
    if (e == 0) e = 1; /* subnormal */
    else m |= 1ull << 52;
    e -= 1075; /* x = m * 2^e */
    big n;
    big_set(&n, m);
    if (e >= 0) big_shl(&n, e);
    else big_mul_pow5(&n, -e);
    /* The digits of n, nine at a time from the last, written from the end of the room. */
    char *end = d->digits + sizeof d->digits, *p = end;
    while (n.n > 0) {
        uint32_t chunk = big_div_small(&n, 1000000000);
        for (int i = 0; i < 9; i++) {
            *--p = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    }
    while (*p == '0') p++;
    int count = (int)(end - p);
    d->exponent = count - 1 + (e < 0 ? e : 0);
    memmove(d->digits, p, (size_t)count);
    while (d->digits[count - 1] == '0') count--;
    d->count = count;
}

int cl_decimal_round(const cl_decimal *d, int precision, char *digits) {
    int exponent = d->exponent;
    if (d->count <= precision) {
        memcpy(digits, d->digits, (size_t)d->count);
        memset(digits + d->count, '0', (size_t)(precision - d->count));
        return exponent;
    }
    memcpy(digits, d->digits, (size_t)precision);
    char next = d->digits[precision];
    /* count > precision + 1: a nonzero digit after `next` (the last digit is never 0). */
    bool up = next > '5' || (next == '5' && (d->count > precision + 1 || (digits[precision - 1] - '0') % 2 == 1));
    if (up) {
        int i = precision - 1;
        while (i >= 0 && digits[i] == '9') digits[i--] = '0';
        if (i >= 0) {
            digits[i]++;
        } else {
            digits[0] = '1';
            exponent++;
        }
    }
    return exponent;
}

/* ---- decimal to doubles ----------------------------------------------------- */

/* The double nearest num / den * 2^b2 (num, den > 0), half to even; `negative` sets the sign, `hex`
 * says the number was written in hexadecimal (for glibc's way with subnormals, below). */
static double nearest(big *num, big *den, int64_t b2, bool negative, bool hex) {
    uint64_t sign = negative ? sign_bit : 0;
    int a = big_bits(num), b = big_bits(den);
    /* num / den * 2^b2 lies in (2^(a - b - 1 + b2), 2^(a - b + 1 + b2)). */
    if (a - b - 1 + b2 >= 1024) return infinity(negative);
    if (a - b + 1 + b2 <= -1075) return zero(negative); /* below half the least subnormal */
    /* q = floor(num * 2^s / den) lies in [2^55, 2^57). */
    int s = 56 - a + b;
    if (s > 0) big_shl(num, s);
    else big_shl(den, -s);
    uint64_t q = big_divide(num, den);
    bool sticky = num->n != 0; /* the remainder */
    if (q >= 1ull << 56) {
        sticky |= q & 1;
        q >>= 1;
        s--;
    }
    /* x = (q + a fraction, nonzero when sticky) * 2^(b2 - s), and q has 56 bits. */
    int64_t e2 = 55 + b2 - s; /* x = 1.f * 2^e2 */
    int drop = 3;             /* 56 bits to 53 */
    if (e2 < -1022) {
        if (e2 < -1075) return zero(negative);
        drop += (int)(-1022 - e2); /* a subnormal keeps fewer */
        /* As glibc's strtod does (2.36; its round_and_return), leave the 54th significant bit out of
         * the rounding of a subnormal: a number above halfway between two subnormals by that bit alone
         * rounds as if it were halfway, to even. Every hexadecimal number; a decimal one only between
         * 2^-1023 and 2^-1022 (below, the digits glibc reads past 2^-1076 stand in for that bit). */
        if (hex || e2 == -1023) q &= ~(uint64_t)4;
    }
    uint64_t m = q >> drop, rest = q & ((1ull << drop) - 1), half = 1ull << (drop - 1);
    if (rest > half || (rest == half && (sticky || (m & 1)))) m++;
    if (e2 < -1022) return double_of(sign | m); /* m = 2^52: rounded up to the least normal */
    if (m == 1ull << 53) {
        m >>= 1;
        e2++;
    }
    if (e2 > 1023) return infinity(negative);
    return double_of(sign | (((uint64_t)(e2 + 1022) << 52) + m)); /* m's leading bit adds 1 to the exponent */
}

/* The double nearest the digits (ASCII) times 10^exponent, half to even. The digits are
 * many only when read from text: from the 801st on, they stand for a single nonzero digit. */
static double from_decimal(const char *digits, size_t count, int64_t exponent, bool negative) {
    while (count > 0 && digits[0] == '0') {
        digits++;
        count--;
    }
    while (count > 0 && digits[count - 1] == '0') {
        count--;
        exponent++;
    }
    if (count == 0) return zero(negative);
    bool sticky = false;
    if (count > 800) {
        exponent += (int64_t)(count - 800) - 1;
        count = 800;
        sticky = true; /* what was cut ends in a nonzero digit */
    }
    int64_t n = (int64_t)count + sticky;
    /* x lies in [10^(n - 1 + exponent), 10^(n + exponent)). */
    if (n - 1 + exponent >= 309) return infinity(negative);
    if (n + exponent <= -324) return zero(negative);
    big num, den;
    big_set(&num, 0);
    for (size_t i = 0; i < count;) {
        uint32_t chunk = 0, scale = 1;
        for (int k = 0; k < 9 && i < count; k++, i++) {
            chunk = chunk * 10 + (uint32_t)(digits[i] - '0');
            scale *= 10;
        }
        big_mul_add(&num, scale, chunk);
    }
    if (sticky) big_mul_add(&num, 10, 1);
    big_set(&den, 1);
    if (exponent >= 0) big_mul_pow5(&num, exponent);
    else big_mul_pow5(&den, -exponent);
    return nearest(&num, &den, exponent, negative, false);
}

double cl_decimal_value(const char *digits, int count, int exponent) {
    return from_decimal(digits, (size_t)count, (int64_t)exponent - (count - 1), false);
}

/* ---- text to doubles: strtod ------------------------------------------------- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_hex(int c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }
static int hex_value(int c) { return is_digit(c) ? c - '0' : lower(c) - 'a' + 10; }

/* Whether the text at i starts with `word` (lowercase), in any case. */
static bool starts_with(const char *text, size_t length, size_t i, const char *word) {
    for (; *word; word++, i++)
        if (i >= length || lower((unsigned char)text[i]) != *word) return false;
    return true;
}

/* glibc's NaN of "nan(chars)": the chars read as an unsigned number (strtoull, base 0, all of them), its low
 * 51 bits the payload of a quiet NaN; a number that is not one, or 0, leaves the default NaN. */
static uint64_t nan_bits(const char *chars, size_t n) {
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;
    if (n >= 2 && chars[0] == '0' && lower(chars[1]) == 'x' && n > 2 && is_hex(chars[2])) {
        base = 16;
        i = 2;
    } else if (n >= 1 && chars[0] == '0') {
        base = 8;
    }
    bool overflow = false;
    for (; i < n; i++) {
        int c = (unsigned char)chars[i];
        unsigned digit = is_hex(c) ? (unsigned)hex_value(c) : 99;
        if (digit >= base) return quiet_nan_bits;
        if (v > (UINT64_MAX - digit) / base) overflow = true;
        v = v * base + digit;
    }
    if (overflow) v = UINT64_MAX;
    return quiet_nan_bits | (v & ((1ull << 51) - 1));
}

size_t cl_decimal_parse(const char *text, size_t length, double *out) {
#define AT(j) ((j) < length ? (unsigned char)text[j] : 0)
    size_t i = 0;
    bool negative = false;
    if (AT(i) == '-' || AT(i) == '+') {
        negative = AT(i) == '-';
        i++;
    }
    *out = 0;
    if (!(AT(i) == '.' && is_digit(AT(i + 1))) && !is_digit(AT(i))) {
        if (starts_with(text, length, i, "inf")) {
            *out = infinity(negative);
            return starts_with(text, length, i + 3, "inity") ? i + 8 : i + 3;
        }
        if (starts_with(text, length, i, "nan")) {
            uint64_t bits = quiet_nan_bits;
            i += 3;
            if (AT(i) == '(') {
                size_t j = i + 1;
                while (is_digit(AT(j)) || (lower(AT(j)) >= 'a' && lower(AT(j)) <= 'z') || AT(j) == '_') j++;
                if (AT(j) == ')') {
                    bits = nan_bits(text + i + 1, j - i - 1);
                    i = j + 1;
                }
            }
            *out = double_of(bits | (negative ? sign_bit : 0));
            return i;
        }
        return 0;
    }
    bool hex = AT(i) == '0' && lower(AT(i + 1)) == 'x';
    if (hex) i += 2;
    size_t start = i;
    while (AT(i) == '0') i++;
    /* After the leading zeros, what glibc takes for the rest of a number; otherwise the number is 0,
     * or ends before the "x" of a lone "0x". */
    int c = AT(i);
    bool more = is_digit(c) || (hex && is_hex(c)) || (c == '.' && (!hex || i != start || is_hex(AT(i + 1))))
        || (hex && i != start && lower(c) == 'p') || (!hex && lower(c) == 'e');
    if (!more) {
        *out = zero(negative);
        return i != start ? i : hex ? i - 1 : 0;
    }
    /* The significant digits (from the first nonzero), cut after 800 (30 in hexadecimal, 120 bits) with
     * `cut` counting those left out, and how many of them follow the point. */
    char digits[801];
    size_t kept = 0, cap = hex ? 30 : 800;
    int64_t cut = 0, after_point = 0;
    bool cut_nonzero = false, point = false;
    for (;; i++) {
        c = AT(i);
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (!(hex ? is_hex(c) : is_digit(c))) break;
        if (point) after_point++;
        if (kept == 0 && c == '0') continue;
        if (kept < cap) {
            digits[kept++] = (char)c;
        } else {
            cut++;
            cut_nonzero |= c != '0';
        }
    }
    int64_t exponent = 0;
    c = AT(i);
    if (lower(c) == (hex ? 'p' : 'e')) {
        size_t j = i + 1;
        bool minus = AT(j) == '-';
        if (AT(j) == '-' || AT(j) == '+') j++;
        if (is_digit(AT(j))) {
            /* Past 10^9 the exponent only says overflow or underflow (clamped below). */
            for (; is_digit(AT(j)); j++)
                if (exponent < 1000000000) exponent = exponent * 10 + (AT(j) - '0');
            if (minus) exponent = -exponent;
            i = j;
        }
    }
    if (cut_nonzero) {
        /* The cut digits become one nonzero digit. */
        digits[kept++] = '1';
        cut--;
    }
    if (!hex) {
        *out = from_decimal(digits, kept, exponent - after_point + cut, negative);
        return i;
    }
    /* D * 2^(exponent - 4 * (digits after the point) + 4 * cut); D has at most 31 digits (124 bits). */
    big num, den;
    big_set(&num, 0);
    for (size_t k = 0; k < kept; k++) big_mul_add(&num, 16, (uint32_t)hex_value(digits[k]));
    if (num.n == 0) {
        *out = zero(negative);
        return i;
    }
    big_set(&den, 1);
    int64_t b2 = exponent - 4 * after_point + 4 * cut;
    *out = nearest(&num, &den, b2, negative, true);
    return i;
#undef AT
}

/* ---- integers ---------------------------------------------------------------- */

size_t cl_decimal_uint(uint64_t x, char *text) {
    char reversed[20];
    size_t n = 0;
    do {
        reversed[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x != 0);
    for (size_t i = 0; i < n; i++) text[i] = reversed[n - 1 - i];
    return n;
}

size_t cl_decimal_int(int64_t x, char *text) {
    if (x >= 0) return cl_decimal_uint((uint64_t)x, text);
    text[0] = '-';
    return 1 + cl_decimal_uint(-(uint64_t)x, text + 1);
}
