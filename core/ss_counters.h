/*  ss_counters: the per-agent counters carried in a REPORT (index into
    ss_report_t.counters), kept by agentd and by its neighbour set
    (ss_peers). Drops are counted by reason. New entries are appended
    (readers copy min (n_counters, SS_CTR_COUNT)); SS_CTR_COUNT stays <=
    SS_PROTO_MAX_COUNTERS (32). ss_counter_name gives each a short name
    for logs and the status page. */
#ifndef SS_COUNTERS_H
#define SS_COUNTERS_H

typedef enum {
    SS_CTR_SENT = 0,        //  estimates sent
    SS_CTR_RECEIVED,        //  estimates accepted
    SS_CTR_DROP_DECODE,     //  frame failed to decode (any ss_proto_err_t)
    SS_CTR_DROP_FLEET,      //  wrong fleet id
    SS_CTR_DROP_AUTH,       //  claimed sender != authenticated name
    SS_CTR_DROP_STRANGER,   //  authenticated, but not a neighbour
    SS_CTR_DROP_ROUND,      //  a round outside the run, or too far ahead
    SS_CTR_DROP_TYPE,       //  a message type not accepted on that socket
    SS_CTR_TARGETS,         //  targets applied
    SS_CTR_TARGET_ROUND,    //  round at which the last target was applied
    SS_CTR_LATE_TARGETS,    //  targets received after their switch round
    //  Faults (docs/fleet-design.md, "Faults")
    SS_CTR_DROP_STALE,      //  estimate of a round already computed (late)
    SS_CTR_DROP_DUPLICATE,  //  estimate of a round already held
    SS_CTR_SUBSTITUTIONS,   //  rounds run without a live neighbour's estimate
    SS_CTR_LOST,            //  neighbours declared lost
    SS_CTR_READMITTED,      //  lost neighbours heard from again
    SS_CTR_JUMPS,           //  jumps ahead to the neighbours' round
    SS_CTR_EPOCH_CHANGES,   //  epoch changes (each re-initialises s)
    SS_CTR_CHECKPOINTS,     //  checkpoints written
    SS_CTR_RESUMED,         //  1 if this run resumed from a checkpoint
    SS_CTR_DEGREE,          //  live degree now (a value, not a count)
    //  Fleet at scale and lossy links
    SS_CTR_EVASIVE,         //  neighbours gone evasive (silent, pinged)
    SS_CTR_WANTS,           //  repair requests sent (a neighbour's estimate missing)
    SS_CTR_RESENDS,         //  estimates sent again on request
    SS_CTR_DROP_EPOCH,      //  an epoch beyond what the fleet can have made
    SS_CTR_DROP_VALUE,      //  a value beyond the fleet's bounds
    SS_CTR_CLAMPED,         //  rounds whose state had to be clamped
    SS_CTR_DROP_OVERFLOW,   //  frames dropped: a queue was full
    SS_CTR_TCP_TUNED,       //  tcp:// connections given the links' TCP options
    SS_CTR_COPIES,          //  estimates sent a second time at once, on another connection
    SS_CTR_CONN_LIMITED,    //  connections refused: too many from one address
    SS_CTR_DATAGRAMS,       //  sealed UDP datagrams sent (links/datagrams)
    SS_CTR_COUNT
} ss_counter_t;

//  Short name of a counter ("sent", "stale round", ...)
static inline const char *
ss_counter_name (int counter)
{
    static const char *names [SS_CTR_COUNT] = {
        "sent", "received", "undecodable", "wrong fleet", "bad authentication",
        "not a neighbour", "wrong round", "wrong type", "targets",
        "target round", "late targets", "stale round", "duplicate",
        "substitutions", "lost", "re-admitted", "jumps", "epoch changes",
        "checkpoints", "resumed", "live degree", "evasive", "wants",
        "resends", "epoch out of range", "value out of range", "clamped",
        "queue full", "tcp tuned", "copies", "address limit", "datagrams"
    };
    return counter >= 0 && counter < SS_CTR_COUNT? names [counter]: "?";
}

#endif
