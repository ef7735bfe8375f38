/*  ss_http: the coordinator's read-only web server (libmicrohttpd): the
    live page, /metrics and /state.json, rendered from an ss_view.

    Routes (GET and HEAD only; anything else is 405, an unknown path 404):
      /             the live page (coordinator/web/index.html, embedded)
      /live.js      its script
      /metrics      Prometheus text format 0.0.4 (ss_view_metrics)
      /state.json   the snapshot as JSON (ss_view_json)
    Nothing it serves can change the run: steering stays with `swarmshape
    target` and CONTROL over the authenticated ZeroMQ socket.

    Threading: libmicrohttpd runs its own polling thread
    (MHD_USE_INTERNAL_POLLING_THREAD), not driven from the coordinator's
    zloop. Why: MHD's sockets come and go with each connection, and zloop
    would need its poll items rebuilt around MHD_get_fdset and
    MHD_get_timeout after every call; and a request is then rendered
    beside the reactor, not inside it, so a slow or hostile client (or
    Prometheus scraping a 500-agent fleet) never delays a row or a
    heartbeat. The two threads share only the ss_view, under its lock.
    The thread is started with SIGINT and SIGTERM blocked, so the
    coordinator's signals still interrupt the reactor's poll.

    Address: "host:port". The host may be an IPv4 address, a name
    ("localhost"), an IPv6 address in brackets ("[::1]:8080"), or "*"
    (every interface); empty (":8080" or "8080"): 127.0.0.1. Port 0 takes
    a free port (ss_http_url tells which). At most 32 connections, each
    closed after 10 s idle.
*/
#ifndef SS_HTTP_H
#define SS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "ss_view.h"

typedef struct ss_http_t ss_http_t;

//  Parse an address as above into addr; 0, or -1 with the problem in err
int ss_http_address (const char *text, struct sockaddr_storage *addr, socklen_t *len,
                     char *err, size_t err_size);

//  Serve view (not owned: destroy the server first) at address. NULL with
//  the problem in err; *rc 2 if the address is malformed, 1 if it cannot
//  be bound.
ss_http_t *ss_http_new (const char *address, ss_view_t *view, char *err, size_t err_size,
                        int *rc);
//  Stops the thread (waits for requests in progress)
void ss_http_destroy (ss_http_t **self_p);

//  "http://127.0.0.1:7098/": where it serves (the port bound)
const char *ss_http_url (ss_http_t *self);
//  Does it serve the loopback only?
bool ss_http_loopback (ss_http_t *self);

#endif
