/*  fuzz_heartbeat: libFuzzer target for ss_heartbeat_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

static int
s_eq (const ss_heartbeat_t *a, const ss_heartbeat_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->degree == b->degree
        && a->state == b->state;
}

SS_FUZZ_ROUNDTRIP (heartbeat)
