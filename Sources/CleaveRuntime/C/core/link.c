/* link.c: the addresses of a link as text (link.h). */
#include "core/link.h"

#include <string.h>

/* "A.B.C.D" at *p: the address in host order, *p moved past it; -1 when it is not one. */
static long long parse_address(const char **p) {
    uint32_t address = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (**p != '.') return -1;
            (*p)++;
        }
        unsigned value = 0, digits = 0;
        while (**p >= '0' && **p <= '9' && digits < 4) value = value * 10 + (unsigned)(*(*p)++ - '0'), digits++;
        if (digits == 0 || value > 255) return -1;
        address = address << 8 | value;
    }
    return address;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

const char *cl_link_parse(const char *options, cl_link_config *link, bool *has_address, bool *has_mac) {
    bool has_gateway = false;
    *has_address = false;
    *has_mac = false;
    link->prefix_length = 24;
    const char *p = options;
    while (*p == ',') {
        p++;
        if (strncmp(p, "ip=", 3) == 0) {
            p += 3;
            long long address = parse_address(&p);
            if (address < 0) return "expected ip=A.B.C.D[/LEN]";
            link->address = (uint32_t)address;
            if (*p == '/') {
                p++;
                int length = 0, digits = 0;
                while (*p >= '0' && *p <= '9' && digits < 3) length = length * 10 + (*p++ - '0'), digits++;
                if (digits == 0 || length > 32) return "the prefix length after ip=A.B.C.D/ is 0 to 32";
                link->prefix_length = length;
            }
            *has_address = true;
        } else if (strncmp(p, "gw=", 3) == 0) {
            p += 3;
            long long address = parse_address(&p);
            if (address < 0) return "expected gw=A.B.C.D";
            link->gateway = (uint32_t)address;
            has_gateway = true;
        } else if (strncmp(p, "mac=", 4) == 0) {
            p += 4;
            for (int i = 0; i < 6; i++) {
                if (i > 0 && *p++ != ':') return "expected mac=XX:XX:XX:XX:XX:XX";
                int high = hex_digit(p[0]), low = high < 0 ? -1 : hex_digit(p[1]);
                if (low < 0) return "expected mac=XX:XX:XX:XX:XX:XX";
                link->mac[i] = (uint8_t)(high << 4 | low);
                p += 2;
            }
            if (link->mac[0] & 1) return "mac= is a group address; a device's own is unicast";
            *has_mac = true;
        } else {
            return "after NAME (or the captures) come ,ip=A.B.C.D/LEN ,gw=A.B.C.D ,mac=XX:XX:XX:XX:XX:XX";
        }
        if (*p != '\0' && *p != ',') return "link options are separated by ','";
    }
    if (*p != '\0') return "after NAME (or the captures) come ,ip=A.B.C.D/LEN ,gw=A.B.C.D ,mac=XX:XX:XX:XX:XX:XX";
    if ((*has_mac || has_gateway) && !*has_address) return "gw= and mac= need ip=A.B.C.D/LEN too";
    return NULL;
}

void cl_link_default_mac(cl_link_config *link) {
    uint8_t mac[6] = {2, 0, (uint8_t)(link->address >> 24), (uint8_t)(link->address >> 16), (uint8_t)(link->address >> 8),
                      (uint8_t)link->address};
    memcpy(link->mac, mac, 6);
}

static void put_address(cl_text *t, uint32_t a) {
    for (int i = 3; i >= 0; i--) {
        cl_text_append_int(t, (a >> (8 * i)) & 0xff);
        if (i) cl_text_append(t, ".");
    }
}

void cl_link_describe(const cl_link_config *link, cl_text *t) {
    put_address(t, link->address);
    cl_text_append(t, "/");
    cl_text_append_int(t, link->prefix_length);
    if (link->gateway) {
        cl_text_append(t, ", gateway ");
        put_address(t, link->gateway);
    }
    cl_text_append(t, ", MAC ");
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        char s[4] = {hex[link->mac[i] >> 4], hex[link->mac[i] & 15], i < 5 ? ':' : 0, 0};
        cl_text_append(t, s);
    }
}
