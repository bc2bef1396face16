#ifndef CINDER_DEFLATE_SHIM_H
#define CINDER_DEFLATE_SHIM_H
#include <libdeflate.h>
#endif
