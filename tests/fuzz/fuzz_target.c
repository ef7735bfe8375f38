/*  fuzz_target: libFuzzer target for ss_target_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

static int
s_eq (const ss_target_t *a, const ss_target_t *b)
{
    if (!s_header_eq (&a->hdr, &b->hdr) || a->switch_round != b->switch_round
    ||  a->dim != b->dim || a->mixture.count != b->mixture.count)
        return 0;
    for (int i = 0; i < a->mixture.count; i++) {
        const ss_component_t *ca = &a->mixture.comp [i];
        const ss_component_t *cb = &b->mixture.comp [i];
        if (!s_doubles_eq (&ca->weight, &cb->weight, 1)
        ||  !s_doubles_eq (ca->mean, cb->mean, a->dim)
        ||  !s_doubles_eq (&ca->std, &cb->std, 1))
            return 0;
    }
    return 1;
}

SS_FUZZ_ROUNDTRIP (target)
