/* kv_server.c: the hand-written C baseline for Examples/kv/kv.clv.
 *
 * UDP port 7000 by default; each datagram is one request, answered in place:
 *     SET <key> <value>  -> STORED        GET <key> -> the value, or NOT_FOUND
 *     anything else      -> ERROR
 * The request is split exactly as Swift's split(separator: 32, maxSplits: 2)
 * does (empty pieces omitted, at most two splits, the value is the rest). The
 * table is an open-addressing hash map from bytes to bytes; a SET on an existing
 * key replaces its value (the old one is freed), so memory stays flat.
 */
#define NAME "kv_server"
#include "udp_batch.h" /* first: it asks for _GNU_SOURCE */
#include "kv_store.h"

/* The reply to the request in buf[0..len), in place (a value fits: it came in as one datagram). */
static size_t answer(uint8_t *buf, size_t len) { return kv_answer(buf, len, buf, BUFFER_SIZE); }

int main(int argc, char **argv) {
    return udp_serve(NAME, udp_parse_port(argc, argv, 7000), answer);
}
