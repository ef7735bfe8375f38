/*  ss_notify: readiness and status for a service manager, through
    libsystemd's sd_notify (the protocol of sd_notify(3): datagrams of
    "KEY=VALUE" lines on the unix socket named by $NOTIFY_SOCKET).

    A unit with Type=notify counts the daemon as started when it sends
    READY=1, so `systemctl start agentd@3` returns once the agent can run
    a round (its sockets bound and connected, the coordinator link given its
    moment), not when the program was merely executed. STATUS= is what
    `systemctl status` shows; STOPPING=1 says a stop is under way.

    Without $NOTIFY_SOCKET (not under systemd, or Type= other than notify)
    every call is a no-op returning 0. Errors are returned, never fatal: a
    daemon runs the same whether or not anyone listens. $NOTIFY_SOCKET is
    left set, so a later call (STATUS=, STOPPING=1) still reaches the
    manager.
*/
#ifndef SS_NOTIFY_H
#define SS_NOTIFY_H

#include <stdbool.h>

//  Tell the service manager that start-up is complete (READY=1, with the
//  daemon's PID as MAINPID). 0, or -1 if a manager listens and the message
//  could not be sent.
int ss_notify_ready (void);

//  One status line (STATUS=..., printf format; newlines become spaces).
//  0, or -1 as above.
int ss_notify_status (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

//  Tell the service manager that the daemon is stopping (STOPPING=1)
int ss_notify_stopping (void);

//  True when a service manager listens ($NOTIFY_SOCKET is set)
bool ss_notify_enabled (void);

#endif
