/*  fuzz_estimate: libFuzzer target for ss_estimate_decode.

    Any input must decode to a message or an error code, ss_msg_decode must
    agree with ss_estimate_decode, and a decoded message must survive both
    encoders and decode to itself again (fuzz_roundtrip.h); otherwise
    abort ().
*/
#include "fuzz_roundtrip.h"

SS_FUZZ_ROUNDTRIP (SS_MSG_ESTIMATE)
