/*  ss_http: the live page's server (see ss_http.h). */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_http.h"
#include "ss_progress.h"
#include "ss_web.h"

#define S_CONNECTIONS   32      //  at most at once
#define S_IDLE_S        10      //  an idle connection is closed after
#define S_PAGE_POLICY   "default-src 'none'; script-src 'self'; connect-src 'self'; " \
                        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; " \
                        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct ss_http_t {
    struct MHD_Daemon *daemon;
    ss_view_t *view;
    char url [128];
    bool loopback;
    volatile bool started;      //  MHD's start errors are said in ss_http_new's
};

int
ss_http_address (const char *text, struct sockaddr_storage *addr, socklen_t *len,
                 char *err, size_t err_size)
{
    char host [256] = "";
    const char *port;
    const char *colon = strrchr (text, ':');
    if (text [0] == '[') {
        const char *close = strchr (text, ']');
        if (!close || close [1] != ':') {
            snprintf (err, err_size, "'%s': an IPv6 host is written [ADDRESS]:PORT", text);
            return -1;
        }
        snprintf (host, sizeof host, "%.*s", (int) (close - text - 1), text + 1);
        port = close + 2;
    }
    else
    if (colon) {
        if ((size_t) (colon - text) >= sizeof host) {
            snprintf (err, err_size, "'%.40s...': the host is too long", text);
            return -1;
        }
        snprintf (host, sizeof host, "%.*s", (int) (colon - text), text);
        port = colon + 1;
    }
    else
        port = text;
    char *end;
    errno = 0;
    long number = strtol (port, &end, 10);
    if (!*port || *end || errno || number < 0 || number > 65535) {
        snprintf (err, err_size, "'%s': expected host:port with a port 0..65535", text);
        return -1;
    }
    if (!*host)
        snprintf (host, sizeof host, "127.0.0.1");
    else
    if (!strcmp (host, "*"))
        snprintf (host, sizeof host, "0.0.0.0");
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
    struct addrinfo *found = NULL;
    int rc = getaddrinfo (host, NULL, &hints, &found);
    if (rc || !found) {
        snprintf (err, err_size, "'%s': cannot resolve the host '%s': %s", text, host,
                  gai_strerror (rc));
        if (found)
            freeaddrinfo (found);
        return -1;
    }
    memset (addr, 0, sizeof *addr);
    memcpy (addr, found->ai_addr, found->ai_addrlen);
    *len = found->ai_addrlen;
    freeaddrinfo (found);
    if (addr->ss_family == AF_INET)
        ((struct sockaddr_in *) addr)->sin_port = htons ((uint16_t) number);
    else
    if (addr->ss_family == AF_INET6)
        ((struct sockaddr_in6 *) addr)->sin6_port = htons ((uint16_t) number);
    else {
        snprintf (err, err_size, "'%s': the host is neither IPv4 nor IPv6", text);
        return -1;
    }
    return 0;
}

//  MHD's errors once serving (a client gone, out of connections): at most
//  one line a second
static void
s_log (void *cls, const char *format, va_list args)
{
    if (!((ss_http_t *) cls)->started)
        return;
    static double logged = -10;
    double now = ss_progress_now ();
    if (now - logged < 1.0)
        return;
    logged = now;
    char text [256];
    vsnprintf (text, sizeof text, format, args);
    text [strcspn (text, "\n")] = 0;
    fprintf (stderr, "coordinator: http: %s\n", text);
}

