/*  ss_proto: the swarmshape wire protocol, version 2.

    Every message is one ZeroMQ frame holding one msgpack array:
        [version, type, fleet, epoch, round, sender, ...body]
    The field tables are in proto/README.md. Encoding uses msgpack-c's
    packer, into a buffer the caller owns (nothing is allocated per
    message) or, for convenience, into a new buffer. Decoding does NOT use
    msgpack-c's object unpacker: that one allocates from the array length
    an input claims (a 5-byte array32 header can ask for gigabytes).
    Instead a small cursor reads exactly the schema of each message into
    fixed-size structs: it allocates nothing, never recurses, and every
    failure is an error code, never a crash. A receiver decodes a frame
    once, into the tagged ss_msg_t, and dispatches on its type.

    Version 2 (the fleet-at-scale and lossy-links issues): ESTIMATE carries
    the sender's cumulative tracker mass on the link (fixed point, see
    ss_round.h) instead of its tracker; HEARTBEAT carries a repair request
    (`want`) and the start barrier's state; TARGET may carry a grid of
    levels (an image target) instead of, or beside, a mixture.
*/
#ifndef SS_PROTO_H
#define SS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "ss_model.h"
#include "ss_peers.h"         //  ss_state_t, the heartbeat's state

#define SS_PROTO_VERSION     2
#define SS_PROTO_MAX_FRAME   (64 * 1024)    //  larger frames are refused
#define SS_PROTO_MAX_COUNTERS 32
//  Values of larger magnitude are refused as absurd (theta, s, x, target)
#define SS_PROTO_MAX_MAGNITUDE 1e6
//  Largest grid of a TARGET (bytes, one level per quadrature node)
#define SS_PROTO_MAX_GRID    SS_MAX_GRID

typedef enum {
    SS_MSG_ESTIMATE  = 1,   //  agent -> neighbour, every round
    SS_MSG_HEARTBEAT = 2,   //  agent -> neighbours / coordinator, periodic
    SS_MSG_REPORT    = 3,   //  agent -> coordinator, every report_every
    SS_MSG_TARGET    = 4,   //  coordinator -> agents: new target
    SS_MSG_CONTROL   = 5    //  coordinator -> agents: stop, ...
} ss_msg_type_t;

typedef enum {
    SS_PROTO_OK = 0,
    SS_PROTO_ETRUNCATED = -1,   //  frame ends inside a value
    SS_PROTO_ETYPE = -2,        //  a value of the wrong msgpack type
    SS_PROTO_EVERSION = -3,     //  unknown protocol version
    SS_PROTO_EMSGTYPE = -4,     //  unknown or unexpected message type
    SS_PROTO_ELENGTH = -5,      //  array of the wrong length
    SS_PROTO_ENONFINITE = -6,   //  NaN or Inf
    SS_PROTO_ERANGE = -7,       //  a number out of its range
    SS_PROTO_ETRAILING = -8,    //  bytes after the message
    SS_PROTO_ETOOBIG = -9,      //  frame larger than SS_PROTO_MAX_FRAME
    SS_PROTO_ENOMEM = -10       //  encoder could not allocate, or the
                                //  caller's buffer is too small
} ss_proto_err_t;

//  Header common to every message
typedef struct {
    uint32_t version;
    uint32_t type;          //  ss_msg_type_t
    uint64_t fleet;         //  fleet id (hash of the fleet's configuration)
    uint64_t epoch;
    uint64_t round;
    uint32_t sender;        //  agent id; UINT32_MAX for the coordinator
} ss_header_t;

#define SS_PROTO_COORDINATOR UINT32_MAX

//  ESTIMATE: the sender's theta and the cumulative mass of its tracker it
//  has sent on this link in its current epoch (two's complement fixed
//  point, modulo 2^64: see ss_round_mass)
typedef struct {
    ss_header_t hdr;
    uint32_t degree;        //  sender's live degree
    uint32_t k;             //  length of theta and mass
    double theta [SS_MAX_K];
    uint64_t mass [SS_MAX_K];
} ss_estimate_t;

typedef struct {
    ss_header_t hdr;        //  round: the sender's current round
    uint32_t degree;
    uint32_t state;         //  ss_state_t
    uint64_t want;          //  0, or r + 1: "resend me your ESTIMATE of round r"
} ss_heartbeat_t;

