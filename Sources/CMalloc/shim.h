#ifndef CINDER_MALLOC_SHIM_H
#define CINDER_MALLOC_SHIM_H
/* glibc's allocator knobs (mallopt), which the Glibc module does not export. */
#include <malloc.h>
#endif
