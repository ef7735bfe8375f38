/*  agentd/ss_datagram: sealed UDP datagrams. The sealing rules without a
    socket (round trip, every altered bit, every truncation, another pair's
    key, a reflected datagram, a frame too long), then real UDP sockets on
    127.0.0.1: copies delivered, a stranger's datagram, garbage and a
    datagram reflected to its sender refused, nothing left over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>
#include "../../agentd/ss_datagram.h"

typedef struct {
    uint8_t pub [32], sec [32];
} s_keys_t;

static s_keys_t s_a, s_b, s_c;

static int
s_setup (void **state)
{
    (void) state;
    if (sodium_init () < 0)
        return -1;
    crypto_box_keypair (s_a.pub, s_a.sec);
    crypto_box_keypair (s_b.pub, s_b.sec);
    crypto_box_keypair (s_c.pub, s_c.sec);
    return 0;
}

static const char s_frame [] = "an estimate's msgpack bytes, 44 of them here";

static void
test_pair_key (void **state)
{
    (void) state;
    uint8_t ab [SS_DATAGRAM_KEY], ba [SS_DATAGRAM_KEY], ac [SS_DATAGRAM_KEY];
    assert_int_equal (ss_datagram_pair_key (s_a.sec, s_b.pub, ab), 0);
    assert_int_equal (ss_datagram_pair_key (s_b.sec, s_a.pub, ba), 0);
    assert_int_equal (ss_datagram_pair_key (s_a.sec, s_c.pub, ac), 0);
    //  The same both ways, another for another pair
    assert_memory_equal (ab, ba, sizeof ab);
    assert_memory_not_equal (ab, ac, sizeof ab);
    //  A low-order point (all zeros) is refused
    uint8_t zero [32] = { 0 };
    assert_int_equal (ss_datagram_pair_key (s_a.sec, zero, ac), -1);
}

static void
test_seal_open (void **state)
{
    (void) state;
    uint8_t ab [SS_DATAGRAM_KEY], ba [SS_DATAGRAM_KEY], cb [SS_DATAGRAM_KEY];
    ss_datagram_pair_key (s_a.sec, s_b.pub, ab);
    ss_datagram_pair_key (s_b.sec, s_a.pub, ba);
    ss_datagram_pair_key (s_c.sec, s_b.pub, cb);
    size_t size = sizeof s_frame;
    uint8_t datagram [sizeof s_frame + SS_DATAGRAM_OVERHEAD];
    uint8_t other [sizeof datagram];
    uint8_t frame [sizeof s_frame + 8];
    size_t length = ss_datagram_seal (ab, 7, s_frame, size, datagram);
    assert_int_equal (length, size + SS_DATAGRAM_OVERHEAD);
    uint32_t sender = 0;
    assert_int_equal (ss_datagram_sender (datagram, length, &sender), 0);
    assert_int_equal (sender, 7);
    assert_int_equal (ss_datagram_open (ba, datagram, length, frame), (long) size);
    assert_memory_equal (frame, s_frame, size);
    //  Two seals of one frame differ (fresh nonces), both open
    assert_int_equal (ss_datagram_seal (ab, 7, s_frame, size, other), length);
    assert_memory_not_equal (other + 8, datagram + 8, length - 8);
    assert_int_equal (ss_datagram_open (ba, other, length, frame), (long) size);
    //  Every altered bit: refused (the magic by ss_datagram_sender, the rest
    //  by the tag; the sender's id is part of the nonce, so authenticated)
    for (size_t at = 0; at < length; at++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy (other, datagram, length);
            other [at] ^= (uint8_t) (1 << bit);
            assert_int_equal (ss_datagram_open (ba, other, length, frame), -1);
        }
    //  Every truncation, and one byte more
    for (size_t cut = 0; cut < length; cut++)
        assert_int_equal (ss_datagram_open (ba, datagram, cut, frame), -1);
    uint8_t longer [sizeof datagram + 1];
    memcpy (longer, datagram, length);
    longer [length] = 0;
    assert_int_equal (ss_datagram_open (ba, longer, length + 1, frame), -1);
    //  Another pair's key
    assert_int_equal (ss_datagram_open (cb, datagram, length, frame), -1);
    //  Empty and too long frames are not sealed... an empty one is: its
    //  datagram is the overhead alone, which no receiver takes
    static uint8_t big [SS_DATAGRAM_FRAME_MAX + 1 + SS_DATAGRAM_OVERHEAD];
    assert_int_equal (ss_datagram_seal (ab, 7, big, SS_DATAGRAM_FRAME_MAX + 1, big), 0);
    assert_int_equal (ss_datagram_seal (ab, 7, s_frame, 0, other), SS_DATAGRAM_OVERHEAD);
    assert_int_equal (ss_datagram_sender (other, SS_DATAGRAM_OVERHEAD, &sender), -1);
    //  The longest frame goes
    static uint8_t most [SS_DATAGRAM_FRAME_MAX + SS_DATAGRAM_OVERHEAD];
    static uint8_t back [SS_DATAGRAM_FRAME_MAX];
    memset (back, 0x5a, sizeof back);
    assert_int_equal (ss_datagram_seal (ab, 1, back, sizeof back, most), sizeof most);
    assert_int_equal (ss_datagram_open (ba, most, sizeof most, back), SS_DATAGRAM_FRAME_MAX);
}

//  The UDP port a socket was bound to
static int
s_port (ss_datagram_t *self)
{
    struct sockaddr_in addr;
    socklen_t size = sizeof addr;
    assert_int_equal (getsockname (ss_datagram_fd (self), (struct sockaddr *) &addr, &size), 0);
    return ntohs (addr.sin_port);
}

//  The next datagram, waiting up to a second for it: ss_datagram_recv's
//  answer (a bounded loop)
static int
s_recv (ss_datagram_t *self, const uint8_t **frame, size_t *size, int *p)
{
    for (int i = 0; i < 1000; i++) {
        int got = ss_datagram_recv (self, frame, size, p);
        if (got != 0)
            return got;
        usleep (1000);
    }
    return 0;
}

//  A raw UDP datagram to 127.0.0.1:port
static void
s_raw (int port, const void *data, size_t size)
{
    int fd = socket (AF_INET, SOCK_DGRAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal (sendto (fd, data, size, 0, (struct sockaddr *) &addr, sizeof addr),
                      (ssize_t) size);
    close (fd);
}

static void
test_sockets (void **state)
{
    (void) state;
    char err [256] = "";
    //  Agents 3 (A) and 5 (B) are neighbours; 9 (C) knows B's key, but B
    //  does not take C as a neighbour
    ss_datagram_t *a = ss_datagram_new ("127.0.0.1", 0, 3, s_a.sec, 1, err, sizeof err);
    ss_datagram_t *b = ss_datagram_new ("127.0.0.1", 0, 5, s_b.sec, 1, err, sizeof err);
    ss_datagram_t *c = ss_datagram_new ("127.0.0.1", 0, 9, s_c.sec, 1, err, sizeof err);
    assert_non_null (a);
    assert_non_null (b);
    assert_non_null (c);
    int pa = s_port (a), pb = s_port (b);
    assert_int_equal (ss_datagram_peer (a, 0, 5, s_b.pub, "127.0.0.1", pb, err, sizeof err), 0);
    assert_int_equal (ss_datagram_peer (b, 0, 3, s_a.pub, "localhost", pa, err, sizeof err), 0);
    assert_int_equal (ss_datagram_peer (c, 0, 5, s_b.pub, "127.0.0.1", pb, err, sizeof err), 0);
    //  Bad peers: clear errors
    assert_int_equal (ss_datagram_peer (a, 1, 5, s_b.pub, "127.0.0.1", pb, err, sizeof err), -1);
    assert_non_null (strstr (err, "no neighbour"));
    assert_int_equal (ss_datagram_peer (a, 0, 5, s_b.pub, "no-such-host.invalid", pb, err,
                                        sizeof err), -1);
    assert_non_null (strstr (err, "cannot resolve"));
    //  Nothing there yet
    const uint8_t *frame;
    size_t size;
    int p = -1;
    assert_int_equal (ss_datagram_recv (b, &frame, &size, &p), 0);
    //  Three copies from A: three frames at B, each A's
    assert_int_equal (ss_datagram_send (a, 0, s_frame, sizeof s_frame, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (s_recv (b, &frame, &size, &p), 1);
        assert_int_equal (p, 0);
        assert_int_equal (size, sizeof s_frame);
        assert_memory_equal (frame, s_frame, size);
    }
    //  And back
    assert_int_equal (ss_datagram_send (b, 0, "pong", 4, 1), 1);
    assert_int_equal (s_recv (a, &frame, &size, &p), 1);
    assert_int_equal (size, 4);
    //  No such neighbour, a frame too long: nothing sent
    assert_int_equal (ss_datagram_send (a, 1, s_frame, sizeof s_frame, 1), 0);
    static uint8_t big [SS_DATAGRAM_FRAME_MAX + 1];
    assert_int_equal (ss_datagram_send (a, 0, big, sizeof big, 2), 0);
    //  C is no neighbour of B: refused
    assert_int_equal (ss_datagram_send (c, 0, s_frame, sizeof s_frame, 1), 1);
    assert_int_equal (s_recv (b, &frame, &size, &p), -1);
    //  A datagram A sent to B, reflected back to A (same pair key both
    //  ways): it names A as its sender, and A refuses it
    uint8_t ab [SS_DATAGRAM_KEY];
    ss_datagram_pair_key (s_a.sec, s_b.pub, ab);
    uint8_t sealed [sizeof s_frame + SS_DATAGRAM_OVERHEAD];
    size_t length = ss_datagram_seal (ab, 3, s_frame, sizeof s_frame, sealed);
    s_raw (pa, sealed, length);
    assert_int_equal (s_recv (a, &frame, &size, &p), -1);
    //  ... while the same bytes at B open
    s_raw (pb, sealed, length);
    assert_int_equal (s_recv (b, &frame, &size, &p), 1);
    //  Garbage, an empty datagram, one too long, a forged one with B's
    //  neighbour's id: refused, one each
    s_raw (pb, "garbage", 7);
    assert_int_equal (s_recv (b, &frame, &size, &p), -1);
    s_raw (pb, "", 0);
    assert_int_equal (s_recv (b, &frame, &size, &p), -1);
    static uint8_t huge [9000];
    memcpy (huge, sealed, length);
    s_raw (pb, huge, sizeof huge);
    assert_int_equal (s_recv (b, &frame, &size, &p), -1);
    sealed [length - 1] ^= 1;
    s_raw (pb, sealed, length);
    assert_int_equal (s_recv (b, &frame, &size, &p), -1);
    //  Nothing left over
    assert_int_equal (ss_datagram_recv (b, &frame, &size, &p), 0);
    assert_int_equal (ss_datagram_recv (a, &frame, &size, &p), 0);
    ss_datagram_destroy (&a);
    ss_datagram_destroy (&b);
    ss_datagram_destroy (&c);
    assert_null (a);
    //  A port taken, an address that is not one: clear errors
    ss_datagram_t *first = ss_datagram_new ("127.0.0.1", 0, 1, s_a.sec, 1, err, sizeof err);
    assert_non_null (first);
    assert_null (ss_datagram_new ("127.0.0.1", s_port (first), 2, s_b.sec, 1, err, sizeof err));
    assert_non_null (strstr (err, "cannot bind udp://127.0.0.1:"));
    assert_null (ss_datagram_new ("not-an-address", 0, 2, s_b.sec, 1, err, sizeof err));
    assert_non_null (strstr (err, "not an IPv4 address"));
    ss_datagram_destroy (&first);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_pair_key),
        cmocka_unit_test (test_seal_open),
        cmocka_unit_test (test_sockets),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
