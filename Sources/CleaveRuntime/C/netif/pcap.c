/* pcap.c: a netif that replays a capture and records the replies.
 *
 * `pcap:IN[:OUT]` reads IN with libpcap (pcap or pcapng) and hands the
 * program, in capture order, the payload of every UDP/IPv4 datagram addressed
 * to one of the device's ports. At the end of IN, receive reports the end of
 * the input and the service stops cleanly: a capture is a deterministic,
 * finite test.
 *
 * A capture is untrusted input, so every record is parsed with bounds checks
 * against what was captured, never what a header claims:
 *
 *   link layer   Ethernet (with at most one 802.1Q tag), raw IPv4, Linux
 *                cooked (SLL and SLL2) and BSD loopback (DLT_NULL, DLT_LOOP);
 *   IPv4         version 4, header length 20...60 within the record, total
 *                length within the record (Ethernet padding after it is
 *                ignored), header checksum right, reserved flag clear;
 *   UDP          protocol 17, a header, a length of at least 8 that fits in
 *                the IP payload.
 *
 * Anything else (ARP, IPv6, TCP, a cut record, a bad length or checksum) is
 * dropped and counted as malformed. The UDP checksum is not checked: captures
 * taken on the sending host routinely hold packets whose checksum the network
 * card was to fill in.
 *
 * Fragments are reassembled, keyed by source, destination and identification
 * (the protocol is always UDP: other fragments are dropped before), in a fixed
 * table: at most 64 datagrams in progress, each at most 65515 bytes of IP
 * payload, tracked as a bitmap of 8-byte blocks, so memory stays bounded
 * whatever the capture holds. A fragment that overlaps another, ends past the
 * datagram's end, or disagrees on where it ends drops its datagram as
 * malformed (one past 65515 bytes, as oversized); when the table is full, the
 * oldest datagram in progress is dropped to make room; datagrams still
 * incomplete at the end of IN are counted as malformed then.
 *
 * Records captured at the same instant are a burst: an isolated build's device
 * may read the next datagrams of a burst ahead of its replies (cl_pcap_ready),
 * as a socket's reader takes what the kernel has already queued. What reading
 * ahead drops on the way is counted when the datagram read is handed over, so
 * the counters are the same whether or not a reader reads ahead.
 *
 * Replies go to OUT as Ethernet/IPv4/UDP records with correct IPv4 and UDP
 * checksums. A reply is addressed from what the most recent request of this
 * netif was sent to (its IPv4 destination, the reply's source port, its
 * Ethernet addresses swapped, its VLAN tag) to the packet's peer, and is
 * stamped with that request's capture time (before any request: from
 * 0.0.0.0, fixed Ethernet addresses, time 0); IPv4 identifications count up
 * from 1. Nothing in OUT depends on the clock or on memory addresses, so
 * replaying a capture twice gives byte-identical files. OUT's snapshot length
 * is 262144 (tcpdump's), not 65535, so that even a reply with the largest
 * payload, 65549 bytes on Ethernet, fits in one record. Without OUT, replies
 * are counted as sent and discarded.
 */
#include "driver.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

#define OUT_SNAPLEN 262144
#define MAX_FRAGMENTED 64
#define MAX_IP_PAYLOAD 65515 /* 65535 - a 20-byte header */
#define BLOCKS (MAX_IP_PAYLOAD / 8 + 1)

/* Ethernet addresses for replies when the request did not come over Ethernet
 * (locally administered: 02:00:00:00:00:01 is the service). */
static const uint8_t service_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 2};

/* An IPv4 datagram being reassembled. */
typedef struct fragmented {
    int in_use;
    uint64_t age;                 /* order of creation, to evict the oldest */
    uint32_t source, destination;
    uint16_t identification;
    size_t end;                   /* bytes of IP payload, once the last fragment came; 0 before */
    size_t have;                  /* bytes of IP payload received so far */
    uint8_t *data;                /* MAX_IP_PAYLOAD bytes, allocated on first use */
    uint8_t blocks[BLOCKS / 8 + 1]; /* one bit per 8-byte block received */
} fragmented;

