/*  test_notify: ss_notify against a real notification socket, as systemd
    listens for a Type=notify service: a unix datagram socket named by
    $NOTIFY_SOCKET. Without it every call is a no-op returning 0. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "ss_notify.h"

static char s_dir [64];
static char s_path [100];
static int s_fd = -1;

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_notify.XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_path, sizeof s_path, "%.40s/notify", s_dir);
    s_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    memcpy (addr.sun_path, s_path, strlen (s_path) + 1);
    if (s_fd < 0 || bind (s_fd, (struct sockaddr *) &addr, sizeof addr))
        return -1;
    struct timeval tv = { .tv_sec = 2 };
    setsockopt (s_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    close (s_fd);
    unlink (s_path);
    rmdir (s_dir);
    unsetenv ("NOTIFY_SOCKET");
    return 0;
}

//  The next datagram, as text ("" after the 2 s timeout)
static const char *
s_receive (void)
{
    static char text [1024];
    ssize_t got = recv (s_fd, text, sizeof text - 1, 0);
    text [got > 0? got: 0] = 0;
    return text;
}

static bool
s_pending (void)
{
    char byte;
    return recv (s_fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) >= 0;
}

static void
test_noop_without_socket (void **state)
{
    (void) state;
    unsetenv ("NOTIFY_SOCKET");
    assert_false (ss_notify_enabled ());
    assert_int_equal (ss_notify_ready (), 0);
    assert_int_equal (ss_notify_status ("round %d", 7), 0);
    assert_int_equal (ss_notify_stopping (), 0);
    assert_false (s_pending ());
    setenv ("NOTIFY_SOCKET", "", 1);
    assert_false (ss_notify_enabled ());
    assert_int_equal (ss_notify_ready (), 0);
    assert_false (s_pending ());
}

static void
test_messages (void **state)
{
    (void) state;
    setenv ("NOTIFY_SOCKET", s_path, 1);
    assert_true (ss_notify_enabled ());

    assert_int_equal (ss_notify_ready (), 0);
    char want [64];
    snprintf (want, sizeof want, "READY=1\nMAINPID=%ld", (long) getpid ());
    assert_string_equal (s_receive (), want);

    assert_int_equal (ss_notify_status ("round %d of %s", 12, "40"), 0);
    assert_string_equal (s_receive (), "STATUS=round 12 of 40");

    //  A newline cannot smuggle in another assignment
    assert_int_equal (ss_notify_status ("a\nREADY=1\rb"), 0);
    assert_string_equal (s_receive (), "STATUS=a READY=1 b");

    //  A long status is cut, not overflowed
    char big [2000];
    memset (big, 'x', sizeof big - 1);
    big [sizeof big - 1] = 0;
    assert_int_equal (ss_notify_status ("%s", big), 0);
    const char *got = s_receive ();
    assert_true (strncmp (got, "STATUS=xxx", 10) == 0);
    assert_true (strlen (got) < 300);

    assert_int_equal (ss_notify_stopping (), 0);
    assert_string_equal (s_receive (), "STOPPING=1");
    //  The variable stays: later calls still reach the manager
    assert_true (ss_notify_enabled ());
}

static void
test_no_listener (void **state)
{
    (void) state;
    //  A socket path where nobody listens: an error, not a crash
    char path [160];
    snprintf (path, sizeof path, "%.40s/nobody", s_dir);
    setenv ("NOTIFY_SOCKET", path, 1);
    assert_int_equal (ss_notify_ready (), -1);
    assert_int_equal (ss_notify_status ("x"), -1);
    unsetenv ("NOTIFY_SOCKET");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_noop_without_socket),
        cmocka_unit_test (test_messages),
        cmocka_unit_test (test_no_listener),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
