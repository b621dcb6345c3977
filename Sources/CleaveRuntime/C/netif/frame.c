/* frame.c: raw Ethernet frames, the frame I/O of the hosted platform (platform.h)
 * behind the net module's FrameDevice.
 *
 * A FrameDevice hands whole Ethernet frames to the program, which brings its
 * own protocol stack (written in Cleave). Two netifs stand behind it:
 *
 *   tap:NAME        a Linux TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI),
 *                   created if it does not exist (root or CAP_NET_ADMIN). The
 *                   descriptor is non-blocking: receive() answers "no frame"
 *                   at once, and the program waits on fd() with poll(2).
 *   pcap:IN[:OUT]   the frames of capture IN (Ethernet link type), one per
 *                   receive(); every frame sent is written to OUT with the
 *                   time of the frame received last, so replaying a capture
 *                   twice writes byte-identical OUT files. There is no
 *                   descriptor to wait on (fd() is -1). When IN is exhausted,
 *                   receive() answers "no frame"; asked again before the
 *                   program has sent anything more, the replay is over and
 *                   the service ends cleanly (exit 0). A program that polls
 *                   its device in a loop therefore flushes what it still has
 *                   to send before it ends.
 *
 * The frames' clock (cl_frames_clock, a FrameDevice's now()) is the monotonic
 * clock for a TAP interface, and a capture's own time for a capture: the time
 * of the frame received last.
 *
 * Frames are counted as received and sent; a frame longer than the largest
 * Ethernet frame (CL_FRAME_MAX) is dropped and counted as oversized, in
 * either direction. Telling good frames from bad is the program's business.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "driver.h"

struct cl_frames {
    int tap_fd; /* tap: the descriptor; -1 otherwise */
    int in_fd, out_fd; /* pcap: the captures' descriptors (-1: none) */
    pcap_t *in, *out_dead;
    pcap_dumper_t *out;
    struct timeval last_time;
    bool ended_once;  /* pcap: "no frame" was answered at the end of the input */
    bool sent_since;  /* ... and something was sent since */
    cl_link_config link;     /* the addresses the spec gave the program's stack */
    uint8_t buffer[CL_FRAME_MAX];
};

static cl_frames *frames_failed(cl_frames *f) {
    cl_frames_close(f);
    return NULL;
}

int cl_tap_bind(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "%s: tap:%s: cannot open /dev/net/tun: %s\n", cl_program_name, name, strerror(errno));
        return -1;
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (strlen(name) >= IFNAMSIZ) {
        fprintf(stderr, "%s: tap:%s: an interface name has at most %d characters\n", cl_program_name, name, IFNAMSIZ - 1);
        close(fd);
        return -1;
    }
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        fprintf(stderr, "%s: tap:%s: cannot attach to the interface: %s\n", cl_program_name, name, strerror(errno));
        close(fd);
        return -1;
    }
    fprintf(stderr, "%s: tap: frames on %s\n", cl_program_name, request.ifr_name);
    return fd;
}

static cl_frames *new_frames(void) {
    cl_frames *f = calloc(1, sizeof *f);
    if (!f) {
        fprintf(stderr, "%s: frames: out of memory\n", cl_program_name);
        return NULL;
    }
    f->tap_fd = f->in_fd = f->out_fd = -1;
    return f;
}

cl_frames *cl_frames_open_tap(int fd, const char *name) {
    (void)name;
    cl_frames *f = new_frames();
    if (!f) return NULL;
    f->tap_fd = fd;
    return f;
}

cl_frames *cl_frames_open_pcap(int in_fd, int out_fd, const char *in_path, const char *out_path) {
    cl_frames *f = new_frames();
    if (!f) return NULL;
    f->in_fd = in_fd;
    f->out_fd = out_fd;
    char error[PCAP_ERRBUF_SIZE] = "";
    FILE *in = fdopen(in_fd, "rb");
    f->in = in ? pcap_fopen_offline(in, error) : NULL;
    if (!f->in) {
        fprintf(stderr, "%s: pcap: cannot read capture %s: %s\n", cl_program_name, in_path, in ? error : strerror(errno));
        if (in) fclose(in);
        else close(in_fd);
        f->in_fd = -1;
        return frames_failed(f);
    }
    if (pcap_datalink(f->in) != DLT_EN10MB) {
        fprintf(stderr, "%s: pcap: capture %s is not of Ethernet frames, which a FrameDevice needs\n", cl_program_name, in_path);
        return frames_failed(f);
    }
    if (out_fd >= 0) {
        f->out_dead = pcap_open_dead(DLT_EN10MB, CL_FRAME_MAX);
        FILE *out = f->out_dead ? fdopen(out_fd, "wb") : NULL;
        f->out = out ? pcap_dump_fopen(f->out_dead, out) : NULL;
        if (!f->out) {
            fprintf(stderr, "%s: pcap: cannot write capture %s: %s\n", cl_program_name, out_path ? out_path : "?",
                    f->out_dead ? pcap_geterr(f->out_dead) : "out of memory");
            if (out) fclose(out);
            else close(out_fd);
            f->out_fd = -1;
            return frames_failed(f);
        }
    }
    return f;
}