/* What a reply needs from the request it answers. */
typedef struct request {
    uint32_t local_address;
    uint8_t local_mac[6], peer_mac[6];
    int vlan;                     /* 1 when the request had an 802.1Q tag */
    uint16_t vlan_tci;
    struct timeval time;
} request;

struct cl_pcap {
    int in_fd, out_fd;            /* the captures' descriptors (-1: none) */
    size_t count;
    int64_t *ports;
    pcap_t *in;
    char *in_path;
    pcap_t *out_dead;             /* the link type and snapshot length of OUT */
    pcap_dumper_t *out;
    int link_type;
    int at_end;
    request last;                 /* of the most recent datagram delivered */
    uint16_t next_identification;
    uint64_t fragment_age;
    fragmented fragments[MAX_FRAGMENTED];
    uint8_t *frame;               /* the reply being written */
    /* Reading ahead (cl_pcap_ready): the next datagram, read before the program asks, and the
     * counts of what was read on the way, held until it is handed over. */
    int peeking, has_pending;
    cl_packet pending;
    request pending_request;
    uint8_t *pending_data;
    size_t pending_capacity;
    uint64_t held[CL_COUNT_LIMIT];
};

/* Count one of `which`, now or, while reading ahead, when the datagram read is handed over. */
static void count(cl_pcap *pcap, cl_counter which) {
    if (pcap->peeking) pcap->held[which]++;
    else cl_count(which, 1);
}

/* ---- Opening and closing ------------------------------------------------- */

static cl_pcap *pcap_failed(cl_pcap *pcap) {
    cl_pcap_close(pcap);
    return NULL;
}

cl_pcap *cl_pcap_open(const int64_t *ports, size_t count, int in_fd, int out_fd, const char *in_path, const char *out_path) {
    cl_pcap *pcap = calloc(1, sizeof *pcap);
    if (!pcap) {
        fprintf(stderr, "%s: pcap: out of memory\n", cl_program_name);
        return NULL;
    }
    pcap->in_fd = in_fd;
    pcap->out_fd = out_fd;
    pcap->count = count;
    pcap->ports = calloc(count, sizeof *pcap->ports);
    pcap->in_path = strdup(in_path);
    if (!pcap->ports || !pcap->in_path) {
        fprintf(stderr, "%s: pcap: out of memory\n", cl_program_name);
        return pcap_failed(pcap);
    }
    memcpy(pcap->ports, ports, count * sizeof *ports);
    memcpy(pcap->last.local_mac, service_mac, 6);
    memcpy(pcap->last.peer_mac, peer_mac, 6);
    pcap->next_identification = 1;

    char error[PCAP_ERRBUF_SIZE] = "";
    FILE *in = fdopen(in_fd, "rb");
    pcap->in = in ? pcap_fopen_offline(in, error) : NULL;
    if (!pcap->in) {
        fprintf(stderr, "%s: pcap: cannot read capture %s: %s\n", cl_program_name, in_path, in ? error : strerror(errno));
        if (in) fclose(in);
        else close(in_fd);
        pcap->in_fd = -1;
        return pcap_failed(pcap);
    }
    pcap->link_type = pcap_datalink(pcap->in);
    switch (pcap->link_type) {
    case DLT_EN10MB: case DLT_RAW: case DLT_IPV4: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL: case DLT_LOOP:
        break;
    default:
        fprintf(stderr, "%s: pcap: capture %s has link type %s, not Ethernet, raw IPv4, Linux cooked or loopback\n", cl_program_name,
                in_path, pcap_datalink_val_to_name(pcap->link_type) ? pcap_datalink_val_to_name(pcap->link_type) : "?");
        return pcap_failed(pcap);
    }

    if (out_fd >= 0) {
        pcap->frame = malloc(OUT_SNAPLEN);
        pcap->out_dead = pcap_open_dead(DLT_EN10MB, OUT_SNAPLEN);
        if (!pcap->frame || !pcap->out_dead) {
            fprintf(stderr, "%s: pcap: out of memory\n", cl_program_name);
            return pcap_failed(pcap);
        }
        FILE *out = fdopen(out_fd, "wb");
        pcap->out = out ? pcap_dump_fopen(pcap->out_dead, out) : NULL;
        if (!pcap->out) {
            fprintf(stderr, "%s: pcap: cannot write capture %s: %s\n", cl_program_name, out_path ? out_path : "?",
                    out ? pcap_geterr(pcap->out_dead) : strerror(errno));
            if (out) fclose(out);
            else close(out_fd);
            pcap->out_fd = -1;
            return pcap_failed(pcap);
        }
    }
    return pcap;
}

