/* <stdio.h>: streams. A stream's first use asks the kernel what its file is
 * (newfstatat; on a character device that is not a terminal's, also
 * ioctl(TCGETS)) and allocates its buffer; output reaches the file (write)
 * when the buffer fills, at a newline on a terminal, on fflush and fclose.
 * probe.py runs every probe with stdout and stderr a pipe, a regular file,
 * /dev/null and a terminal, and stdin a regular file. */
#define GROUP "<stdio.h>"
#include "../probe.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* More than any stream buffer holds. */
static char big[20000];
static const char *big_text(void) {
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    return big;
}

/* Formatted output. */
PROBE(printf, basic) {
    begin();
    sink_l = printf("hello %d\n", 42);
    end();
}
PROBE(printf, large) {
    const char *t = big_text();
    begin();
    sink_l = printf("%s", t);
    end();
}
PROBE(printf, wide_field) {
    begin();
    sink_l = printf("%*d\n", 100000, 1);
    end();
}
PROBE(printf, floating) {
    volatile double x = 3.14159;
    begin();
    sink_l = printf("%.3f %g %e %.2000f\n", x, x, x, x);
    end();
}
PROBE(printf, positional) {
    begin();
    sink_l = printf("%2$s %1$d\n", 1, "two");
    end();
}
PROBE(fprintf, stderr) {
    begin();
    sink_l = fprintf(stderr, "hello %d\n", 42);
    end();
}
PROBE(fprintf, stdout) {
    const char *t = big_text();
    begin();
    sink_l = fprintf(stdout, "%s", t);
    end();
}
PROBE(fprintf, file) {
    FILE *f = fopen("out.txt", "w");
    const char *t = big_text();
    begin();
    sink_l = fprintf(f, "%s", t);
    end();
}
PROBE(dprintf, basic) {
    begin();
    sink_l = dprintf(1, "hello %d\n", 42);
    end();
}
PROBE(dprintf, large) {
    const char *t = big_text();
    begin();
    sink_l = dprintf(1, "%s", t);
    end();
}
static int call_vprintf(const char *format, ...) {
    va_list a;
    va_start(a, format);
    int n = vprintf(format, a);
    va_end(a);
    return n;
}
static int call_vfprintf(FILE *f, const char *format, ...) {
    va_list a;
    va_start(a, format);
    int n = vfprintf(f, format, a);
    va_end(a);
    return n;
}
static int call_vsnprintf(char *b, size_t n, const char *format, ...) {
    va_list a;
    va_start(a, format);
    int r = vsnprintf(b, n, format, a);
    va_end(a);
    return r;
}
static int call_vsprintf(char *b, const char *format, ...) {
    va_list a;
    va_start(a, format);
    int r = vsprintf(b, format, a);
    va_end(a);
    return r;
}
PROBE(vprintf, basic) {
    begin();
    sink_l = call_vprintf("hello %d\n", 42);
    end();
}
PROBE(vprintf, large) {
    const char *t = big_text();
    begin();
    sink_l = call_vprintf("%s", t);
    end();
}
PROBE(vfprintf, stderr) {
    begin();
    sink_l = call_vfprintf(stderr, "hello %d\n", 42);
    end();
}
PROBE(vfprintf, stdout) {
    const char *t = big_text();
    begin();
    sink_l = call_vfprintf(stdout, "%s", t);
    end();
}

