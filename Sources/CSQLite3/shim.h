#ifndef CINDER_SQLITE3_SHIM_H
#define CINDER_SQLITE3_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro that Swift cannot import. */
static inline sqlite3_destructor_type cinder_sqlite3_transient(void) {
    return SQLITE_TRANSIENT;
}
#endif
