/*  http: the live page's server on the loopback (port 0: a free one):
    addresses parsed (loopback by default, "*", IPv6 in brackets, bad
    ports and hosts refused with a reason), every route's status, type and
    headers (the page's content security policy, no caching of the
    snapshot), read-only (POST and PUT: 405 with Allow), unknown paths
    404, the embedded page and script served whole, and the rendered
    snapshot as the view has it. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ss_testutil.h"
#include "ss_http.h"
#include "ss_web.h"

static void
test_address (void **state)
{
    (void) state;
    struct sockaddr_storage addr;
    socklen_t len;
    char err [256];
    assert_int_equal (ss_http_address ("127.0.0.1:8080", &addr, &len, err, sizeof err), 0);
    assert_int_equal (addr.ss_family, AF_INET);
    assert_int_equal (ntohs (((struct sockaddr_in *) &addr)->sin_port), 8080);
    //  No host: the loopback
    assert_int_equal (ss_http_address (":9000", &addr, &len, err, sizeof err), 0);
    assert_int_equal (ntohl (((struct sockaddr_in *) &addr)->sin_addr.s_addr), 0x7f000001);
    assert_int_equal (ss_http_address ("9000", &addr, &len, err, sizeof err), 0);
    assert_int_equal (ntohl (((struct sockaddr_in *) &addr)->sin_addr.s_addr), 0x7f000001);
    //  "*": every interface
    assert_int_equal (ss_http_address ("*:9000", &addr, &len, err, sizeof err), 0);
    assert_int_equal (((struct sockaddr_in *) &addr)->sin_addr.s_addr, 0);
    assert_int_equal (ss_http_address ("[::1]:9000", &addr, &len, err, sizeof err), 0);
    assert_int_equal (addr.ss_family, AF_INET6);
    assert_int_equal (ntohs (((struct sockaddr_in6 *) &addr)->sin6_port), 9000);
    const char *bad [] = { "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
                           "[::1]9000", "[::1", "no-such-host.invalid:80", "" };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        err [0] = 0;
        assert_int_equal (ss_http_address (bad [b], &addr, &len, err, sizeof err), -1);
        assert_true (strlen (err) > 10);
    }
}

//  One request (HTTP/1.0, so the server closes); the whole answer
static char *
s_get (int port, const char *request)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                              .sin_addr.s_addr = htonl (0x7f000001) };
    assert_int_equal (connect (fd, (struct sockaddr *) &to, sizeof to), 0);
    assert_true (write (fd, request, strlen (request)) == (ssize_t) strlen (request));
    size_t cap = 1 << 16, used = 0;
    char *text = malloc (cap);
    ssize_t got;
    while ((got = read (fd, text + used, cap - used - 1)) > 0) {
        used += (size_t) got;
        if (cap - used < 1024)
            text = realloc (text, cap *= 2);
    }
    text [used] = 0;
    close (fd);
    return text;
}

static int
s_status (const char *answer)
{
    int status = 0;
    sscanf (answer, "HTTP/1.%*d %d", &status);
    return status;
}

static bool
s_header (const char *answer, const char *header)
{
    const char *end = strstr (answer, "\r\n\r\n");
    const char *at = strcasestr (answer, header);
    return at && end && at < end;
}

static void
test_serve (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    static const char *const reasons [] = { "undecodable frame" };
    ss_view_t *view = ss_view_new ("web", &P->model, 2, 50, reasons, 1);
    double x [4] = { 0.25, 0.5, 0.75, 0.5 };
    ss_view_row_t row = { .round = 20, .agents = 2, .x = x, .score = { .J = 0.5 } };
    ss_view_row (view, &row, P, 1.0);
    char err [256];
    int rc = -1;
    ss_http_t *http = ss_http_new ("127.0.0.1:0", view, err, sizeof err, &rc);
    assert_non_null (http);
    assert_int_equal (rc, 0);
    assert_true (ss_http_loopback (http));
    int port = 0;
    assert_int_equal (sscanf (ss_http_url (http), "http://127.0.0.1:%d/", &port), 1);
    assert_true (port > 0);

    char *answer = s_get (port, "GET /metrics HTTP/1.0\r\n\r\n");
    assert_int_equal (s_status (answer), 200);
    assert_true (s_header (answer, "Content-Type: text/plain; version=0.0.4"));
    assert_true (s_header (answer, "Cache-Control: no-store"));
    assert_non_null (strstr (answer, "\nswarmshape_round 20\n"));
    free (answer);

    answer = s_get (port, "GET /state.json HTTP/1.0\r\n\r\n");
    assert_int_equal (s_status (answer), 200);
    assert_true (s_header (answer, "Content-Type: application/json"));
    assert_non_null (strstr (answer, "\"fleet\":\"web\""));
    assert_non_null (strstr (answer, "\"round\":20"));
    free (answer);

    //  The page and its script, whole, with their policy
    for (const ss_web_file_t *file = ss_web_files; file->path; file++) {
        char request [128];
        snprintf (request, sizeof request, "GET %s HTTP/1.0\r\n\r\n", file->path);
        answer = s_get (port, request);
        assert_int_equal (s_status (answer), 200);
        assert_true (s_header (answer, "Content-Security-Policy: default-src 'none'"));
        const char *body = strstr (answer, "\r\n\r\n") + 4;
        assert_int_equal (strlen (body), file->size);
        assert_memory_equal (body, file->data, file->size);
        free (answer);
    }
    answer = s_get (port, "GET / HTTP/1.0\r\n\r\n");
    assert_int_equal (s_status (answer), 200);
    assert_true (s_header (answer, "Content-Type: text/html"));
    assert_non_null (strstr (answer, "<canvas"));
    assert_non_null (strstr (answer, "<script src=\"live.js\">"));
    assert_null (strstr (answer, "http://"));       //  nothing fetched from elsewhere
    assert_null (strstr (answer, "https://"));
    free (answer);

    answer = s_get (port, "HEAD /metrics HTTP/1.0\r\n\r\n");
    assert_int_equal (s_status (answer), 200);
    assert_string_equal (strstr (answer, "\r\n\r\n"), "\r\n\r\n");
    free (answer);

    answer = s_get (port, "GET /nothing HTTP/1.0\r\n\r\n");
    assert_int_equal (s_status (answer), 404);
    free (answer);
    const char *writes [] = { "POST /metrics HTTP/1.0\r\nContent-Length: 4\r\n\r\nstop",
                              "PUT /state.json HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
                              "DELETE / HTTP/1.0\r\n\r\n" };
    for (size_t w = 0; w < sizeof writes / sizeof writes [0]; w++) {
        answer = s_get (port, writes [w]);
        assert_int_equal (s_status (answer), 405);
        assert_true (s_header (answer, "Allow: GET, HEAD"));
        free (answer);
    }
    //  A port in use: refused with a reason, exit status 1
    char address [32];
    snprintf (address, sizeof address, "127.0.0.1:%d", port);
    assert_null (ss_http_new (address, view, err, sizeof err, &rc));
    assert_int_equal (rc, 1);
    assert_non_null (strstr (err, "cannot serve"));
    assert_null (ss_http_new ("127.0.0.1:http", view, err, sizeof err, &rc));
    assert_int_equal (rc, 2);

    ss_http_destroy (&http);
    assert_null (http);
    ss_http_destroy (&http);
    ss_view_destroy (&view);
    ss_problem_destroy (&P);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_address),
        cmocka_unit_test (test_serve),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
