/*  fuzz_report: libFuzzer target for ss_report_decode.

    Any input must decode to a message or an error code. A decoded message
    must re-encode, and the re-encoded frame must decode to the same
    message; otherwise abort ().
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_proto.h"

static int
s_doubles_eq (const double *a, const double *b, size_t n)
{
    return memcmp (a, b, n * sizeof (double)) == 0;
}

static int
s_header_eq (const ss_header_t *a, const ss_header_t *b)
{
    return a->version == b->version && a->type == b->type
        && a->fleet == b->fleet && a->epoch == b->epoch
        && a->round == b->round && a->sender == b->sender;
}

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

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    ss_report_t msg;
    int rc = ss_report_decode (data, size, &msg);
    if (rc > 0 || rc < SS_PROTO_ETOOBIG || ss_proto_strerror (rc) == NULL)
        abort ();
    if (rc != 0)
        return 0;
    uint8_t *frame;
    size_t frame_size;
    if (ss_report_encode (&msg, &frame, &frame_size) != 0)
        abort ();
    ss_report_t again;
    if (ss_report_decode (frame, frame_size, &again) != 0 || !s_eq (&msg, &again))
        abort ();
    free (frame);
    return 0;
}
