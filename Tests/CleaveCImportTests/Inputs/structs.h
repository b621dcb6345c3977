// Structs passed by value: by tag, by typedef of an anonymous struct, by typedef
// of a tagged struct, and one nested in another.
#include <stdint.h>

struct point {
    int32_t x;
    int32_t y;
};

typedef struct {
    double width;
    double height;
} Size;

typedef struct rect {
    struct point origin;
    Size size;
} Rect;

struct label {
    const char *text;
    uint8_t flags;
};

struct point move_point(struct point p, int32_t dx, int32_t dy);
Rect make_rect(struct point origin, Size size);
int32_t rect_area(Rect r);
