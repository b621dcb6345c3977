/* channel_harness.c: the channel fuzzer's harness, around one component of an
 * isolated build.
 *
 * channels.py writes a small C file that renames the reading primitives of
 * wire.c (cl_get, cl_get_bool, cl_get_count, cl_get_bytes, cl_get_fail) to the
 * fz_ ones below, includes the component's generated C, names the type of
 * every channel the component receives on (fuzz_types), and includes this
 * file. So the component's own generated readers run here, in two modes:
 *
 *   making    the primitives make up each value as the reader asks for it
 *             (small counts, 0 or 1 for a Bool, short UTF-8 for a String,
 *             mostly small numbers) and write it down: the bytes written are
 *             a message the reader must accept, whole;
 *   checking  the primitives are wire.c's, reading a message.
 *
 * Each input is a made message with a few mutations (bits flipped, bytes set
 * to edge values, counts and enum tags set to edge values, cut, extended,
 * ranges deleted or repeated, two messages spliced, or plain junk), copied
 * into a buffer of exactly its length (so AddressSanitizer sees any read past
 * it) and read on the channel. A message read must be refused with a reason
 * (the reader's problem), or accepted with none and hold a sound value: one
 * the runtime can copy into a heap and free through the type's descriptor.
 * A made message that its own reader refuses is a failure too. A crash, a
 * sanitizer's report (channels.py has AddressSanitizer refuse an allocation
 * of more than 64 MiB: no message of at most 64 KiB may need one) or an input
 * that takes more than FUZZ_ALARM seconds writes the input to DIR before the
 * harness dies.
 *
 *   harness fuzz SEED COUNT DIR       COUNT inputs per channel; failing ones to DIR
 *   harness replay CHANNEL FILE       read FILE's bytes as one message on CHANNEL
 *
 * Exit status: 0 when every input passed, 1 when one failed (a line FAIL on
 * standard output for each), anything else when the harness itself died.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#ifndef FUZZ_ALARM
#define FUZZ_ALARM 5
#endif

/* wire.c's primitives under their own names (the generated code calls the fz_ ones). */
bool cl_get(cl_reader *r, void *out, size_t n);
bool cl_get_bool(cl_reader *r, bool *out);
bool cl_get_bytes(cl_reader *r, cl_bytes *out, bool text);
bool cl_get_count(cl_reader *r, int64_t *n, size_t least);
bool cl_get_fail(cl_reader *r, const char *problem);

static bool making;        /* the primitives make values up instead of reading them */
static bool making_failed; /* the reader refused what was made (an enum tag too large, a key twice) */
static cl_writer made;
static uint64_t seed_state;

