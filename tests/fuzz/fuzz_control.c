/*  fuzz_control: libFuzzer target for ss_control_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

static int
s_eq (const ss_control_t *a, const ss_control_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->command == b->command
        && a->arg == b->arg;
}

SS_FUZZ_ROUNDTRIP (control)
