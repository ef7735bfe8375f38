/*  fuzz_header: libFuzzer target for ss_header_decode.

    Any input must give a header of this version and a known type, or an
    error code that the tagged decoder returns too. When the full decoder
    of the header's type also accepts the input, the header is the
    message's, and the message must survive the round trip of
    fuzz_roundtrip.h; otherwise abort ().
*/
#include "fuzz_roundtrip.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static ss_msg_t msg;
    ss_header_t hdr;
    int rc = ss_header_decode (data, size, &hdr);
    if (!ss_test_valid_code (rc))
        ss_fuzz_check ("header decoder returned an invalid code");
    if (rc != 0) {
        if (ss_msg_decode (data, size, &msg) != rc)
            ss_fuzz_check ("header failed, the tagged decoder said otherwise");
        return 0;
    }
    if (hdr.version != SS_PROTO_VERSION
    ||  hdr.type < SS_MSG_ESTIMATE || hdr.type > SS_MSG_CONTROL)
        ss_fuzz_check ("header decoder let a bad version or type through");
    if (ss_test_decode (hdr.type, data, size, &msg) == 0) {
        if (!ss_test_header_eq (&hdr, &msg.hdr))
            ss_fuzz_check ("header differs from the full decoder's");
        ss_fuzz_check (ss_test_round_trip (hdr.type, &msg, NULL));
    }
    return 0;
}
