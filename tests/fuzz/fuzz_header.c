/*  fuzz_header: libFuzzer target for ss_header_decode.

    Any input must give a header or an error code. When the full decoder of
    the header's type also accepts the input, both must agree on the header,
    and the message must survive a re-encode and decode; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

//  Full decode of a frame of the given type; its header in *hdr.
//  Returns the decoder's code.
static int
s_full_decode (uint32_t type, const uint8_t *data, size_t size, ss_header_t *hdr)
{
    int rc = -1;
    uint8_t *frame = NULL;
    size_t frame_size = 0;
    switch (type) {
        #define CASE(TYPE, name) \
        case TYPE: { \
            ss_##name##_t msg, again; \
            rc = ss_##name##_decode (data, size, &msg); \
            if (rc) \
                return rc; \
            *hdr = msg.hdr; \
            if (ss_##name##_encode (&msg, &frame, &frame_size) != 0 \
            ||  ss_##name##_decode (frame, frame_size, &again) != 0 \
            ||  !s_header_eq (&msg.hdr, &again.hdr)) \
                abort (); \
            free (frame); \
            return 0; \
        }
        CASE (SS_MSG_ESTIMATE, estimate)
        CASE (SS_MSG_HEARTBEAT, heartbeat)
        CASE (SS_MSG_REPORT, report)
        CASE (SS_MSG_TARGET, target)
        CASE (SS_MSG_CONTROL, control)
        #undef CASE
    }
    abort ();       //  the header decoder let an unknown type through
    return rc;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    ss_header_t hdr;
    int rc = ss_header_decode (data, size, &hdr);
    if (rc > 0 || rc < SS_PROTO_ETOOBIG)
        abort ();
    if (rc != 0)
        return 0;
    if (hdr.version != SS_PROTO_VERSION)
        abort ();
    ss_header_t full;
    if (s_full_decode (hdr.type, data, size, &full) == 0
    &&  !s_header_eq (&hdr, &full))
        abort ();
    return 0;
}
