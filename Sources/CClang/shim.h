// Debian's libclang-dev (LLVM 14) keeps its headers under /usr/lib/llvm-14/include.
#include "/usr/lib/llvm-14/include/clang-c/Index.h"