/* Formatting into memory: no stream, no file. */
PROBE(snprintf, basic) {
    char b[64];
    volatile double x = 2.5;
    begin();
    sink_l = snprintf(b, sizeof b, "%d %s %f %x", 42, "str", x, 255);
    end();
}
PROBE(snprintf, wide_field) {
    char b[64];
    begin();
    sink_l = snprintf(b, sizeof b, "%*d", 100000, 1);
    end();
}
PROBE(snprintf, floating) {
    static char b[4096];
    volatile double x = 1e300;
    begin();
    sink_l = snprintf(b, sizeof b, "%.2000f", x);
    end();
}
PROBE(sprintf, basic) {
    char b[64];
    begin();
    sink_l = sprintf(b, "%d %s", 42, "str");
    end();
}
PROBE(sprintf, wide_field) {
    static char b[200000];
    begin();
    sink_l = sprintf(b, "%*d", 100000, 1);
    end();
}
PROBE(vsnprintf, basic) {
    char b[64];
    begin();
    sink_l = call_vsnprintf(b, sizeof b, "%d %s", 42, "str");
    end();
}
PROBE(vsprintf, basic) {
    char b[64];
    begin();
    sink_l = call_vsprintf(b, "%d %s", 42, "str");
    end();
}
PROBE(asprintf, basic) {
    char *s;
    begin();
    sink_l = asprintf(&s, "%d %s", 42, "str");
    end();
    sink_p = s;
}
PROBE(sscanf, basic) {
    int i;
    char w[16];
    double d;
    begin();
    sink_l = sscanf("42 word 2.5", "%d %15s %lf", &i, w, &d);
    end();
}
PROBE(sscanf, allocating) {
    char *s;
    begin();
    sink_l = sscanf("word", "%ms", &s);
    end();
    sink_p = s;
}

/* Unformatted output. */
PROBE(puts, basic) {
    begin();
    sink_l = puts("hello");
    end();
}
PROBE(puts, large) {
    const char *t = big_text();
    begin();
    sink_l = puts(t);
    end();
}
PROBE(putchar, basic) {
    begin();
    sink_l = putchar('\n');
    end();
}
PROBE(putchar, many) {
    begin();
    for (int i = 0; i < 20000; i++) sink_l = putchar('x');
    end();
}
PROBE(fputs, basic) {
    begin();
    sink_l = fputs("hello\n", stdout);
    end();
}
PROBE(fputs, stderr) {
    begin();
    sink_l = fputs("hello\n", stderr);
    end();
}
PROBE(fputs, large) {
    const char *t = big_text();
    begin();
    sink_l = fputs(t, stdout);
    end();
}
PROBE(fputc, basic) {
    begin();
    sink_l = fputc('\n', stdout);
    end();
}
PROBE(fputc, stderr) {
    begin();
    sink_l = fputc('\n', stderr);
    end();
}
PROBE(fputc, many) {
    begin();
    for (int i = 0; i < 20000; i++) sink_l = fputc('x', stdout);
    end();
}
PROBE(putc, basic) {
    begin();
    sink_l = putc('\n', stdout);
    end();
}
PROBE(putc, many) {
    begin();
    for (int i = 0; i < 20000; i++) sink_l = putc('x', stdout);
    end();
}
PROBE(fwrite, basic) {
    begin();
    sink_l = (long)fwrite("hello\n", 1, 6, stdout);
    end();
}
PROBE(fwrite, large) {
    const char *t = big_text();
    begin();
    sink_l = (long)fwrite(t, 1, sizeof big, stdout);
    end();
}
PROBE(fwrite, file) {
    FILE *f = fopen("out.txt", "w");
    const char *t = big_text();
    begin();
    sink_l = (long)fwrite(t, 1, sizeof big, f);
    end();
}
PROBE(fflush, stdout) {
    fputs("pending", stdout);
    begin();
    sink_l = fflush(stdout);
    end();
}
PROBE(fflush, all) {
    fputs("pending", stdout);
    FILE *f = fopen("out.txt", "w");
    fputs("pending", f);
    begin();
    sink_l = fflush(NULL);
    end();
}
PROBE(fflush, reading) {
    /* Flushing an input stream gives back what was read ahead (lseek). */
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    sink_l = fgetc(f);
    begin();
    sink_l = fflush(f);
    end();
}
PROBE(perror, basic) {
    begin();
    perror("probe");
    end();
}

