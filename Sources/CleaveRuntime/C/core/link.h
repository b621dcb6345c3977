/* link.h: the addresses of a link (platform.h's cl_link_config) as text, both ways.
 *
 * One grammar for every platform: the options after a --netif's interface, hosted
 * (`tap:NAME,ip=A/LEN,gw=G,mac=M`, netif/spec.c) or in an image's kernel command line
 * (`virtio,ip=…`, image/start.c); and one way of saying what a stack was given. */
#ifndef CLEAVE_LINK_H
#define CLEAVE_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cleave.h"

/* ",ip=A.B.C.D[/LEN],gw=A.B.C.D,mac=XX:XX:XX:XX:XX:XX" in any order, each at most once or the
 * last one counting; gw= and mac= need ip=. NULL when `options` is all of that, or what is
 * wrong. *has_address and *has_mac say what was given; the prefix length is 24 unless given. */
const char *cl_link_parse(const char *options, cl_link_config *link, bool *has_address, bool *has_mac);

/* A locally administered unicast address made of the IPv4 one: 02:00:A:B:C:D. */
void cl_link_default_mac(cl_link_config *link);

/* "A.B.C.D/LEN, gateway G, MAC M" (no gateway part without one), appended to `text`. */
void cl_link_describe(const cl_link_config *link, cl_text *text);

#endif