static uint64_t next_random(void) {
    uint64_t z = (seed_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return n ? next_random() % n : 0; }

bool fz_get(cl_reader *r, void *out, size_t n) {
    if (!making) return cl_get(r, out, n);
    uint8_t *bytes = out;
    uint64_t small = below(4);
    for (size_t i = 0; i < n; i++) bytes[i] = below(8) == 0 ? (uint8_t)next_random() : 0;
    if (below(4) != 0) {
        memset(bytes, 0, n);
        memcpy(bytes, &small, n < sizeof small ? n : sizeof small);
    }
    cl_put(&made, bytes, n);
    return true;
}

bool fz_get_bool(cl_reader *r, bool *out) {
    if (!making) return cl_get_bool(r, out);
    uint8_t b = (uint8_t)below(2);
    cl_put(&made, &b, 1);
    *out = b == 1;
    return true;
}

bool fz_get_count(cl_reader *r, int64_t *n, size_t least) {
    if (!making) return cl_get_count(r, n, least);
    int64_t count = (int64_t)(below(8) == 0 ? below(24) : below(4));
    cl_put_count(&made, count);
    *n = count;
    return true;
}

bool fz_get_bytes(cl_reader *r, cl_bytes *out, bool text) {
    if (!making) return cl_get_bytes(r, out, text);
    static const char *const pieces[] = {"a", "z", " ", "0", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "SET"};
    uint8_t buffer[256];
    size_t length = 0, parts = below(8) == 0 ? below(40) : below(6);
    for (size_t i = 0; i < parts; i++) {
        if (text) {
            const char *p = pieces[below(sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(p);
            if (length + n > sizeof buffer) break;
            memcpy(buffer + length, p, n);
            length += n;
        } else if (length < sizeof buffer) {
            buffer[length++] = (uint8_t)next_random();
        }
    }
    cl_bytes b = cl_bytes_from(buffer, length);
    cl_put_bytes(&made, b);
    *out = b;
    return true;
}

bool fz_get_fail(cl_reader *r, const char *problem) {
    if (!making) return cl_get_fail(r, problem);
    making_failed = true;
    return false;
}

/* ---- what is being read, for a report when the harness dies ---------------------------- */

static const char *found_directory; /* fuzz: where failing inputs go (replay: nowhere) */
static const uint8_t *current;
static size_t current_length;
static int current_channel = -1;

static void write_current(const char *why) {
    if (!current || !found_directory) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%d.bin", found_directory, why, current_channel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    for (size_t done = 0; done < current_length;) {
        ssize_t n = write(fd, current + done, current_length - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
}

static void on_crash(int signal_number) {
    write_current("crash");
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

static void on_alarm(int signal_number) {
    (void)signal_number;
    write_current("hang");
    static const char text[] = "FAIL: an input took too long\n";
    (void)!write(STDOUT_FILENO, text, sizeof text - 1);
    _exit(3);
}

#if defined(__SANITIZE_ADDRESS__)
static void on_sanitizer_death(void) { write_current("crash"); }
#endif

/* ---- reading one message ---------------------------------------------------------------- */

static int failures;
static int failures_kept;
static cl_heap *scratch;

static void fail(int channel, const uint8_t *message, size_t length, const char *what) {
    failures++;
    printf("FAIL: channel %d (%s): %s\n", channel, cl_program.channels[channel].name, what);
    if (failures_kept++ < 20) {
        current = message, current_length = length, current_channel = channel;
        char why[32];
        snprintf(why, sizeof why, "failed%d", failures_kept);
        write_current(why);
    }
}

/* Read `message` on `channel` as the component would; false when that went wrong. */
static bool check(int channel, const uint8_t *message, size_t length) {
    const cl_wire_channel *c = &cl_program.channels[channel];
    const cl_type *type = fuzz_types[channel];
    uint8_t *exact = malloc(length ? length : 1);
    if (length) memcpy(exact, message, length);
    void *value = calloc(1, type->size ? type->size : 1);
    current = exact, current_length = length, current_channel = channel;
    alarm(FUZZ_ALARM);
    cl_reader r = {.at = exact, .end = exact + length, .problem = NULL};
    bool ok = c->get(&r, value);
    bool sound = true;
    if (r.at < exact || r.at > exact + length) fail(channel, exact, length, "the reader moved outside the message"), sound = false;
    if (ok && r.problem) fail(channel, exact, length, "accepted, with a problem"), sound = false;
    if (!ok && !r.problem) fail(channel, exact, length, "refused without saying why"), sound = false;
    if (ok && sound) {
        /* Sound: the runtime can copy it into a heap of its own and free it there. */
        cl_promote(type, value, scratch, true);
        cl_release(type, value, scratch);
    }
    alarm(0);
    current = NULL;
    free(value);
    free(exact);
    cl_iteration_end();
    return sound;
}

/* A message the channel's reader accepts, made up by the reader itself; false when none came. */
static bool make_message(int channel) {
    const cl_type *type = fuzz_types[channel];
    void *value = calloc(1, type->size ? type->size : 1);
    bool ok = false;
    for (int attempt = 0; attempt < 200 && !ok; attempt++) {
        made.length = 0;
        making = true;
        making_failed = false;
        memset(value, 0, type->size);
        cl_reader unused = {.at = NULL, .end = NULL, .problem = NULL};
        ok = cl_program.channels[channel].get(&unused, value) && !making_failed;
        making = false;
    }
    free(value);
    return ok;
}

static size_t mutate(uint8_t *m, size_t n, size_t capacity, const uint8_t *other, size_t other_length) {
    static const uint64_t counts[] = {0, 1, 2, 3, 0x7fffffffffffffffull, UINT64_MAX, 1ull << 31, 1ull << 32,
                                      256u << 20, (256u << 20) + 1, 0xffffffffull, 1000000};
    static const uint32_t tags[] = {0, 1, 2, 3, 4, 5, 6, 7, 0x7fffffff, 0x80000000u, 0xffffffffu};
    static const uint8_t edges[] = {0, 1, 2, 0x7f, 0x80, 0xc0, 0xed, 0xff};
    int rounds = 1 + (int)below(3);
    for (int k = 0; k < rounds; k++) {
        size_t at = below(n + 1);
        switch (below(11)) {
        case 0:
            if (n) m[below(n)] ^= (uint8_t)(1u << below(8));
            break;
        case 1:
            if (n) m[below(n)] = edges[below(sizeof edges)];
            break;
        case 2:
            if (at + 8 <= n) memcpy(m + at, &counts[below(sizeof counts / sizeof counts[0])], 8);
            break;
        case 3:
            if (at + 4 <= n) memcpy(m + at, &tags[below(sizeof tags / sizeof tags[0])], 4);
            break;
        case 4:
            n = below(n + 1);
            break;
        case 5:
            for (size_t i = below(16) + 1; i > 0 && n < capacity; i--) m[n++] = (uint8_t)next_random();
            break;
        case 6: {
            size_t end = at + below(16);
            if (end > n) end = n;
            memmove(m + at, m + end, n - end);
            n -= end - at;
            break;
        }
        case 7: {
            size_t length = below(16) + 1;
            if (at + length > n) length = n - at;
            if (n + length <= capacity) {
                memmove(m + at + length, m + at, n - at);
                n += length;
            }
            break;
        }
        case 8: {
            size_t from = below(other_length + 1), length = other_length - from;
            if (at + length > capacity) length = capacity - at;
            memcpy(m + at, other + from, length);
            n = at + length;
            break;
        }
        case 9:
            n = below(64);
            for (size_t i = 0; i < n; i++) m[i] = (uint8_t)next_random();
            break;
        default:
            if (n && at < n) m[at] = (uint8_t)next_random();
            break;
        }
    }
    return n;
}

enum { CAPACITY = 1 << 16 };

static int fuzz(uint64_t seed, long count) {
    static uint8_t valid[CAPACITY], previous[CAPACITY], input[CAPACITY];
    size_t previous_length = 0;
    long inputs = 0;
    seed_state = seed;
    for (int channel = 0; channel < cl_program.channel_count; channel++) {
        if (!cl_program.channels[channel].get || !fuzz_types[channel]) continue;
        for (long i = 0; i < count; i++) {
            if (!make_message(channel) || made.length > CAPACITY) continue;
            size_t length = made.length;
            memcpy(valid, made.data, length);
            if (!check(channel, valid, length)) {
                fail(channel, valid, length, "a message its own reader made is refused");
                continue;
            }
            memcpy(input, valid, length);
            size_t n = mutate(input, length, CAPACITY, previous, previous_length);
            check(channel, input, n);
            memcpy(previous, valid, length);
            previous_length = length;
            inputs += 2;
        }
    }
    printf("%ld inputs, %d failures\n", inputs, failures);
    return failures ? 1 : 0;
}

static int replay(int channel, const char *path) {
    if (channel < 0 || channel >= cl_program.channel_count || !cl_program.channels[channel].get || !fuzz_types[channel]) {
        fprintf(stderr, "replay: this component does not receive on channel %d\n", channel);
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 2;
    }
    static uint8_t message[CAPACITY];
    size_t length = fread(message, 1, sizeof message, f);
    fclose(f);
    check(channel, message, length);
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    cl_heap_init();
    cl_loop_enter();
    scratch = cl_heap_new("fuzz");
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGALRM, on_alarm);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
    if (argc == 5 && strcmp(argv[1], "fuzz") == 0) {
        found_directory = argv[4];
        return fuzz(strtoull(argv[2], NULL, 10), strtol(argv[3], NULL, 10));
    }
    if (argc == 4 && strcmp(argv[1], "replay") == 0) return replay(atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: %s fuzz SEED COUNT DIR | replay CHANNEL FILE\n", argv[0]);
    return 2;
}
