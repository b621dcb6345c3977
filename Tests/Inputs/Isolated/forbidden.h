/* A test-only C function for the isolated target's sandbox tests: it makes a
 * system call (socket) that no component's policy allows. It is a user header,
 * so the compiler cannot know what it calls; the sandbox must stop it. */
#include <sys/socket.h>

static inline int cleave_test_open_socket(void) { return socket(AF_INET, SOCK_DGRAM, 0); }