//  Queue a response of text (freed by MHD when it must_free, else static)
static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned status, const char *type,
           const void *data, size_t size, bool must_free, bool page)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (size, (void *) data,
        must_free? MHD_RESPMEM_MUST_FREE: MHD_RESPMEM_PERSISTENT);
    if (!response) {
        if (must_free)
            free ((void *) data);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             page? "no-cache": "no-store");
    if (page)
        MHD_add_response_header (response, "Content-Security-Policy", S_PAGE_POLICY);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_text (struct MHD_Connection *connection, unsigned status, const char *text)
{
    return s_respond (connection, status, "text/plain; charset=utf-8", text, strlen (text),
                      false, false);
}

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **con_cls)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) con_cls;
    ss_http_t *self = (ss_http_t *) cls;
    if (strcmp (method, MHD_HTTP_METHOD_GET) && strcmp (method, MHD_HTTP_METHOD_HEAD))
        return s_text (connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                       "read-only: GET and HEAD only\n");
    if (!strcmp (url, "/metrics")) {
        char *text = ss_view_metrics (self->view, ss_progress_now ());
        return text? s_respond (connection, MHD_HTTP_OK, "text/plain; version=0.0.4; "
                                "charset=utf-8", text, strlen (text), true, false)
                   : s_text (connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    if (!strcmp (url, "/state.json")) {
        char *text = ss_view_json (self->view, ss_progress_now ());
        return text? s_respond (connection, MHD_HTTP_OK, "application/json", text,
                                strlen (text), true, false)
                   : s_text (connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    const char *path = strcmp (url, "/")? url: "/index.html";
    for (const ss_web_file_t *file = ss_web_files; file->path; file++)
        if (!strcmp (path, file->path))
            return s_respond (connection, MHD_HTTP_OK, file->type, file->data, file->size,
                              false, true);
    return s_text (connection, MHD_HTTP_NOT_FOUND,
                   "not found: this server has /, /metrics and /state.json\n");
}

static bool
s_is_loopback (const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return (ntohl (((const struct sockaddr_in *) addr)->sin_addr.s_addr) >> 24) == 127;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *) addr)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED (a6))
        return a6->s6_addr [12] == 127;
    return IN6_IS_ADDR_LOOPBACK (a6);
}

ss_http_t *
ss_http_new (const char *address, ss_view_t *view, char *err, size_t err_size, int *rc)
{
    assert (address && view);
    struct sockaddr_storage addr;
    socklen_t len;
    if (ss_http_address (address, &addr, &len, err, err_size)) {
        *rc = 2;
        return NULL;
    }
    ss_http_t *self = calloc (1, sizeof (ss_http_t));
    if (!self) {
        snprintf (err, err_size, "out of memory");
        *rc = 1;
        return NULL;
    }
    self->view = view;
    self->loopback = s_is_loopback (&addr);
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    //  The thread inherits this mask: the reactor's thread gets the signals
    sigset_t block, old;
    sigemptyset (&block);
    sigaddset (&block, SIGINT);
    sigaddset (&block, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &block, &old);
    //  The port given too, though SOCK_ADDR decides: MHD's messages name it
    uint16_t port = ntohs (addr.ss_family == AF_INET6? ((struct sockaddr_in6 *) &addr)->sin6_port
                                                      : ((struct sockaddr_in *) &addr)->sin_port);
    self->daemon = MHD_start_daemon (flags, port, NULL, NULL, s_on_request, self,
                                     MHD_OPTION_EXTERNAL_LOGGER, s_log, self,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned) S_CONNECTIONS,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) S_IDLE_S,
                                     MHD_OPTION_END);
    int saved = errno;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (!self->daemon) {
        snprintf (err, err_size, "cannot serve http at %s: %s", address,
                  saved? strerror (saved): "libmicrohttpd refused");
        free (self);
        *rc = 1;
        return NULL;
    }
    self->started = true;
    //  The port bound (port 0: the one the kernel chose)
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon,
                                                            MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage bound = addr;
    socklen_t bound_len = sizeof bound;
    if (info)
        getsockname (info->listen_fd, (struct sockaddr *) &bound, &bound_len);
    char host [INET6_ADDRSTRLEN] = "?";
    char service [16] = "?";
    getnameinfo ((struct sockaddr *) &bound, bound_len, host, sizeof host, service,
                 sizeof service, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf (self->url, sizeof self->url, bound.ss_family == AF_INET6? "http://[%s]:%s/"
                                                                      : "http://%s:%s/",
              host, service);
    *rc = 0;
    return self;
}

void
ss_http_destroy (ss_http_t **self_p)
{
    ss_http_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}

const char *
ss_http_url (ss_http_t *self)
{
    return self->url;
}

bool
ss_http_loopback (ss_http_t *self)
{
    return self->loopback;
}
