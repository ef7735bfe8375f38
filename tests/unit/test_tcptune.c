/*  agentd/ss_tcptune: the per-connection TCP options, the stall test and
    the unacknowledged bytes, on real sockets. The stall case needs a connection whose segments are
    lost: as root, in a network namespace of its own (a child process that
    unshares one, brings up its loopback and drops the port's packets with
    nftables); elsewhere that part says SKIP. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../agentd/ss_tcptune.h"

#ifndef TCP_RTO_MIN_US
#   define TCP_RTO_MIN_US 45
#endif

//  A connected TCP pair on 127.0.0.1: client, and the accepted end
static void
s_pair (int *client, int *server, int *port)
{
    int lst = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (lst >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (lst, (struct sockaddr *) &addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    assert_int_equal (getsockname (lst, (struct sockaddr *) &addr, &len), 0);
    assert_int_equal (listen (lst, 1), 0);
    *client = socket (AF_INET, SOCK_STREAM, 0);
    assert_int_equal (connect (*client, (struct sockaddr *) &addr, sizeof addr), 0);
    *server = accept (lst, NULL, NULL);
    assert_true (*server >= 0);
    *port = ntohs (addr.sin_port);
    close (lst);
}

static void
test_apply (void **state)
{
    (void) state;
    int client, server, port;
    s_pair (&client, &server, &port);
    ss_tcpopt_t opt = { .rto_min_us = 5000, .delack_max_us = 5000, .rto_max_ms = 1000,
                        .thin_linear = true };
    int missed = ss_tcpopt_apply (client, &opt);
    assert_false (missed & SS_TCPOPT_NOT_TCP);
    assert_false (missed & SS_TCPOPT_NO_THIN);
    if (!(missed & SS_TCPOPT_NO_RTO_MIN)) {
        //  The kernel kept what we set (it rounds to its ticks: >= 4 ms)
        int value = 0;
        socklen_t len = sizeof value;
        assert_int_equal (getsockopt (client, IPPROTO_TCP, TCP_RTO_MIN_US, &value, &len), 0);
        print_message ("TCP_RTO_MIN_US set 5000, reads %d\n", value);
        assert_true (value >= 4000 && value <= 8000);
    }
    else
        print_message ("this kernel refuses TCP_RTO_MIN_US (Linux < 6.15): not checked\n");
    if (!(missed & SS_TCPOPT_NO_RTO_MAX)) {
        int value = 0;
        socklen_t len = sizeof value;
        assert_int_equal (getsockopt (client, IPPROTO_TCP, 44, &value, &len), 0);
        assert_int_equal (value, 1000);
    }
    //  Less than the kernel's floor of 5 ms: refused, nothing else harmed
    ss_tcpopt_t tiny = { .rto_min_us = 1000, .rto_max_ms = 500 };
    int refused = ss_tcpopt_apply (server, &tiny);
    assert_true (refused & SS_TCPOPT_NO_RTO_MIN);
    assert_true (refused & SS_TCPOPT_NO_RTO_MAX);
    assert_false (refused & SS_TCPOPT_NOT_TCP);
    //  An idle connection, and one whose data was acknowledged, is not stalled
    assert_false (ss_tcpopt_stalled (client));
    assert_int_equal (send (client, "hello", 5, 0), 5);
    char buf [8];
    assert_int_equal (recv (server, buf, sizeof buf, 0), 5);
    struct timespec pause = { 0, 20 * 1000 * 1000 };
    nanosleep (&pause, NULL);
    assert_false (ss_tcpopt_stalled (client));
    assert_int_equal (ss_tcpopt_unacked (client), 0);
    close (client);
    close (server);
    //  Not TCP: a Unix socket pair, a closed descriptor, -1
    int unix_pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM, 0, unix_pair), 0);
    assert_true (ss_tcpopt_apply (unix_pair [0], &opt) & SS_TCPOPT_NOT_TCP);
    assert_false (ss_tcpopt_stalled (unix_pair [0]));
    assert_int_equal (ss_tcpopt_unacked (unix_pair [0]), 0);
    close (unix_pair [0]);
    close (unix_pair [1]);
    assert_false (ss_tcpopt_stalled (-1));
    assert_false (ss_tcpopt_stalled (unix_pair [0]));   //  closed
    assert_int_equal (ss_tcpopt_unacked (-1), 0);
}

//  In a child with a network namespace of its own: 0 pass, 1 fail, 77 skip
static int64_t
s_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int
s_stall_child (void)
{
    if (unshare (CLONE_NEWNET))
        return 77;
    if (system ("ip link set lo up 2>/dev/null"))
        return 77;
    int client, server, port;
    //  s_pair asserts through cmocka, which is not set up in the child:
    //  do it by hand
    int lst = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (lst < 0 || bind (lst, (struct sockaddr *) &addr, sizeof addr)
    ||  getsockname (lst, (struct sockaddr *) &addr, &len) || listen (lst, 1))
        return 1;
    client = socket (AF_INET, SOCK_STREAM, 0);
    if (connect (client, (struct sockaddr *) &addr, sizeof addr))
        return 1;
    server = accept (lst, NULL, NULL);
    port = ntohs (addr.sin_port);
    ss_tcpopt_t opt = { .rto_min_us = 5000, .delack_max_us = 5000, .thin_linear = true };
    ss_tcpopt_apply (client, &opt);
    if (ss_tcpopt_stalled (client))
        return 1;
    ss_tcploss_t record = { 0 };
    if (ss_tcpopt_judge (client, s_ms (), &record) & SS_TCP_LOST)
        return 1;
    char command [256];
    snprintf (command, sizeof command,
              "nft add table inet sstest && nft add chain inet sstest in "
              "'{ type filter hook input priority 0; }' && "
              "nft add rule inet sstest in tcp dport %d drop", port);
    if (system (command))
        return 77;
    //  Every segment to the server is dropped: the client's data stays
    //  unacknowledged and it retransmits
    if (send (client, "hello", 5, 0) != 5)
        return 1;
    int stalled = 0;
    for (int tries = 0; tries < 100 && stalled != SS_TCP_RETRANSMITTING; tries++) {
        struct timespec pause = { 0, 5 * 1000 * 1000 };
        nanosleep (&pause, NULL);
        stalled = ss_tcpopt_stalled (client);
    }
    if (stalled != SS_TCP_RETRANSMITTING) {
        fprintf (stderr, "not retransmitting after 500 ms of lost segments\n");
        return 1;
    }
    //  The kernel's counters, read past glibc's tcp_info: the retransmission
    //  is judged a loss once SS_TCPLOSS_JUDGE_MS old (no duplicate SACK
    //  comes: the segments never arrive)
    int judged = 0;
    for (int tries = 0; tries < 100 && !(judged & SS_TCP_LOST); tries++) {
        struct timespec pause = { 0, 5 * 1000 * 1000 };
        nanosleep (&pause, NULL);
        judged = ss_tcpopt_judge (client, s_ms (), &record);
    }
    if (!(judged & SS_TCP_LOST)) {
        fprintf (stderr, "retransmissions not judged a loss after 500 ms\n");
        return 1;
    }
    //  What an exiting agent waits for: its 5 bytes, unacknowledged
    if (ss_tcpopt_unacked (client) != 5) {
        fprintf (stderr, "unacked %ld bytes, not 5\n", ss_tcpopt_unacked (client));
        return 1;
    }
    //  Loss over: the retransmission gets through and it is not stalled
    if (system ("nft delete table inet sstest"))
        return 1;
    for (int tries = 0; tries < 200 && stalled; tries++) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep (&pause, NULL);
        stalled = ss_tcpopt_stalled (client);
    }
    char buf [8];
    if (stalled || recv (server, buf, sizeof buf, MSG_DONTWAIT) != 5) {
        fprintf (stderr, "still stalled 2 s after the loss ended\n");
        return 1;
    }
    if (ss_tcpopt_unacked (client) != 0) {
        fprintf (stderr, "%ld bytes still unacknowledged\n", ss_tcpopt_unacked (client));
        return 1;
    }
    return 0;
}

//  The judgement of retransmissions, with the counters passed in: one
//  counts once SS_TCPLOSS_JUDGE_MS old, unless the receiver showed it
//  spurious (a duplicate SACK) by then; the first look never judges
static void
test_judge (void **state)
{
    (void) state;
    assert_int_equal (SS_TCPLOSS_JUDGE_MS, 20);
    ss_tcploss_t record = { 0 };
    assert_false (ss_tcploss_judge (&record, 1000, 5, 0));     //  first look
    assert_false (ss_tcploss_judge (&record, 1005, 6, 0));     //  too soon to judge
    assert_false (ss_tcploss_judge (&record, 1019, 6, 0));
    assert_false (ss_tcploss_judge (&record, 1020, 6, 0));     //  5 judged: as before
    assert_true (ss_tcploss_judge (&record, 1040, 6, 0));      //  the 6th, 20 ms old
    assert_false (ss_tcploss_judge (&record, 1060, 6, 0));     //  nothing new
    //  A spurious one: a slow host's late acknowledgement, the segment
    //  seen twice by the receiver, which says so within 20 ms
    assert_false (ss_tcploss_judge (&record, 1080, 7, 0));
    assert_false (ss_tcploss_judge (&record, 1100, 7, 1));
    assert_false (ss_tcploss_judge (&record, 1120, 7, 1));
    //  Then a real one
    assert_false (ss_tcploss_judge (&record, 1140, 8, 1));
    assert_true (ss_tcploss_judge (&record, 1160, 8, 1));
    //  A fresh record (a new connection): its first retransmission counts
    record = (ss_tcploss_t) { 0 };
    assert_false (ss_tcploss_judge (&record, 2000, 0, 0));
    assert_false (ss_tcploss_judge (&record, 2020, 1, 0));
    assert_true (ss_tcploss_judge (&record, 2040, 1, 0));
}

static void
test_stalled (void **state)
{
    (void) state;
    if (geteuid () != 0 || system ("command -v nft >/dev/null && command -v ip >/dev/null")) {
        print_message ("SKIP: the stall test needs root, ip and nft (a namespace of its own)\n");
        return;
    }
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0)
        _exit (s_stall_child ());
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    if (WEXITSTATUS (status) == 77) {
        print_message ("SKIP: cannot make a network namespace with nftables here\n");
        return;
    }
    assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_apply),
        cmocka_unit_test (test_judge),
        cmocka_unit_test (test_stalled),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
