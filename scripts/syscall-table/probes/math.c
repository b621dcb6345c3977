/* <math.h>: floating point, pure computation (errors set errno, and raise
 * floating-point exceptions that are masked). Called with arguments the
 * compiler cannot fold. */
#define GROUP "<math.h>"
#include "../probe.h"

#include <math.h>

static volatile double x = 0.75, y = 2.5;
static volatile float xf = 0.75f, yf = 2.5f;

PROBE(sqrt, basic) {
    begin();
    sink_d = sqrt(x);
    end();
}
PROBE(cbrt, basic) {
    begin();
    sink_d = cbrt(x);
    end();
}
PROBE(exp, basic) {
    begin();
    sink_d = exp(x);
    end();
}
PROBE(exp2, basic) {
    begin();
    sink_d = exp2(x);
    end();
}
PROBE(expm1, basic) {
    begin();
    sink_d = expm1(x);
    end();
}
PROBE(log, basic) {
    begin();
    sink_d = log(x);
    end();
}
PROBE(log2, basic) {
    begin();
    sink_d = log2(x);
    end();
}
PROBE(log10, basic) {
    begin();
    sink_d = log10(x);
    end();
}
PROBE(log1p, basic) {
    begin();
    sink_d = log1p(x);
    end();
}
PROBE(sin, basic) {
    begin();
    sink_d = sin(x);
    end();
}
PROBE(cos, basic) {
    begin();
    sink_d = cos(x);
    end();
}
PROBE(tan, basic) {
    begin();
    sink_d = tan(x);
    end();
}
PROBE(asin, basic) {
    begin();
    sink_d = asin(x);
    end();
}
PROBE(acos, basic) {
    begin();
    sink_d = acos(x);
    end();
}
PROBE(atan, basic) {
    begin();
    sink_d = atan(x);
    end();
}
PROBE(sinh, basic) {
    begin();
    sink_d = sinh(x);
    end();
}
PROBE(cosh, basic) {
    begin();
    sink_d = cosh(x);
    end();
}
PROBE(tanh, basic) {
    begin();
    sink_d = tanh(x);
    end();
}
PROBE(asinh, basic) {
    begin();
    sink_d = asinh(x);
    end();
}
PROBE(acosh, basic) {
    begin();
    sink_d = acosh(x);
    end();
}
PROBE(atanh, basic) {
    begin();
    sink_d = atanh(x);
    end();
}
PROBE(floor, basic) {
    begin();
    sink_d = floor(x);
    end();
}
PROBE(ceil, basic) {
    begin();
    sink_d = ceil(x);
    end();
}
PROBE(trunc, basic) {
    begin();
    sink_d = trunc(x);
    end();
}
PROBE(round, basic) {
    begin();
    sink_d = round(x);
    end();
}
PROBE(rint, basic) {
    begin();
    sink_d = rint(x);
    end();
}
PROBE(nearbyint, basic) {
    begin();
    sink_d = nearbyint(x);
    end();
}
PROBE(fabs, basic) {
    begin();
    sink_d = fabs(x);
    end();
}
PROBE(erf, basic) {
    begin();
    sink_d = erf(x);
    end();
}
PROBE(erfc, basic) {
    begin();
    sink_d = erfc(x);
    end();
}
PROBE(tgamma, basic) {
    begin();
    sink_d = tgamma(x);
    end();
}
PROBE(lgamma, basic) {
    begin();
    sink_d = lgamma(x);
    end();
}
PROBE(pow, basic) {
    begin();
    sink_d = pow(x, y);
    end();
}
PROBE(atan2, basic) {
    begin();
    sink_d = atan2(x, y);
    end();
}
PROBE(fmod, basic) {
    begin();
    sink_d = fmod(x, y);
    end();
}
PROBE(remainder, basic) {
    begin();
    sink_d = remainder(x, y);
    end();
}
PROBE(fmin, basic) {
    begin();
    sink_d = fmin(x, y);
    end();
}
PROBE(fmax, basic) {
    begin();
    sink_d = fmax(x, y);
    end();
}
PROBE(fdim, basic) {
    begin();
    sink_d = fdim(x, y);
    end();
}
PROBE(hypot, basic) {
    begin();
    sink_d = hypot(x, y);
    end();
}
PROBE(copysign, basic) {
    begin();
    sink_d = copysign(x, y);
    end();
}
PROBE(nextafter, basic) {
    begin();
    sink_d = nextafter(x, y);
    end();
}
PROBE(sqrtf, basic) {
    begin();
    sink_d = sqrtf(xf);
    end();
}
PROBE(expf, basic) {
    begin();
    sink_d = expf(xf);
    end();
}
PROBE(logf, basic) {
    begin();
    sink_d = logf(xf);
    end();
}
PROBE(sinf, basic) {
    begin();
    sink_d = sinf(xf);
    end();
}
PROBE(cosf, basic) {
    begin();
    sink_d = cosf(xf);
    end();
}
PROBE(tanf, basic) {
    begin();
    sink_d = tanf(xf);
    end();
}
PROBE(floorf, basic) {
    begin();
    sink_d = floorf(xf);
    end();
}
PROBE(ceilf, basic) {
    begin();
    sink_d = ceilf(xf);
    end();
}
PROBE(truncf, basic) {
    begin();
    sink_d = truncf(xf);
    end();
}
PROBE(roundf, basic) {
    begin();
    sink_d = roundf(xf);
    end();
}
PROBE(fabsf, basic) {
    begin();
    sink_d = fabsf(xf);
    end();
}
PROBE(powf, basic) {
    begin();
    sink_d = powf(xf, yf);
    end();
}
PROBE(fmodf, basic) {
    begin();
    sink_d = fmodf(xf, yf);
    end();
}
PROBE(atan2f, basic) {
    begin();
    sink_d = atan2f(xf, yf);
    end();
}
PROBE(fminf, basic) {
    begin();
    sink_d = fminf(xf, yf);
    end();
}
PROBE(fmaxf, basic) {
    begin();
    sink_d = fmaxf(xf, yf);
    end();
}
PROBE(hypotf, basic) {
    begin();
    sink_d = hypotf(xf, yf);
    end();
}
PROBE(sqrt, domain_error) {
    volatile double minus = -1;
    begin();
    sink_d = sqrt(minus);
    end();
}
PROBE(log, pole_error) {
    volatile double zero = 0;
    begin();
    sink_d = log(zero);
    end();
}
PROBE(pow, overflow) {
    volatile double big = 1e300;
    begin();
    sink_d = pow(big, y);
    end();
}
PROBE(exp, overflow) {
    volatile double big = 1e300;
    begin();
    sink_d = exp(big);
    end();
}
PROBE(lround, basic) {
    begin();
    sink_l = lround(y);
    end();
}
PROBE(llround, basic) {
    begin();
    sink_l = llround(y);
    end();
}
PROBE(lrint, basic) {
    begin();
    sink_l = lrint(y);
    end();
}
PROBE(frexp, basic) {
    int e;
    begin();
    sink_d = frexp(y, &e);
    end();
}
PROBE(ldexp, basic) {
    begin();
    sink_d = ldexp(y, 3);
    end();
}
PROBE(modf, basic) {
    double i;
    begin();
    sink_d = modf(y, &i);
    end();
}
PROBE(fma, basic) {
    begin();
    sink_d = fma(x, y, x);
    end();
}
PROBE(nan, basic) {
    begin();
    sink_d = nan("");
    end();
}