typedef struct {
    ss_header_t hdr;
    uint32_t dim;
    double x [SS_MAX_DIM];
    double x0 [SS_MAX_DIM];
    double step;            //  |v| of the last round
    uint32_t k;
    double theta [SS_MAX_K];
    double s [SS_MAX_K];
    uint32_t n_counters;
    uint64_t counters [SS_PROTO_MAX_COUNTERS];
} ss_report_t;

//  TARGET: a mixture (mixture.count components) and/or a grid of levels
//  (mixture.cells bytes); at least one of the two
typedef struct {
    ss_header_t hdr;
    uint64_t switch_round;  //  every agent uses the new target from here
    uint32_t dim;
    ss_mixture_t mixture;
} ss_target_t;

typedef enum {
    SS_CONTROL_STOP = 1,    //  arg: the round after which to stop
    SS_CONTROL_STATUS = 2   //  operator -> coordinator: how is the run?
                            //  reply arg: last complete round
} ss_control_cmd_t;

typedef struct {
    ss_header_t hdr;
    uint32_t command;
    uint64_t arg;
} ss_control_t;

//  One decoded frame, tagged by hdr.type (every member starts with hdr)
typedef union {
    ss_header_t hdr;
    ss_estimate_t estimate;
    ss_heartbeat_t heartbeat;
    ss_report_t report;
    ss_target_t target;
    ss_control_t control;
} ss_msg_t;

//  Encoders into the caller's buffer (cap bytes): 0 and *size, or an
//  ss_proto_err_t (SS_PROTO_ENOMEM when cap is too small). They write
//  hdr.version and hdr.type themselves; the caller's are ignored.
int ss_estimate_encode_into (const ss_estimate_t *msg, uint8_t *buf, size_t cap, size_t *size);
int ss_heartbeat_encode_into (const ss_heartbeat_t *msg, uint8_t *buf, size_t cap, size_t *size);
int ss_report_encode_into (const ss_report_t *msg, uint8_t *buf, size_t cap, size_t *size);
int ss_target_encode_into (const ss_target_t *msg, uint8_t *buf, size_t cap, size_t *size);
int ss_control_encode_into (const ss_control_t *msg, uint8_t *buf, size_t cap, size_t *size);

//  Encoders into a newly allocated buffer (*data, *size, free with free()).
//  Return 0 or an ss_proto_err_t (nothing allocated).
int ss_estimate_encode (const ss_estimate_t *msg, uint8_t **data, size_t *size);
int ss_heartbeat_encode (const ss_heartbeat_t *msg, uint8_t **data, size_t *size);
int ss_report_encode (const ss_report_t *msg, uint8_t **data, size_t *size);
int ss_target_encode (const ss_target_t *msg, uint8_t **data, size_t *size);
int ss_control_encode (const ss_control_t *msg, uint8_t **data, size_t *size);

//  The largest ESTIMATE and REPORT frames for k features
size_t ss_estimate_max_size (uint32_t k);
size_t ss_report_max_size (uint32_t k);

//  Read only the header (to dispatch on type). Returns 0 or an error.
int ss_header_decode (const uint8_t *data, size_t size, ss_header_t *hdr);

//  Decode any message once: 0 and msg->hdr.type tells which member is
//  filled, or an ss_proto_err_t. Total over any byte string; allocates
//  nothing.
int ss_msg_decode (const uint8_t *data, size_t size, ss_msg_t *msg);

//  Decoders of one type: total over any byte string. Return 0 and fill msg,
//  or an ss_proto_err_t with msg unspecified. Never allocate.
int ss_estimate_decode (const uint8_t *data, size_t size, ss_estimate_t *msg);
int ss_heartbeat_decode (const uint8_t *data, size_t size, ss_heartbeat_t *msg);
int ss_report_decode (const uint8_t *data, size_t size, ss_report_t *msg);
int ss_target_decode (const uint8_t *data, size_t size, ss_target_t *msg);
int ss_control_decode (const uint8_t *data, size_t size, ss_control_t *msg);

//  A short static name for an error code ("truncated", "wrong version", ...)
const char *ss_proto_strerror (int err);

#endif
