#ifndef CINDER_CRYPT_SHIM_H
#define CINDER_CRYPT_SHIM_H
#include <crypt.h>
#endif
