/* format.c: numbers to text and back, as Swift writes and reads them.
 *
 * `String(x)` of a Double is the shortest text that reads back as the same
 * Double (what Swift's `description` prints): "0.1", "3.141696", "100.0",
 * "1e-05", "1.5e+20". Decimal notation is used from 1e-4 up to 2^54, with
 * ".0" after a whole number; exponential notation below and above.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleave.h"

cl_bytes cl_format_int(int64_t x) {
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRId64, x);
    return cl_bytes_from((const uint8_t *)text, (size_t)n);
}

cl_bytes cl_format_uint(uint64_t x) {
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRIu64, x);
    return cl_bytes_from((const uint8_t *)text, (size_t)n);
}

cl_bytes cl_format_bool(bool x) {
    return x ? cl_bytes_from((const uint8_t *)"true", 4) : cl_bytes_from((const uint8_t *)"false", 5);
}

cl_bytes cl_format_double(double x) {
    char text[64];
    int n;
    if (isnan(x)) {
        n = snprintf(text, sizeof text, "nan");
    } else if (isinf(x)) {
        n = snprintf(text, sizeof text, x < 0 ? "-inf" : "inf");
    } else if (x == 0) {
        n = snprintf(text, sizeof text, signbit(x) ? "-0.0" : "0.0");
    } else {
        /* The shortest precision that reads back exactly. */
        char e[40];
        for (int p = 1; p <= 17; p++) {
            snprintf(e, sizeof e, "%.*e", p - 1, x);
            if (strtod(e, NULL) == x) break;
        }
        /* e is [-]d[.ddd]e[+-]XX: split into digits and exponent. */
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
        if (exponent < -4 || fabs(x) > 18014398509481984.0 /* 2^54 */) {
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
    return cl_bytes_from((const uint8_t *)text, (size_t)n);
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
    if (b->count == 0 || b->count > 1000) return false;
    uint8_t first = b->data[0];
    if (first == ' ' || first == '\t' || first == '\n' || first == '\r' || first == '\v' || first == '\f') return false;
    char text[1001];
    memcpy(text, b->data, (size_t)b->count);
    text[b->count] = 0;
    if (strlen(text) != (size_t)b->count) return false; /* a NUL inside */
    char *end;
    double d = strtod(text, &end);
    if (end != text + b->count) return false;
    *out = d;
    return true;
}
