// Declarations the importer must refuse, each for a different reason.
#include <stdint.h>

int log_message(const char *format, ...);
void on_event(void (*callback)(int code));
union number { int32_t i; float f; };
void count_into(const int *totals);
char *make_name(int32_t id);
int legacy();
struct handler { void (*run)(void); int32_t id; };
void install(struct handler h);
struct grid { uint8_t cells[16]; };
struct flags { unsigned ready : 1; };
extern int32_t request_count;

// Reserved names are skipped without a word.
int __internal_helper(int a, ...);
int _Reserved_helper(int a, ...);

// Redeclarations are imported once.
int twice(int a);
int twice(int a);
