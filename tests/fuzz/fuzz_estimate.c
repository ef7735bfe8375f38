/*  fuzz_estimate: libFuzzer target for ss_estimate_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

static int
s_eq (const ss_estimate_t *a, const ss_estimate_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->degree == b->degree
        && a->k == b->k && s_doubles_eq (a->theta, b->theta, a->k)
        && s_doubles_eq (a->s, b->s, a->k);
}

SS_FUZZ_ROUNDTRIP (estimate)