size_t cl_frames_descriptors(const cl_frames *f, int *out) {
    size_t n = 0;
    if (f->tap_fd >= 0) out[n++] = f->tap_fd;
    if (f->in_fd >= 0) out[n++] = f->in_fd;
    if (f->out_fd >= 0) out[n++] = f->out_fd;
    return n;
}

int cl_frames_receive(cl_frames *f, const uint8_t **frame, size_t *length) {
    if (f->tap_fd >= 0) {
        for (;;) {
            ssize_t n = read(f->tap_fd, f->buffer, sizeof f->buffer);
            if (n > 0) {
                cl_count(CL_COUNT_RECEIVED, 1);
                *frame = f->buffer;
                *length = (size_t)n;
                return 1;
            }
            if (n < 0 && errno == EINTR) return -1;
            return 0; /* EAGAIN: nothing waiting */
        }
    }
    if (!f->in) return 0;
    for (;;) {
        struct pcap_pkthdr *header;
        const u_char *data;
        cl_netif_waiting_for_input(1); /* IN may be a pipe, waiting for its writer */
        int got = pcap_next_ex(f->in, &header, &data);
        cl_netif_waiting_for_input(0);
        if (got == 1) {
            f->last_time = header->ts;
            f->ended_once = false;
            if (header->caplen != header->len || header->caplen > CL_FRAME_MAX) {
                cl_count(CL_COUNT_OVERSIZED, 1);
                continue;
            }
            cl_count(CL_COUNT_RECEIVED, 1);
            *frame = data;
            *length = header->caplen;
            return 1;
        }
        if (got == -1) cl_count(CL_COUNT_MALFORMED, 1);
        /* The end of the input (or a capture cut short). */
        if (f->ended_once && !f->sent_since) cl_exit_clean();
        f->ended_once = true;
        f->sent_since = false;
        return 0;
    }
}

void cl_frames_send(cl_frames *f, const uint8_t *frame, size_t length) {
    if (length > CL_FRAME_MAX) {
        cl_count(CL_COUNT_OVERSIZED, 1);
        return;
    }
    if (f->tap_fd >= 0) {
        ssize_t n;
        do n = write(f->tap_fd, frame, length);
        while (n < 0 && errno == EINTR);
        cl_count(n == (ssize_t)length ? CL_COUNT_SENT : CL_COUNT_SEND_FAILED, 1);
        return;
    }
    f->sent_since = true;
    if (f->out) {
        struct pcap_pkthdr header = {.ts = f->last_time, .caplen = (bpf_u_int32)length, .len = (bpf_u_int32)length};
        pcap_dump((u_char *)f->out, &header, frame);
    }
    cl_count(CL_COUNT_SENT, 1);
}

int cl_frames_fd(const cl_frames *f) { return f->tap_fd; }

void cl_frames_set_link(cl_frames *f, const cl_link_config *link) { f->link = *link; }

const cl_link_config *cl_frames_link(const cl_frames *f) { return &f->link; }

void cl_frames_wait(cl_frames *f, int32_t milliseconds) {
    if (f->tap_fd < 0 || milliseconds == 0) return;
    struct pollfd fds[2] = {{.fd = f->tap_fd, .events = POLLIN}, {.fd = cl_netif_stop_pipe(0), .events = POLLIN}};
    cl_netif_waiting_for_input(1);
    /* A wake (a stop asked for) ends the wait; the next receive acts on it. */
    (void)poll(fds, fds[1].fd >= 0 ? 2 : 1, milliseconds < 0 ? -1 : milliseconds);
    cl_netif_waiting_for_input(0);
}

int64_t cl_frames_clock(const cl_frames *f) {
    if (f->tap_fd >= 0) return (int64_t)(cl_platform_clock() / 1000000u);
    /* A capture's time is its own: the time of the frame received last, so that timeouts in a
     * replay happen where they happened when it was recorded, however fast it is replayed. */
    return (int64_t)f->last_time.tv_sec * 1000 + (int64_t)f->last_time.tv_usec / 1000;
}

void cl_frames_close(cl_frames *f) {
    if (!f) return;
    if (f->tap_fd >= 0) close(f->tap_fd);
    if (f->out) pcap_dump_close(f->out);
    if (f->out_dead) pcap_close(f->out_dead);
    if (f->in) pcap_close(f->in);
    free(f);
}
