/*  fuzz_report: libFuzzer target for ss_report_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

static int
s_eq (const ss_report_t *a, const ss_report_t *b)
{
    return s_header_eq (&a->hdr, &b->hdr) && a->dim == b->dim
        && s_doubles_eq (a->x, b->x, a->dim)
        && s_doubles_eq (a->x0, b->x0, a->dim)
        && s_doubles_eq (&a->step, &b->step, 1)
        && a->k == b->k && s_doubles_eq (a->theta, b->theta, a->k)
        && s_doubles_eq (a->s, b->s, a->k)
        && a->n_counters == b->n_counters
        && memcmp (a->counters, b->counters,
                   a->n_counters * sizeof (uint64_t)) == 0;
}

SS_FUZZ_ROUNDTRIP (report)
