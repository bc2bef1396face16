#ifndef CINDER_MARIADB_SHIM_H
#define CINDER_MARIADB_SHIM_H
#include <mysql.h>
#endif
