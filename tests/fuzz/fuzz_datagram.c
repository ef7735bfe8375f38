/*  fuzz_datagram: libFuzzer target for agentd's sealed datagrams
    (agentd/ss_datagram.h), what a receiver does with every UDP datagram
    that reaches its port.

    The first input byte chooses:
    - even: the rest is a datagram off the wire. ss_datagram_sender and
      ss_datagram_open must answer without reading past it, and nothing the
      fuzzer makes may authenticate under a pair key it does not hold;
    - odd: the rest is a frame, sealed by agent 3 for agent 5. It must
      open at 5 to the same bytes (then ss_msg_decode answers a message or
      an error code), name sender 3, and refuse to open once any one byte
      (chosen by the frame's first byte) is altered, or when truncated
      (by its second byte).
    Anything else aborts with a one-line reason.
*/
#include <string.h>
#include <sodium.h>
#include "fuzz_roundtrip.h"
#include "../../agentd/ss_datagram.h"

static uint8_t s_ab [SS_DATAGRAM_KEY], s_ba [SS_DATAGRAM_KEY];

static void
s_keys (void)
{
    static bool ready = false;
    if (ready)
        return;
    if (sodium_init () < 0)
        ss_fuzz_check ("libsodium does not start");
    uint8_t seed [crypto_box_SEEDBYTES];
    uint8_t a_pub [32], a_sec [32], b_pub [32], b_sec [32];
    memset (seed, 3, sizeof seed);
    crypto_box_seed_keypair (a_pub, a_sec, seed);
    memset (seed, 5, sizeof seed);
    crypto_box_seed_keypair (b_pub, b_sec, seed);
    if (ss_datagram_pair_key (a_sec, b_pub, s_ab) || ss_datagram_pair_key (b_sec, a_pub, s_ba))
        ss_fuzz_check ("no pair key");
    ready = true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static uint8_t datagram [SS_DATAGRAM_FRAME_MAX + SS_DATAGRAM_OVERHEAD];
    static uint8_t frame [SS_DATAGRAM_FRAME_MAX + SS_DATAGRAM_OVERHEAD];
    static ss_msg_t msg;
    s_keys ();
    if (size == 0)
        return 0;
    const uint8_t *body = data + 1;
    size_t length = size - 1;
    if ((data [0] & 1) == 0) {
        //  Off the wire: a copy exactly its size (ASan sees any read past)
        uint8_t *copy = malloc (length? length: 1);
        if (!copy)
            return 0;
        memcpy (copy, body, length);
        uint32_t sender;
        int named = ss_datagram_sender (copy, length, &sender);
        long opened = length <= sizeof frame? ss_datagram_open (s_ba, copy, length, frame): -1;
        if (opened >= 0)
            ss_fuzz_check ("a forged datagram authenticated");
        if (named == 0 && length <= SS_DATAGRAM_OVERHEAD)
            ss_fuzz_check ("a datagram with no frame named a sender");
        free (copy);
        return 0;
    }
    size_t sealed = ss_datagram_seal (s_ab, 3, body, length, datagram);
    if (length > SS_DATAGRAM_FRAME_MAX) {
        if (sealed)
            ss_fuzz_check ("a frame too long was sealed");
        return 0;
    }
    if (sealed != length + SS_DATAGRAM_OVERHEAD)
        ss_fuzz_check ("a sealed datagram of the wrong size");
    uint32_t sender = 0;
    if (length > 0 && (ss_datagram_sender (datagram, sealed, &sender) || sender != 3))
        ss_fuzz_check ("a sealed datagram does not name its sender");
    if (length > 0 && ss_datagram_open (s_ba, datagram, sealed, frame) != (long) length)
        ss_fuzz_check ("a sealed datagram does not open");
    if (length > 0 && memcmp (frame, body, length))
        ss_fuzz_check ("a datagram opened to other bytes");
    if (length > 0 && !ss_test_valid_code (ss_msg_decode (frame, length, &msg)))
        ss_fuzz_check ("the decoder returned an invalid code on an opened frame");
    if (length > 0) {
        size_t at = body [0] % sealed;
        datagram [at] ^= (uint8_t) (1 + (length > 1? body [1] % 255: 0));
        if (ss_datagram_open (s_ba, datagram, sealed, frame) >= 0)
            ss_fuzz_check ("an altered datagram opened");
        datagram [at] ^= (uint8_t) (1 + (length > 1? body [1] % 255: 0));
        size_t cut = length > 1? body [1] % sealed: 0;
        if (ss_datagram_open (s_ba, datagram, cut, frame) >= 0)
            ss_fuzz_check ("a truncated datagram opened");
    }
    return 0;
}
