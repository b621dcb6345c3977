/* <ctype.h>: classifying and converting characters through the locale's tables,
 * in memory. The functions are called through parentheses so that no macro
 * stands in for them. */
#define GROUP "<ctype.h>"
#include "../probe.h"

#include <ctype.h>

static volatile int c = 'a';

PROBE(isalnum, basic) {
    begin();
    sink_l = (isalnum)(c);
    end();
}
PROBE(isalpha, basic) {
    begin();
    sink_l = (isalpha)(c);
    end();
}
PROBE(isblank, basic) {
    begin();
    sink_l = (isblank)(c);
    end();
}
PROBE(iscntrl, basic) {
    begin();
    sink_l = (iscntrl)(c);
    end();
}
PROBE(isdigit, basic) {
    begin();
    sink_l = (isdigit)(c);
    end();
}
PROBE(isgraph, basic) {
    begin();
    sink_l = (isgraph)(c);
    end();
}
PROBE(islower, basic) {
    begin();
    sink_l = (islower)(c);
    end();
}
PROBE(isprint, basic) {
    begin();
    sink_l = (isprint)(c);
    end();
}
PROBE(ispunct, basic) {
    begin();
    sink_l = (ispunct)(c);
    end();
}
PROBE(isspace, basic) {
    begin();
    sink_l = (isspace)(c);
    end();
}
PROBE(isupper, basic) {
    begin();
    sink_l = (isupper)(c);
    end();
}
PROBE(isxdigit, basic) {
    begin();
    sink_l = (isxdigit)(c);
    end();
}
PROBE(tolower, basic) {
    begin();
    sink_l = (tolower)(c);
    end();
}
PROBE(toupper, basic) {
    begin();
    sink_l = (toupper)(c);
    end();
}