size_t cl_pcap_descriptors(const cl_pcap *pcap, int *out) {
    size_t n = 0;
    if (pcap->in_fd >= 0) out[n++] = pcap->in_fd;
    if (pcap->out_fd >= 0) out[n++] = pcap->out_fd;
    return n;
}

/* Datagrams still being reassembled when the input ends never arrive. */
static void drop_incomplete(cl_pcap *pcap) {
    for (size_t i = 0; i < MAX_FRAGMENTED; i++) {
        if (pcap->fragments[i].in_use) count(pcap, CL_COUNT_MALFORMED);
        pcap->fragments[i].in_use = 0;
    }
}

void cl_pcap_close(cl_pcap *pcap) {
    if (!pcap) return;
    if (pcap->out) pcap_dump_close(pcap->out); /* flushes */
    if (pcap->out_dead) pcap_close(pcap->out_dead);
    if (pcap->in) pcap_close(pcap->in);
    for (size_t i = 0; i < MAX_FRAGMENTED; i++) free(pcap->fragments[i].data);
    free(pcap->frame);
    free(pcap->pending_data);
    free(pcap->ports);
    free(pcap->in_path);
    free(pcap);
}

/* ---- Parsing --------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

/* The ones' complement sum of `length` bytes, added to `sum`, not yet folded. */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t length) {
    for (; length >= 2; p += 2, length -= 2) sum += get16(p);
    if (length) sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Find the IPv4 packet in a link-layer frame, noting the request's link
 * addresses. Returns NULL (and counts) when the frame does not carry IPv4. */
static const uint8_t *link_payload(cl_pcap *pcap, const uint8_t *frame, size_t length, size_t *ip_length,
                                   request *r) {
    size_t header;
    switch (pcap->link_type) {
    case DLT_EN10MB: {
        if (length < 14) return NULL;
        uint16_t type = get16(frame + 12);
        header = 14;
        if (type == 0x8100) {
            if (length < 18) return NULL;
            r->vlan = 1;
            r->vlan_tci = get16(frame + 14);
            type = get16(frame + 16);
            header = 18;
        }
        if (type != 0x0800) return NULL;
        memcpy(r->local_mac, frame, 6);    /* the request's destination */
        memcpy(r->peer_mac, frame + 6, 6); /* and source */
        break;
    }
    case DLT_RAW: case DLT_IPV4:
        header = 0;
        break;
    case DLT_LINUX_SLL: /* 16 bytes; the protocol is the last field */
        if (length < 16 || get16(frame + 14) != 0x0800) return NULL;
        header = 16;
        break;
    case DLT_LINUX_SLL2: /* 20 bytes; the protocol is the first field */
        if (length < 20 || get16(frame) != 0x0800) return NULL;
        header = 20;
        break;
    case DLT_NULL: case DLT_LOOP: { /* the address family, in the capturing host's byte order (DLT_NULL) */
        if (length < 4) return NULL;
        uint32_t family = get32(frame);
        if (family != 2 && family != 0x02000000) return NULL; /* AF_INET */
        header = 4;
        break;
    }
    default:
        return NULL;
    }
    *ip_length = length - header;
    return frame + header;
}

static int has_port(const cl_pcap *pcap, int64_t port) {
    for (size_t i = 0; i < pcap->count; i++)
        if (pcap->ports[i] == port) return 1;
    return 0;
}

/* Deliver the UDP datagram in an IPv4 payload, or drop and count it. */
static int deliver_udp(cl_pcap *pcap, const uint8_t *udp, size_t length, uint32_t source, uint32_t destination,
                       const request *r, cl_packet *out, request *delivered) {
    if (length < 8) return count(pcap, CL_COUNT_MALFORMED), 0;
    size_t udp_length = get16(udp + 4);
    if (udp_length < 8 || udp_length > length) return count(pcap, CL_COUNT_MALFORMED), 0;
    if (udp_length - 8 > CL_UDP_MAX_PAYLOAD) return count(pcap, CL_COUNT_OVERSIZED), 0;
    uint16_t port = get16(udp + 2);
    if (!has_port(pcap, port)) return count(pcap, CL_COUNT_NOT_FOR_US), 0;
    out->payload = udp + 8;
    out->length = udp_length - 8;
    out->port = port;
    out->peer_address = source;
    out->peer_port = get16(udp);
    *delivered = *r;
    delivered->local_address = destination;
    return 1;
}

static int block_set(const fragmented *f, size_t block) { return f->blocks[block / 8] >> (block % 8) & 1; }

/* Add one UDP fragment; returns the reassembled datagram when it completes. */
static fragmented *reassemble(cl_pcap *pcap, uint32_t source, uint32_t destination, uint16_t identification,
                              size_t offset, int more, const uint8_t *data, size_t length) {
    size_t end = offset + length;
    /* Every fragment but the last carries a whole number of 8-byte blocks. */
    int bad = end > MAX_IP_PAYLOAD || (more && (length == 0 || length % 8 != 0));

    fragmented *f = NULL, *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < MAX_FRAGMENTED; i++) {
        fragmented *c = &pcap->fragments[i];
        if (!c->in_use) {
            if (!free_slot) free_slot = c;
        } else if (c->source == source && c->destination == destination && c->identification == identification) {
            f = c;
        } else if (!oldest || c->age < oldest->age) {
            oldest = c;
        }
    }
    if (bad) {
        if (f) f->in_use = 0;
        if (end > MAX_IP_PAYLOAD) count(pcap, CL_COUNT_OVERSIZED);
        else count(pcap, CL_COUNT_MALFORMED);
        return NULL;
    }
    if (!f) {
        if (!free_slot) { /* full: the oldest datagram in progress gives way */
            oldest->in_use = 0;
            count(pcap, CL_COUNT_MALFORMED);
            free_slot = oldest;
        }
        f = free_slot;
        if (!f->data && !(f->data = malloc(MAX_IP_PAYLOAD))) return count(pcap, CL_COUNT_MALFORMED), NULL;
        f->in_use = 1;
        f->age = pcap->fragment_age++;
        f->source = source;
        f->destination = destination;
        f->identification = identification;
        f->end = 0;
        f->have = 0;
        memset(f->blocks, 0, sizeof f->blocks);
    }

    /* Inconsistent with what came before: overlapping, past the known end, or a second, different end. */
    int inconsistent = (f->end && end > f->end) || (!more && f->end && end != f->end) || (!more && f->have > end);
    for (size_t b = offset / 8; !inconsistent && b * 8 < end; b++) inconsistent = block_set(f, b);
    if (!more && !inconsistent) /* nothing received may lie past the last fragment */
        for (size_t b = (end + 7) / 8; b < BLOCKS && !inconsistent; b++) inconsistent = block_set(f, b);
    if (inconsistent) {
        f->in_use = 0;
        count(pcap, CL_COUNT_MALFORMED);
        return NULL;
    }
    memcpy(f->data + offset, data, length);
    for (size_t b = offset / 8; b * 8 < end; b++) f->blocks[b / 8] |= (uint8_t)(1u << (b % 8));
    f->have += length;
    if (!more) f->end = end;
    if (f->end == 0 || f->have != f->end) return NULL;
    f->in_use = 0; /* complete: its data stays valid until the next receive reuses the slot */
    return f;
}

