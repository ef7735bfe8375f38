/*  What every typed decoder's fuzz target checks, written once (the checks
    themselves are tests/unit/ss_testproto.h, shared with test_proto):

    - any input decodes to a message or to a decoder's error code;
    - ss_msg_decode agrees with the typed decoder (same code; the same
      message; EMSGTYPE from the typed one where the frame is of another
      type, which the tagged one decodes as that type's decoder does);
    - a decoded message re-encodes with both encoders to the same bytes,
      the `_into` encoder refuses a buffer one byte short (ENOMEM, nothing
      written past it), and the frame decodes, typed and tagged, to the same
      message, which re-encodes to the same bytes.

    Anything else prints what failed and aborts. A target says
    SS_FUZZ_ROUNDTRIP (SS_MSG_ESTIMATE), etc.
*/
#ifndef SS_FUZZ_ROUNDTRIP_H
#define SS_FUZZ_ROUNDTRIP_H

#include <stdio.h>
#include <stdlib.h>
#include "../unit/ss_testproto.h"

static inline void
ss_fuzz_check (const char *why)
{
    if (why) {
        fprintf (stderr, "fuzz: %s\n", why);
        abort ();
    }
}

//  The checks above for the decoder of `type` on one input
static inline void
ss_fuzz_typed (uint32_t type, const uint8_t *data, size_t size)
{
    static ss_msg_t msg;
    int rc = ss_test_decode (type, data, size, &msg);
    if (!ss_test_valid_code (rc))
        ss_fuzz_check ("typed decoder returned an invalid code");
    ss_fuzz_check (ss_test_msg_agrees (type, data, size, rc, &msg));
    if (rc == 0)
        ss_fuzz_check (ss_test_round_trip (type, &msg, NULL));
}

#define SS_FUZZ_ROUNDTRIP(TYPE) \
int \
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) \
{ \
    ss_fuzz_typed (TYPE, data, size); \
    return 0; \
}

#endif
