// A user header that pulls in system headers.
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

int64_t service_tick(int64_t now);
void service_stop(int code);