/* Parse one captured record: 1 when it delivered a datagram to *out. */
static int parse_record(cl_pcap *pcap, const struct pcap_pkthdr *header, const uint8_t *frame, cl_packet *out,
                        request *delivered) {
    request r = pcap->last;
    memcpy(r.local_mac, service_mac, 6);
    memcpy(r.peer_mac, peer_mac, 6);
    r.vlan = 0;
    r.vlan_tci = 0;
    r.time = header->ts;

    size_t length = header->caplen;
    const uint8_t *ip = link_payload(pcap, frame, length, &length, &r);
    if (!ip || length < 20) return count(pcap, CL_COUNT_MALFORMED), 0;
    size_t header_length = (size_t)(ip[0] & 0x0f) * 4;
    size_t total_length = get16(ip + 2);
    if (ip[0] >> 4 != 4 || header_length < 20 || header_length > length || total_length < header_length ||
        total_length > length || fold(sum_bytes(0, ip, header_length)) != 0xffff)
        return count(pcap, CL_COUNT_MALFORMED), 0;
    uint16_t flags_offset = get16(ip + 6);
    if (flags_offset & 0x8000 || ip[9] != 17) return count(pcap, CL_COUNT_MALFORMED), 0; /* reserved flag, not UDP */
    uint32_t source = get32(ip + 12), destination = get32(ip + 16);
    const uint8_t *payload = ip + header_length;
    size_t payload_length = total_length - header_length;

    int more = flags_offset & 0x2000;
    size_t offset = (size_t)(flags_offset & 0x1fff) * 8;
    if (!more && offset == 0) return deliver_udp(pcap, payload, payload_length, source, destination, &r, out, delivered);
    fragmented *whole = reassemble(pcap, source, destination, get16(ip + 4), offset, more, payload, payload_length);
    if (!whole) return 0;
    return deliver_udp(pcap, whole->data, whole->end, source, destination, &r, out, delivered);
}

