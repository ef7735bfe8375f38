/*  ss_counters: the per-agent counters carried in a REPORT (index into
    ss_report_t.counters). Drops are counted by reason. New entries are
    appended (readers copy min (n_counters, SS_CTR_COUNT)); SS_CTR_COUNT
    stays <= SS_PROTO_MAX_COUNTERS. */
#ifndef SS_COUNTERS_H
#define SS_COUNTERS_H

typedef enum {
    SS_CTR_SENT = 0,        //  estimates sent
    SS_CTR_RECEIVED,        //  estimates accepted
    SS_CTR_DROP_DECODE,     //  frame failed to decode (any ss_proto_err_t)
    SS_CTR_DROP_FLEET,      //  wrong fleet id
    SS_CTR_DROP_AUTH,       //  claimed sender != authenticated name
    SS_CTR_DROP_STRANGER,   //  authenticated, but not a neighbour
    SS_CTR_DROP_ROUND,      //  replayed, stale or too far ahead
    SS_CTR_DROP_TYPE,       //  a message type not accepted on that socket
    SS_CTR_TARGETS,         //  targets applied
    SS_CTR_TARGET_ROUND,    //  round at which the last target was applied
    SS_CTR_LATE_TARGETS,    //  targets received after their switch round
    //  Faults (docs/fleet-design.md, "Faults")
    SS_CTR_DROP_STALE,      //  estimate of a round already computed
    SS_CTR_DROP_DUPLICATE,  //  estimate of a round already held
    SS_CTR_TIMEOUTS,        //  rounds run after the deadline, without someone
    SS_CTR_LOST,            //  neighbours declared lost
    SS_CTR_READMITTED,      //  lost neighbours heard from again
    SS_CTR_JUMPS,           //  jumps ahead to a neighbour's round
    SS_CTR_EPOCH_RESETS,    //  epoch changes (each re-initialises s)
    SS_CTR_CHECKPOINTS,     //  checkpoints written
    SS_CTR_RESUMED,         //  1 if this run resumed from a checkpoint
    SS_CTR_DEGREE,          //  live degree now (a value, not a count)
    SS_CTR_COUNT
} ss_counter_t;

#endif
