/* format.c: numbers to text and back, as Swift writes and reads them.
 *
 * `String(x)` of a Double is the shortest text that reads back as the same
 * Double (what Swift's `description` prints): "0.1", "3.141696", "100.0",
 * "1e-05", "1.5e+20". Decimal notation is used from 1e-4 up to 2^54, with
 * ".0" after a whole number; exponential notation below and above.
 */
#include <math.h>

#include "cleave.h"

cl_bytes cl_format_int(int64_t x) {
    char text[20];
    return cl_bytes_from((const uint8_t *)text, cl_decimal_int(x, text));
}

cl_bytes cl_format_uint(uint64_t x) {
    char text[20];
    return cl_bytes_from((const uint8_t *)text, cl_decimal_uint(x, text));
}

cl_bytes cl_format_bool(bool x) {
    return x ? cl_bytes_from((const uint8_t *)"true", 4) : cl_bytes_from((const uint8_t *)"false", 5);
}

static cl_bytes text_of(const char *text) { return cl_bytes_from((const uint8_t *)text, strlen(text)); }

cl_bytes cl_format_double(double x) {
    if (isnan(x)) return text_of("nan");
    if (isinf(x)) return text_of(x < 0 ? "-inf" : "inf");
    if (x == 0) return text_of(signbit(x) ? "-0.0" : "0.0");
    /* The shortest precision that reads back exactly: the exact digits rounded to 1, 2, ... 17 of them
     * (decimal.c, as "%.*e" rounds them), until one reads back as x. */
    cl_decimal exact;
    cl_decimal_exact(x, &exact);
    char digits[17];
    int nd = 1, exponent = cl_decimal_round(&exact, nd, digits);
    while (nd < 17 && cl_decimal_value(digits, nd, exponent) != fabs(x)) exponent = cl_decimal_round(&exact, ++nd, digits);
    char text[64];
    char *o = text;
    if (x < 0) *o++ = '-';
    if (exponent < -4 || fabs(x) > 18014398509481984.0 /* 2^54 */) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        /* As "%.*e" writes the exponent: a sign and at least two digits. */
        *o++ = 'e';
        *o++ = exponent < 0 ? '-' : '+';
        int magnitude = exponent < 0 ? -exponent : exponent;
        if (magnitude < 10) *o++ = '0';
        o += cl_decimal_int(magnitude, o);
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
    return cl_bytes_from((const uint8_t *)text, (size_t)(o - text));
}

bool cl_parse_int(cl_bytes b, int64_t min, int64_t max, int64_t *out) {
    int64_t i = 0, n = b->count;
    bool negative = false;
    if (i < n && (b->data[i] == '-' || b->data[i] == '+')) negative = b->data[i++] == '-';
    if (i == n) return false;
    uint64_t limit = negative ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
    uint64_t v = 0;
    for (; i < n; i++) {
        uint8_t c = b->data[i];
        if (c < '0' || c > '9') return false;
        if (v > (limit - (uint64_t)(c - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    *out = negative ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
    return true;
}

bool cl_parse_uint(cl_bytes b, uint64_t max, uint64_t *out) {
    int64_t i = 0, n = b->count;
    bool negative = false;
    if (i < n && (b->data[i] == '-' || b->data[i] == '+')) negative = b->data[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        uint8_t c = b->data[i];
        if (c < '0' || c > '9') return false;
        if (v > (max - (uint64_t)(c - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (negative && v != 0) return false; /* "-0" is 0, as Swift reads it; any other negative number does not fit */
    *out = v;
    return true;
}

bool cl_parse_double(cl_bytes b, double *out) {
    /* All of the text must be a number, as strtod reads one (decimal.c), with no white space before it. */
    if (b->count == 0 || b->count > 1000) return false;
    double d;
    if (cl_decimal_parse((const char *)b->data, (size_t)b->count, &d) != (size_t)b->count) return false;
    *out = d;
    return true;
}
