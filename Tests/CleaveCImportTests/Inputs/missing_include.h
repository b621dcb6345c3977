#include "does_not_exist.h"
int after_missing(int a);
