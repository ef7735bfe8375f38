/*  fuzz_zap: libFuzzer target for ss_zap_answer, the ZAP request parser.

    The input is a list of frames, each one length byte then that many
    bytes (the last frame is cut where the input ends); the ring holds the
    keys 0x10 x 32 (agent-0), 0x11 x 32 (agent-1) and 0x12 x 32
    (operator), and agent-1 and operator are admitted. Any request must be
    answered with a well-formed reply (6 frames: "1.0", the request id,
    200/400/500, a text, the user id, empty metadata) or, without a
    request id, not at all; 200 exactly for a 7-frame "1.0" CURVE request
    whose 32-byte key is an admitted one, with its name as user id; the
    decision's address is printable; otherwise abort ().
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_zap.h"

static ss_zap_t *s_zap;

static void
s_init (void)
{
    ss_keyring_t *ring = ss_keyring_new ();
    const char *names [] = { "agent-0", "agent-1", "operator" };
    char err [256];
    for (int i = 0; i < 3; i++) {
        uint8_t key [32];
        memset (key, 0x10 + i, 32);
        if (!ring || ss_keyring_add (ring, names [i], key, NULL, err, sizeof err))
            abort ();
    }
    s_zap = ss_zap_new (ring, "agent-1", "operator", NULL);
    ss_keyring_destroy (&ring);
    if (!s_zap)
        abort ();
}

static bool
s_frame_is (zframe_t *frame, const char *text)
{
    return frame && zframe_streq (frame, text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_zap)
        s_init ();
    zmsg_t *request = zmsg_new ();
    size_t at = 0;
    while (at < size) {
        size_t length = data [at++];
        if (length > size - at)
            length = size - at;
        zmsg_addmem (request, data + at, length);
        at += length;
    }
    ss_zap_decision_t decision;
    zmsg_t *reply = ss_zap_answer (s_zap, request, &decision);
    size_t n = zmsg_size (request);
    if ((reply == NULL) != (n < 2) || decision.verdict >= SS_ZAP_VERDICTS)
        abort ();
    for (const char *c = decision.address; *c; c++)
        if (*c < 32 || *c > 126)
            abort ();
    if (strlen (decision.address) >= sizeof decision.address)
        abort ();
    //  What the verdict must be
    zframe_t *frame [8] = { NULL };
    zframe_t *each = zmsg_first (request);
    for (size_t i = 0; i < 8 && each; i++, each = zmsg_next (request))
        frame [i] = each;
    const char *want = NULL;
    if (n == 7 && s_frame_is (frame [0], "1.0") && s_frame_is (frame [5], "CURVE")
    &&  zframe_size (frame [6]) == 32) {
        uint8_t one [32], two [32];
        memset (one, 0x11, 32);
        memset (two, 0x12, 32);
        want = memcmp (zframe_data (frame [6]), one, 32) == 0? "agent-1":
               memcmp (zframe_data (frame [6]), two, 32) == 0? "operator": NULL;
    }
    if ((decision.verdict == SS_ZAP_ADMITTED) != (want != NULL))
        abort ();
    if (reply) {
        zframe_t *f = zmsg_first (reply);
        if (zmsg_size (reply) != 6 || !s_frame_is (f, "1.0"))
            abort ();
        f = zmsg_next (reply);
        if (!zframe_eq (f, frame [1]))
            abort ();
        f = zmsg_next (reply);
        const char *status = want? "200": decision.verdict == SS_ZAP_MALFORMED? "500": "400";
        if (!s_frame_is (f, status))
            abort ();
        f = zmsg_next (reply);
        if (zframe_size (f) == 0)
            abort ();
        f = zmsg_next (reply);
        if (!s_frame_is (f, want? want: ""))
            abort ();
        if (zframe_size (zmsg_next (reply)) != 0)
            abort ();
    }
    zmsg_destroy (&reply);
    zmsg_destroy (&request);
    return 0;
}
