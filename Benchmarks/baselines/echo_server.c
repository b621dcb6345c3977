/* echo_server.c: the hand-written C baseline for Examples/echo/echo.clv.
 *
 * Answers every UDP datagram with a datagram holding exactly its payload, sent
 * back to the sender from the same port (default 8080), in recvmmsg/sendmmsg
 * batches; the payload is never copied.
 */
#include "udp_batch.h"

static size_t echo(uint8_t *buf, size_t len) {
    (void)buf;
    return len;
}

int main(int argc, char **argv) {
    return udp_serve("echo_server", udp_parse_port(argc, argv, 8080), echo);
}
