#ifndef CINDER_MICROHTTPD_SHIM_H
#define CINDER_MICROHTTPD_SHIM_H
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic, which Swift cannot call: pass every option
   through one MHD_OPTION_ARRAY built on the Swift side. */
static inline struct MHD_Daemon *cinder_mhd_start_daemon(
    unsigned int flags,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    struct MHD_OptionItem *options)
{
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/* MHD_get_connection_info is variadic too; we only ever ask for the socket. */
static inline int cinder_mhd_connection_fd(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int)info->connect_fd;
}

/* libmicrohttpd logs through a printf-style callback with a va_list; format
   it here so Swift receives one finished line. */
typedef void (*cinder_mhd_line_logger)(const char *line);
#include <stdio.h>
static inline void cinder_mhd_log_trampoline(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    ((cinder_mhd_line_logger)cls)(line);
}
static inline void *cinder_mhd_logger_function(void)
{
    return (void *)&cinder_mhd_log_trampoline;
}
#endif
