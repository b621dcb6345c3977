/* <string.h>: memory and strings, pure computation except strdup and
 * strndup (the allocator) and strerror of an unknown number. */
#define GROUP "<string.h>"
#include "../probe.h"

#include <errno.h>
#include <string.h>

static char a[64] = "hello, world", b[64] = "hello, there";
static const char *volatile text = "the quick brown fox";

PROBE(memcpy, basic) {
    begin();
    sink_p = memcpy(b, a, sizeof a);
    end();
}
PROBE(memcpy, large) {
    static char x[1 << 20], y[1 << 20];
    begin();
    sink_p = memcpy(x, y, sizeof x);
    end();
}
PROBE(memmove, basic) {
    begin();
    sink_p = memmove(a + 1, a, 32);
    end();
}
PROBE(memset, basic) {
    begin();
    sink_p = memset(a, 0, sizeof a);
    end();
}
PROBE(memset, large) {
    static char x[1 << 20];
    begin();
    sink_p = memset(x, 1, sizeof x);
    end();
}
PROBE(memcmp, basic) {
    begin();
    sink_l = memcmp(a, b, sizeof a);
    end();
}
PROBE(memchr, basic) {
    begin();
    sink_p = memchr(a, 'w', sizeof a);
    end();
}
PROBE(memmem, basic) {
    begin();
    sink_p = memmem(text, 19, "brown", 5);
    end();
}
PROBE(strlen, basic) {
    begin();
    sink_l = (long)strlen(text);
    end();
}
PROBE(strnlen, basic) {
    begin();
    sink_l = (long)strnlen(text, 8);
    end();
}
PROBE(strcmp, basic) {
    begin();
    sink_l = strcmp(a, b);
    end();
}
PROBE(strncmp, basic) {
    begin();
    sink_l = strncmp(a, b, 5);
    end();
}
PROBE(strcoll, basic) {
    begin();
    sink_l = strcoll(a, b);
    end();
}
PROBE(strcpy, basic) {
    begin();
    sink_p = strcpy(b, a);
    end();
}
PROBE(strncpy, basic) {
    begin();
    sink_p = strncpy(b, a, sizeof b);
    end();
}
PROBE(stpcpy, basic) {
    begin();
    sink_p = stpcpy(b, a);
    end();
}
PROBE(strcat, basic) {
    b[0] = 0;
    begin();
    sink_p = strcat(b, "abc");
    end();
}
PROBE(strncat, basic) {
    b[0] = 0;
    begin();
    sink_p = strncat(b, "abcdef", 3);
    end();
}
PROBE(strchr, basic) {
    begin();
    sink_p = strchr(text, 'q');
    end();
}
PROBE(strrchr, basic) {
    begin();
    sink_p = strrchr(text, 'o');
    end();
}
PROBE(strstr, basic) {
    begin();
    sink_p = strstr(text, "brown");
    end();
}
PROBE(strstr, long_needle) {
    static char hay[4096], needle[300];
    memset(hay, 'a', sizeof hay - 1);
    memset(needle, 'a', sizeof needle - 2);
    needle[sizeof needle - 2] = 'b';
    begin();
    sink_p = strstr(hay, needle);
    end();
}
PROBE(strspn, basic) {
    begin();
    sink_l = (long)strspn(text, "the ");
    end();
}
PROBE(strcspn, basic) {
    begin();
    sink_l = (long)strcspn(text, "xyz");
    end();
}
PROBE(strpbrk, basic) {
    begin();
    sink_p = strpbrk(text, "xyz");
    end();
}
PROBE(strtok, basic) {
    char s[] = "a,b,c";
    begin();
    sink_p = strtok(s, ",");
    end();
}
PROBE(strtok_r, basic) {
    char s[] = "a,b,c", *save;
    begin();
    sink_p = strtok_r(s, ",", &save);
    end();
}
PROBE(strdup, basic) {
    begin();
    sink_p = strdup(text);
    end();
}
PROBE(strndup, basic) {
    begin();
    sink_p = strndup(text, 5);
    end();
}
PROBE(strerror, known) {
    begin();
    sink_p = strerror(ENOENT);
    end();
}
PROBE(strerror, unknown) {
    begin();
    sink_p = strerror(12345);
    end();
}
PROBE(strerror_r, known) {
    char buf[128];
    begin();
    sink_p = strerror_r(ENOENT, buf, sizeof buf);
    end();
}
PROBE(strerror_r, unknown) {
    char buf[128];
    begin();
    sink_p = strerror_r(12345, buf, sizeof buf);
    end();
}
PROBE(strsignal, basic) {
    begin();
    sink_p = strsignal(2);
    end();
}
PROBE(strsignal, unknown) {
    begin();
    sink_p = strsignal(1234);
    end();
}
PROBE(explicit_bzero, basic) {
    begin();
    explicit_bzero(a, sizeof a);
    end();
}
