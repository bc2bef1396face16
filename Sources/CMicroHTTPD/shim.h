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

/* The client certificate of a TLS connection, verified with GnuTLS against
   the CAs given as MHD_OPTION_HTTPS_MEM_TRUST (libmicrohttpd asks for a
   certificate when that option is set, but leaves its verification to the
   application). The chain, the validity dates and the TLS-client key purpose
   are checked. 1: verified; 0: none was sent; -1: one was sent and does not
   verify, or this is no TLS connection. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
static inline int cinder_mhd_verify_client_certificate(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info == NULL || info->tls_session == NULL)
        return -1;
    gnutls_session_t session = (gnutls_session_t)info->tls_session;
    unsigned int count = 0;
    if (gnutls_certificate_get_peers(session, &count) == NULL || count == 0)
        return 0;
    gnutls_typed_vdata_st purpose = {
        .type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, .size = 0
    };
    unsigned int status = 0;
    if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0)
        return -1;
    return 1;
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
