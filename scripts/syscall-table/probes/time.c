/* <time.h>: clocks, sleeping, and broken-down time. The clocks a process can
 * read without entering the kernel are read in the vDSO; probe.py adds the
 * system call each falls back to (see FALLBACKS there). The local-time
 * functions load the time zone on first use (TZ unset: /etc/localtime);
 * localtime, mktime and strftime check again on each call whether the file
 * changed. */
#define GROUP "<time.h>"
#include "../probe.h"

#include <time.h>

PROBE(time, basic) {
    begin();
    sink_l = time(NULL);
    end();
}
PROBE(clock_gettime, realtime) {
    struct timespec t;
    begin();
    sink_l = clock_gettime(CLOCK_REALTIME, &t);
    end();
}
PROBE(clock_gettime, monotonic) {
    struct timespec t;
    begin();
    sink_l = clock_gettime(CLOCK_MONOTONIC, &t);
    end();
}
PROBE(clock_gettime, boottime) {
    struct timespec t;
    begin();
    sink_l = clock_gettime(CLOCK_BOOTTIME, &t);
    end();
}
PROBE(clock_gettime, process_cputime) {
    /* Not a vDSO clock: always a system call. */
    struct timespec t;
    begin();
    sink_l = clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    end();
}
PROBE(clock_gettime, thread_cputime) {
    struct timespec t;
    begin();
    sink_l = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    end();
}
PROBE(clock_getres, basic) {
    struct timespec t;
    begin();
    sink_l = clock_getres(CLOCK_MONOTONIC, &t);
    end();
}
PROBE(clock, basic) {
    begin();
    sink_l = clock();
    end();
}
PROBE(nanosleep, basic) {
    struct timespec t = {0, 1000};
    begin();
    sink_l = nanosleep(&t, NULL);
    end();
}
PROBE(clock_nanosleep, basic) {
    struct timespec t = {0, 1000};
    begin();
    sink_l = clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
    end();
}
/* Stopped and continued while asleep, the call is resumed by restart_syscall. */
PROBE(nanosleep, stopped) {
    struct timespec t = {0, 300000000};
    stop_during_call();
    begin();
    sink_l = nanosleep(&t, NULL);
    end();
}
PROBE(clock_nanosleep, stopped) {
    struct timespec t = {0, 300000000};
    stop_during_call();
    begin();
    sink_l = clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
    end();
}
PROBE(difftime, basic) {
    begin();
    sink_d = difftime(100, 40);
    end();
}

static const time_t when = 1700000000;
static void load_zone(void) {
    struct tm tm;
    localtime_r(&when, &tm);
}

PROBE(tzset, basic) {
    begin();
    tzset();
    end();
}
PROBE(localtime_r, first) {
    struct tm tm;
    begin();
    sink_p = localtime_r(&when, &tm);
    end();
}
PROBE(localtime_r, again) {
    struct tm tm;
    load_zone();
    begin();
    sink_p = localtime_r(&when, &tm);
    end();
}
PROBE_IN(localtime_r, tz_file, "env:TZ=Europe/Berlin") {
    struct tm tm;
    begin();
    sink_p = localtime_r(&when, &tm);
    end();
}
PROBE_IN(localtime_r, tz_rule, "env:TZ=CET-1CEST,M3.5.0,M10.5.0/3") {
    struct tm tm;
    begin();
    sink_p = localtime_r(&when, &tm);
    end();
}
PROBE(localtime, first) {
    begin();
    sink_p = localtime(&when);
    end();
}
PROBE(localtime, again) {
    load_zone();
    begin();
    sink_p = localtime(&when);
    end();
}
PROBE(gmtime_r, basic) {
    struct tm tm;
    begin();
    sink_p = gmtime_r(&when, &tm);
    end();
}
PROBE(gmtime, basic) {
    begin();
    sink_p = gmtime(&when);
    end();
}
PROBE(mktime, first) {
    struct tm tm = {.tm_year = 123, .tm_mon = 10, .tm_mday = 14, .tm_isdst = -1};
    begin();
    sink_l = mktime(&tm);
    end();
}
PROBE_IN(mktime, tz_file, "env:TZ=Europe/Berlin") {
    struct tm tm = {.tm_year = 123, .tm_mon = 10, .tm_mday = 14, .tm_isdst = -1};
    begin();
    sink_l = mktime(&tm);
    end();
}
PROBE(mktime, again) {
    struct tm tm = {.tm_year = 123, .tm_mon = 10, .tm_mday = 14, .tm_isdst = -1};
    load_zone();
    begin();
    sink_l = mktime(&tm);
    end();
}
PROBE(timegm, basic) {
    struct tm tm = {.tm_year = 123, .tm_mon = 10, .tm_mday = 14};
    begin();
    sink_l = timegm(&tm);
    end();
}
PROBE(strftime, basic) {
    struct tm tm;
    gmtime_r(&when, &tm);
    char b[128];
    begin();
    sink_l = (long)strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
    end();
}
PROBE(strftime, zone) {
    struct tm tm;
    gmtime_r(&when, &tm);
    char b[128];
    begin();
    sink_l = (long)strftime(b, sizeof b, "%a %b %c %Z %z %s", &tm);
    end();
}
PROBE(asctime_r, basic) {
    struct tm tm;
    gmtime_r(&when, &tm);
    char b[64];
    begin();
    sink_p = asctime_r(&tm, b);
    end();
}
PROBE(ctime_r, first) {
    char b[64];
    begin();
    sink_p = ctime_r(&when, b);
    end();
}