/* Files. */
PROBE(fopen, read) {
    make_file("in.txt", "line one\nline two\n");
    begin();
    sink_p = fopen("in.txt", "r");
    end();
}
PROBE(fopen, write) {
    begin();
    sink_p = fopen("out.txt", "w");
    end();
}
PROBE(fopen, append) {
    make_file("out.txt", "some\n");
    begin();
    sink_p = fopen("out.txt", "a+e");
    end();
}
PROBE(fopen, missing) {
    begin();
    sink_p = fopen("no-such-file.txt", "r");
    end();
}
PROBE(fdopen, basic) {
    int fd = open("out.txt", O_RDWR | O_CREAT, 0644);
    begin();
    sink_p = fdopen(fd, "w");
    end();
}
PROBE(fdopen, append) {
    int fd = open("out.txt", O_RDWR | O_CREAT, 0644);
    begin();
    sink_p = fdopen(fd, "a");
    end();
}
PROBE(fclose, read) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    sink_l = fgetc(f);
    begin();
    sink_l = fclose(f);
    end();
}
PROBE(fclose, pending_output) {
    FILE *f = fopen("out.txt", "w");
    fputs("pending", f);
    begin();
    sink_l = fclose(f);
    end();
}
PROBE(fclose, unused) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    begin();
    sink_l = fclose(f);
    end();
}
PROBE(fread, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    char b[8];
    begin();
    sink_l = (long)fread(b, 1, sizeof b, f);
    end();
}
PROBE(fread, large) {
    make_file_of_size("in.bin", 100000);
    FILE *f = fopen("in.bin", "r");
    static char b[100000];
    begin();
    sink_l = (long)fread(b, 1, sizeof b, f);
    end();
}
PROBE(fgets, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    char b[64];
    begin();
    sink_p = fgets(b, sizeof b, f);
    end();
}
PROBE(fgets, stdin) {
    char b[64];
    begin();
    sink_p = fgets(b, sizeof b, stdin);
    end();
}
PROBE(getline, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    char *line = NULL;
    size_t n = 0;
    begin();
    sink_l = getline(&line, &n, f);
    end();
}
PROBE(fgetc, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    begin();
    sink_l = fgetc(f);
    end();
}
PROBE(getc, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    begin();
    sink_l = getc(f);
    end();
}
PROBE(getchar, basic) {
    begin();
    sink_l = getchar();
    end();
}
PROBE(ungetc, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    int c = fgetc(f);
    begin();
    sink_l = ungetc(c, f);
    end();
}
PROBE(scanf, basic) {
    int i;
    begin();
    sink_l = scanf("%d", &i);
    end();
}
PROBE(fscanf, basic) {
    make_file("in.txt", "42 word\n");
    FILE *f = fopen("in.txt", "r");
    int i;
    begin();
    sink_l = fscanf(f, "%d", &i);
    end();
}
PROBE(fseek, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    sink_l = fgetc(f);
    begin();
    sink_l = fseek(f, 0, SEEK_SET);
    end();
}
PROBE(fseek, end) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    begin();
    sink_l = fseek(f, 0, SEEK_END);
    end();
}
PROBE(fseek, pending_output) {
    FILE *f = fopen("out.txt", "w");
    fputs("pending", f);
    begin();
    sink_l = fseek(f, 0, SEEK_SET);
    end();
}
PROBE(ftell, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    sink_l = fgetc(f);
    begin();
    sink_l = ftell(f);
    end();
}
PROBE(ftell, unused) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    begin();
    sink_l = ftell(f);
    end();
}
PROBE(rewind, basic) {
    make_file("in.txt", "line one\nline two\n");
    FILE *f = fopen("in.txt", "r");
    sink_l = fgetc(f);
    begin();
    rewind(f);
    end();
}
PROBE(feof, basic) {
    begin();
    sink_l = feof(stdin);
    end();
}
PROBE(ferror, basic) {
    begin();
    sink_l = ferror(stdout);
    end();
}
PROBE(clearerr, basic) {
    begin();
    clearerr(stdout);
    end();
}
PROBE(fileno, basic) {
    begin();
    sink_l = fileno(stdout);
    end();
}
PROBE(setvbuf, basic) {
    begin();
    sink_l = setvbuf(stdout, NULL, _IOLBF, 0);
    end();
}
PROBE(setvbuf, unbuffered) {
    begin();
    sink_l = setvbuf(stdout, NULL, _IONBF, 0);
    end();
}
PROBE(setbuf, basic) {
    static char b[BUFSIZ];
    begin();
    setbuf(stdout, b);
    end();
}
PROBE(remove, file) {
    make_file("gone.txt", "x");
    begin();
    sink_l = remove("gone.txt");
    end();
}
PROBE(remove, directory) {
    mkdir("gone", 0755);
    begin();
    sink_l = remove("gone");
    end();
}
PROBE(rename, basic) {
    make_file("old.txt", "x");
    begin();
    sink_l = rename("old.txt", "new.txt");
    end();
}
