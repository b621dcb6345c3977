/* harness.h: a small harness for the runtime's unit tests in C.
 *
 * Each test program (the .c files beside this one) is built with the runtime's sources
 * by RuntimeUnitTests and run; it prints one line per failed check and, last,
 * "N checks, M failures", and exits 1 when any check failed.
 *
 * A runtime function that traps ends its process (cl_trap prints the message
 * and exits with status 1), so "this call traps, with this message" and "this
 * call does not trap" are checked in a child process: run_case forks, the
 * child runs the case with its standard error on a pipe and exits 0 when the
 * case returns, and the parent reads what the child wrote and how it ended.
 * A case that computes a wrong value without trapping says so with WRONG(...),
 * which the parent reports as that case's failure.
 */
#ifndef CLEAVE_TEST_HARNESS_H
#define CLEAVE_TEST_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cleave.h"

/* The runtime names the program in its messages (the netifs, the counters, the launcher). */
const char cl_program_name[] = "runtime-test";

static int harness_checks, harness_failures;

static inline void harness_fail(const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    printf("FAIL: ");
    vprintf(format, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    harness_failures++;
}

/* A check in this process. */
#define CHECK(condition, ...)                                                                                         \
    do {                                                                                                              \
        harness_checks++;                                                                                             \
        if (!(condition)) harness_fail(__VA_ARGS__);                                                                  \
    } while (0)

/* Inside a case run by run_case: a wrong value, reported by the parent as the case's failure. */
#define WRONG(...)                                                                                                    \
    do {                                                                                                              \
        fprintf(stderr, "WRONG: ");                                                                                   \
        fprintf(stderr, __VA_ARGS__);                                                                                 \
        fprintf(stderr, "\n");                                                                                        \
        fflush(stderr);                                                                                               \
        _exit(3);                                                                                                     \
    } while (0)

/* The location the traps of most tests name. */
#define HERE "test.clv:1:1"

/* Run `body(argument)` in a child process. `trap`: NULL when it must return normally, with
 * nothing on standard error; else the message it must trap with, at `where`
 * ("where: fatal error: trap"). */
static inline void run_case_at(
    const char *name, const char *where, void (*body)(const void *), const void *argument, const char *trap) {
    harness_checks++;
    fflush(stdout);
    fflush(stderr);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        harness_fail("%s: pipe: %s", name, strerror(errno));
        return;
    }
    pid_t child = fork();
    if (child < 0) {
        harness_fail("%s: fork: %s", name, strerror(errno));
        return;
    }
    if (child == 0) {
        close(pipe_fds[0]);
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[1]);
        body(argument);
        fflush(stderr);
        _exit(0);
    }
    close(pipe_fds[1]);
    char output[4096];
    size_t length = 0;
    for (;;) {
        ssize_t n = read(pipe_fds[0], output + length, sizeof output - 1 - length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        length += (size_t)n;
        if (length == sizeof output - 1) {
            char rest[256]; /* keep draining, so the child never blocks on a full pipe */
            while (read(pipe_fds[0], rest, sizeof rest) > 0) {
            }
            break;
        }
    }
    output[length] = 0;
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status)) {
        harness_fail("%s: ended by signal %d; it wrote: %s", name, WIFSIGNALED(status) ? WTERMSIG(status) : 0, output);
        return;
    }
    int code = WEXITSTATUS(status);
    if (code == 3) {
        harness_fail("%s: %s", name, output);
        return;
    }
    if (trap == NULL) {
        if (code != 0 || length != 0) harness_fail("%s: expected no trap, got exit status %d and: %s", name, code, output);
        return;
    }
    char expected[1024];
    snprintf(expected, sizeof expected, "%s: fatal error: %s\n", where, trap);
    if (code != 1 || strncmp(output, expected, strlen(expected)) != 0)
        harness_fail("%s: expected the trap \"%s\", got exit status %d and: %s", name, trap, code, output);
}

static inline void run_case(const char *name, void (*body)(const void *), const void *argument, const char *trap) {
    run_case_at(name, HERE, body, argument, trap);
}

/* The summary line RuntimeUnitTests looks for, and the exit status. */
static inline int harness_done(void) {
    printf("%d checks, %d failures\n", harness_checks, harness_failures);
    return harness_failures ? 1 : 0;
}

#endif
