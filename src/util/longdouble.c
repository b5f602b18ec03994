/* long double helpers for cinnabar.
 *
 * Redis does INCRBYFLOAT and HINCRBYFLOAT in C `long double` (80-bit x87 on
 * x86-64) and prints the result with "%.17Lf" minus trailing zeros, so that
 * 1.1 + 1.5 answers "2.6", not "2.60000000000000009". Rust has no such type,
 * so this one function parses both operands, adds and formats in C. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LD_CHARS (5 * 1024)

/* Parse like Redis's string2ld: no leading space, whole string consumed,
 * no overflow, not NaN. Returns 1 on success. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[MAX_LD_CHARS];
    char *end;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long double v = strtold(buf, &end);
    /* (end - buf) != len: an embedded NUL must not end the number early. */
    if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != len ||
        errno == EINVAL ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Format in Redis's human mode: "%.17Lf" without trailing zeros. */
static size_t format_ld(long double v, char *out, size_t cap) {
    int l = snprintf(out, cap, "%.17Lf", v);
    if (l < 0 || (size_t)l + 1 > cap) return 0;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') { p--; l--; }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') { out[0] = '0'; l = 1; }
    return (size_t)l;
}

/* a + b. Returns 0 and the formatted sum in out/outlen on success;
 * 1 if a is not a float, 2 if b is not, 3 if the sum is NaN or infinite. */
int cinnabar_ld_add(const char *a, size_t alen, const char *b, size_t blen,
                    char *out, size_t cap, size_t *outlen) {
    long double x, y;
    if (!parse_ld(a, alen, &x)) return 1;
    if (!parse_ld(b, blen, &y)) return 2;
    long double r = x + y;
    if (isnan(r) || isinf(r)) return 3;
    *outlen = format_ld(r, out, cap);
    return 0;
}

/* Validate and normalise one long double (used when a value must be checked
 * alone). Returns 1 on success. */
int cinnabar_ld_valid(const char *a, size_t alen) {
    long double x;
    return parse_ld(a, alen, &x);
}
