// libclang's C API, from Debian's libclang-dev (LLVM 14). Its headers live in
// /usr/lib/llvm-14/include, which Package.swift adds to the C include path of the
// targets that import this module (`-Xcc -I…`); the library is libclang-14.so.
#include <clang-c/Index.h>
