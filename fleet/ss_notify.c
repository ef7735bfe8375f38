/*  ss_notify: sd_notify for readiness and status (see ss_notify.h) */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "ss_notify.h"

#define S_STATUS_MAX 256

bool
ss_notify_enabled (void)
{
    const char *socket = getenv ("NOTIFY_SOCKET");
    return socket && *socket;
}

//  sd_notify returns > 0 when sent, 0 when no manager listens, < 0 on error
static int
s_send (const char *text)
{
    if (!ss_notify_enabled ())
        return 0;
    return sd_notify (0, text) < 0? -1: 0;
}

int
ss_notify_ready (void)
{
    char text [64];
    snprintf (text, sizeof text, "READY=1\nMAINPID=%ld", (long) getpid ());
    return s_send (text);
}

int
ss_notify_status (const char *format, ...)
{
    if (!ss_notify_enabled ())
        return 0;
    char text [S_STATUS_MAX + 8] = "STATUS=";
    va_list args;
    va_start (args, format);
    vsnprintf (text + 7, S_STATUS_MAX, format, args);
    va_end (args);
    //  One line: a newline would start another KEY=VALUE assignment
    for (char *c = text; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return s_send (text);
}

int
ss_notify_stopping (void)
{
    return s_send ("STOPPING=1");
}
