/* embedded_nolibm.h - float functions without libm, for embedded C built
 * with --no-libm: rnnc copies this file into NAME.c and renames the math.h
 * calls to these. Plain C99 on the bits of IEEE-754 floats. Largest
 * errors against glibc, measured and asserted by tests/unit/test_nolibm.c:
 * expf 1.2e-7 relative on [-87, 88]; logf 6e-8 absolute on [0.5, 2] and
 * 1.2e-7 relative on [1e-30, 1e30]; log1pf 3.5e-7 relative on [1e-6, 1e6]
 * and 5e-7 absolute on [-0.99, 1]; tanhf 1.2e-7 absolute; sqrtf 1.2e-7
 * relative; fabsf exact.
 * nl_memcpy and nl_memset stand in for memcpy and memset; they store
 * through a volatile pointer, so that no compiler, at any optimisation
 * level, recognises the loop as a copy or a fill and calls the library
 * function it replaces.
 * rnnc copies only the functions a model's code calls (each is one
 * blank-line separated block below, found by its nl_ name). */
#ifndef RNNC_EMBEDDED_NOLIBM_H
#define RNNC_EMBEDDED_NOLIBM_H
#include <stddef.h>
#include <stdint.h>

/* a float's bits and back, through a union (defined in C99) */
static inline float nl_from_bits(uint32_t u) {
    union { uint32_t u; float f; } v;
    v.u = u;
    return v.f;
}

static inline uint32_t nl_bits(float f) {
    union { float f; uint32_t u; } v;
    v.f = f;
    return v.u;
}

static inline void *nl_memcpy(void *d, const void *s, size_t n) {
    volatile unsigned char *to = d;
    const unsigned char *from = s;
    while (n--)
        *to++ = *from++;
    return d;
}

static inline void *nl_memset(void *d, int c, size_t n) {
    volatile unsigned char *to = d;
    while (n--)
        *to++ = (unsigned char)c;
    return d;
}

static inline float nl_fabsf(float x) { return nl_from_bits(nl_bits(x) & 0x7fffffffu); }

/* e^x = 2^k e^r, |r| <= ln2 / 2, e^r by a degree-7 Taylor polynomial */
static inline float nl_expf(float x) {
    if (x != x)
        return x;
    if (x > 88.72f)
        return nl_from_bits(0x7f800000u);
    if (x < -87.33f)
        return 0.0f;
    float k = (float)(int)(x * 1.44269504f + (x < 0 ? -0.5f : 0.5f));
    float r = (x - k * 0.693145752f) - k * 1.42860677e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    return p * nl_from_bits((uint32_t)((int)k + 127) << 23);
}

/* log x = e ln2 + log m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)) */
static inline float nl_logf(float x) {
    if (x != x || x < 0)
        return nl_from_bits(0x7fc00000u);
    if (x == 0)
        return -nl_from_bits(0x7f800000u);
    if (x == nl_from_bits(0x7f800000u))
        return x;
    int e = 0;
    if (x < 1.17549435e-38f) { /* subnormal: scale into the normal range */
        x *= 16777216.0f;
        e = -24;
    }
    uint32_t u = nl_bits(x);
    e += (int)(u >> 23) - 127;
    float m = nl_from_bits((u & 0x007fffffu) | 0x3f800000u);
    if (m > 1.41421356f) {
        m *= 0.5f;
        e++;
    }
    float f = (m - 1) / (m + 1), f2 = f * f;
    float s = f * (2.0f + f2 * (2.0f / 3 + f2 * (2.0f / 5 + f2 * (2.0f / 7 + f2 * (2.0f / 9 + f2 * (2.0f / 11))))));
    return (float)e * 0.693147181f + s;
}

/* log(u) x / (u - 1) with u = 1 + x rounded: the quotient cancels the
 * rounding of u, so small x keep their relative accuracy */
static inline float nl_log1pf(float x) {
    float u = 1.0f + x;
    if (u == 1.0f)
        return x;
    if (u == nl_from_bits(0x7f800000u))
        return u;
    return nl_logf(u) * (x / (u - 1.0f));
}

static inline float nl_tanhf(float x) {
    float a = nl_fabsf(x);
    if (a > 9.0f)
        return x > 0 ? 1.0f : -1.0f;
    if (a < 4e-3f)
        return x * (1.0f - x * x * (1.0f / 3));
    float t = nl_expf(2 * a), y = (t - 1) / (t + 1);
    return x < 0 ? -y : y;
}

/* a bit-level first guess, then Newton's iteration three times */
static inline float nl_sqrtf(float x) {
    if (x != x || x < 0)
        return nl_from_bits(0x7fc00000u);
    if (x == 0 || x == nl_from_bits(0x7f800000u))
        return x;
    float y = nl_from_bits((nl_bits(x) >> 1) + 0x1fbd1df5u);
    for (int i = 0; i < 3; i++)
        y = 0.5f * (y + x / y);
    return y;
}

#endif