/* Read records until one holds a datagram for this device: 1, or 0 at the end of IN. */
static int next_datagram(cl_pcap *pcap, cl_packet *out, request *delivered) {
    while (!pcap->at_end) {
        struct pcap_pkthdr *header;
        const u_char *frame;
        cl_netif_waiting_for_input(1); /* IN may be a pipe, waiting for its writer */
        int got = pcap_next_ex(pcap->in, &header, &frame);
        cl_netif_waiting_for_input(0);
        if (got == 1) {
            if (parse_record(pcap, header, frame, out, delivered)) return 1;
            continue;
        }
        if (got == PCAP_ERROR) { /* a cut or corrupt file: what was read stands */
            fprintf(stderr, "%s: pcap: %s: %s (the rest of the capture is skipped)\n", cl_program_name, pcap->in_path,
                    pcap_geterr(pcap->in));
            count(pcap, CL_COUNT_MALFORMED);
        }
        pcap->at_end = 1;
        drop_incomplete(pcap);
    }
    return 0;
}

int cl_pcap_receive(cl_pcap *pcap, cl_packet *out) {
    request delivered;
    int got;
    if (pcap->has_pending) {
        *out = pcap->pending;
        delivered = pcap->pending_request;
        pcap->has_pending = 0;
        got = 1;
    } else {
        got = next_datagram(pcap, out, &delivered);
    }
    for (int i = 0; i < CL_COUNT_LIMIT; i++) {
        if (pcap->held[i]) cl_count((cl_counter)i, pcap->held[i]);
        pcap->held[i] = 0;
    }
    if (!got) return 0;
    pcap->last = delivered;
    cl_count(CL_COUNT_RECEIVED, 1);
    return 1;
}

/* A burst: the datagrams of records captured at the same instant as the one last handed over,
 * which a reader may take ahead of its replies, as a socket's reader takes the datagrams the
 * kernel has already queued (an isolated build's device reads ahead while its peers answer). */
int cl_pcap_ready(cl_pcap *pcap) {
    if (!pcap->has_pending) {
        if (pcap->at_end) return 0;
        cl_packet p;
        request r;
        pcap->peeking = 1;
        int got = next_datagram(pcap, &p, &r);
        pcap->peeking = 0;
        if (!got) return 0;
        if (p.length > pcap->pending_capacity) {
            uint8_t *grown = realloc(pcap->pending_data, p.length);
            if (!grown) return 0;
            pcap->pending_data = grown;
            pcap->pending_capacity = p.length;
        }
        if (p.length) memcpy(pcap->pending_data, p.payload, p.length);
        p.payload = pcap->pending_data;
        pcap->pending = p;
        pcap->pending_request = r;
        pcap->has_pending = 1;
    }
    struct timeval now = pcap->last.time, next = pcap->pending_request.time;
    return now.tv_sec == next.tv_sec && now.tv_usec == next.tv_usec;
}

/* ---- Writing replies ------------------------------------------------------- */

void cl_pcap_send(cl_pcap *pcap, const cl_packet *packet) {
    cl_counter refused = packet->length > CL_UDP_MAX_PAYLOAD    ? CL_COUNT_OVERSIZED
                         : !has_port(pcap, packet->port) ? CL_COUNT_SEND_FAILED
                         : !pcap->out                    ? CL_COUNT_SENT /* no OUT: sent nowhere */
                                                         : CL_COUNT_LIMIT;
    if (refused != CL_COUNT_LIMIT) {
        cl_count(refused, 1);
        return;
    }

    const request *r = &pcap->last;
    uint8_t *f = pcap->frame;
    size_t link = 14 + (r->vlan ? 4 : 0);
    size_t udp_length = 8 + packet->length;
    size_t ip_length = 20 + udp_length;

    memcpy(f, r->peer_mac, 6); /* to the requester, from what it sent to */
    memcpy(f + 6, r->local_mac, 6);
    if (r->vlan) {
        put16(f + 12, 0x8100);
        put16(f + 14, r->vlan_tci);
    }
    put16(f + link - 2, 0x0800);

    uint8_t *ip = f + link;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)ip_length);
    put16(ip + 4, pcap->next_identification++);
    put16(ip + 6, 0);
    ip[8] = 64; /* time to live */
    ip[9] = 17;
    put16(ip + 10, 0);
    put32(ip + 12, r->local_address);
    put32(ip + 16, packet->peer_address);
    put16(ip + 10, (uint16_t)~fold(sum_bytes(0, ip, 20)));

    uint8_t *udp = ip + 20;
    put16(udp, (uint16_t)packet->port);
    put16(udp + 2, packet->peer_port);
    put16(udp + 4, (uint16_t)udp_length);
    put16(udp + 6, 0);
    if (packet->length) memcpy(udp + 8, packet->payload, packet->length);
    /* The checksum covers a pseudo-header: addresses, protocol, UDP length. */
    uint32_t sum = sum_bytes(0, ip + 12, 8) + 17 + (uint32_t)udp_length;
    uint16_t checksum = (uint16_t)~fold(sum_bytes(sum, udp, udp_length));
    put16(udp + 6, checksum ? checksum : 0xffff); /* 0 would mean "no checksum" */

    struct pcap_pkthdr header;
    memset(&header, 0, sizeof header);
    header.ts = r->time;
    header.caplen = header.len = (bpf_u_int32)(link + ip_length);
    pcap_dump((u_char *)pcap->out, &header, f);
    cl_count(CL_COUNT_SENT, 1);
}
