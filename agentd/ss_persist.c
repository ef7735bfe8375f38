/*  ss_persist: an agent's checkpoint, state file and resume (ss_persist.h). */

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include "ss_persist.h"
#include "ss_checkpoint.h"
#include "ss_counters.h"
#include "ss_file.h"

#define S_LOG_MSEC 1000

struct ss_persist_t {
    const ss_fleet_t *fleet;
    int id;
    uint64_t fleet_id;
    char ckpt_path [PATH_MAX + 64];
    char state_path [PATH_MAX + 64];
    int64_t logged;             //  the main thread's last error line
    //  The checkpoint writer (s_writer): an actor that writes, fsyncs and
    //  renames the checkpoints the main thread encoded, so that a slow
    //  disk's fsync (every checkpoint_every rounds) never stalls a round
    //  (at 50 agents on this host it cost a fifth of the fleet's pace);
    //  NULL: written in the main thread
    zactor_t *writer;
    uint64_t written;           //  checkpoints written (atomic)
    int64_t writer_logged;      //  the writer's last error line
};

//  Write one encoded checkpoint (frame), counted when it is on disk; 0,
//  or -1 after a rate-limited log line
static int
s_write (ss_persist_t *self, zframe_t *frame, uint64_t round, int64_t *logged)
{
    if (ss_file_write_atomic (self->ckpt_path, zframe_data (frame), zframe_size (frame),
                              0600) == 0) {
        __atomic_fetch_add (&self->written, 1, __ATOMIC_RELAXED);
        return 0;
    }
    int64_t now = zclock_mono ();
    if (*logged == 0 || now - *logged >= S_LOG_MSEC) {
        zsys_error ("%s: cannot write the checkpoint of round %llu: %s", self->ckpt_path,
                    (unsigned long long) round, strerror (errno));
        *logged = now;
    }
    return -1;
}

//  The writer's loop. Commands: CKPT round frame (a checkpoint; when more
//  wait behind it, the newest wins), FLUSH (signals once everything before
//  it is written), $TERM (writes what waits, then ends)
static void
s_writer (zsock_t *pipe, void *args)
{
    ss_persist_t *self = (ss_persist_t *) args;
    zsock_signal (pipe, 0);
    zmsg_t *pending = NULL;
    uint64_t pending_round = 0;
    bool done = false;
    while (!done) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;              //  interrupted
        char *command = zmsg_popstr (msg);
        if (command && streq (command, "CKPT") && zmsg_size (msg) == 2) {
            zmsg_destroy (&pending);
            char *round = zmsg_popstr (msg);
            pending_round = round? strtoull (round, NULL, 10): 0;
            zstr_free (&round);
            pending = msg;
            msg = NULL;
            if (zsock_events (pipe) & ZMQ_POLLIN) {
                zstr_free (&command);
                continue;       //  a newer one may wait: read it first
            }
        }
        if (pending) {
            s_write (self, zmsg_first (pending), pending_round, &self->writer_logged);
            zmsg_destroy (&pending);
        }
        if (command && streq (command, "FLUSH"))
            zsock_signal (pipe, 0);
        else
        if (command && streq (command, "$TERM"))
            done = true;
        zstr_free (&command);
        zmsg_destroy (&msg);
    }
    zmsg_destroy (&pending);
}

ss_persist_t *
ss_persist_new (const ss_fleet_t *fleet, int id, uint64_t fleet_id)
{
    if (ss_mkdirs (fleet->state_dir, 0755)) {
        zsys_error ("%s: cannot create the state directory: %s", fleet->state_dir,
                    strerror (errno));
        return NULL;
    }
    ss_persist_t *self = calloc (1, sizeof (ss_persist_t));
    if (!self)
        return NULL;
    self->fleet = fleet;
    self->id = id;
    self->fleet_id = fleet_id;
    snprintf (self->ckpt_path, sizeof self->ckpt_path, "%s/agent-%d.ckpt",
              fleet->state_dir, id);
    snprintf (self->state_path, sizeof self->state_path, "%s/agent-%d.state",
              fleet->state_dir, id);
    //  The writer's thread takes no signal: they are the main thread's
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    self->writer = zactor_new (s_writer, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (!self->writer)
        zsys_warning ("no checkpoint writer thread: checkpoints are written in the "
                      "agent's loop");
    return self;
}

void
ss_persist_destroy (ss_persist_t **self_p)
{
    ss_persist_t *self = *self_p;
    if (self) {
        zactor_destroy (&self->writer);     //  what waits is written first
        free (self);
        *self_p = NULL;
    }
}

uint64_t
ss_persist_written (ss_persist_t *self)
{
    return __atomic_load_n (&self->written, __ATOMIC_RELAXED);
}

void
ss_persist_flush (ss_persist_t *self)
{
    if (self->writer && zstr_send (self->writer, "FLUSH") == 0)
        zsock_wait (self->writer);
}

//  Set a bad checkpoint aside, saying why
static void
s_set_aside (ss_persist_t *self, const char *why)
{
    char moved [PATH_MAX + 128];
    if (ss_checkpoint_set_aside (self->ckpt_path, moved, sizeof moved) == 0)
        zsys_warning ("%s: checkpoint not used (%s), set aside as %s; starting fresh",
                      self->ckpt_path, why, moved);
    else
        zsys_error ("%s: checkpoint not used (%s), cannot set it aside (%s); "
                    "starting fresh", self->ckpt_path, why, strerror (errno));
}

int
ss_persist_resume (ss_persist_t *self, ss_problem_t *P, int d, int K,
                   ss_persist_state_t *state)
{
    const ss_fleet_t *fleet = self->fleet;
    ss_checkpoint_t *cp = calloc (1, sizeof (ss_checkpoint_t));
    if (!cp)
        return 0;
    int rc = ss_checkpoint_read (self->ckpt_path, cp);
    int resumed = 0;
    if (rc == SS_CHECKPOINT_ENOENT)
        goto done;
    if (rc == SS_CHECKPOINT_EIO) {
        zsys_warning ("%s: cannot read the checkpoint (%s): starting fresh, file left "
                      "in place", self->ckpt_path, strerror (errno));
        goto done;
    }
    if (rc == 0)
        rc = ss_checkpoint_check (cp, self->fleet_id, (uint32_t) self->id, (uint32_t) d,
                                  (uint32_t) K, fleet->model.lo, fleet->model.hi);
    if (rc) {
        s_set_aside (self, ss_checkpoint_strerror (rc));
        goto done;
    }
    if (fleet->rounds > 0 && cp->round >= fleet->rounds) {
        zsys_info ("%s: checkpoint of a finished run (round %lld of %lld): starting fresh",
                   self->ckpt_path, (long long) cp->round, (long long) fleet->rounds);
        goto done;
    }
    //  The target in force when it was written, before any round runs
    if (cp->target.count > 0 || cp->target.cells > 0) {
        const char *bad = ss_mixture_check (&cp->target, &fleet->model);
        if (bad || ss_problem_set_target (P, &cp->target)) {
            char why [256];
            snprintf (why, sizeof why, "its target is refused by the model: %s",
                      bad? bad: "cannot set it");
            s_set_aside (self, why);
            if (ss_problem_set_target (P, &fleet->target))
                zsys_error ("cannot restore the fleet's target");
            goto done;
        }
        *state->target = cp->target;
    }
    memcpy (state->agent->x, cp->x, (size_t) d * sizeof (double));
    memcpy (state->agent->x0, cp->x0, (size_t) d * sizeof (double));
    memcpy (state->agent->theta, cp->theta, (size_t) K * sizeof (double));
    memcpy (state->agent->s, cp->s, (size_t) K * sizeof (double));
    state->round = (uint64_t) cp->round;
    state->epoch = cp->epoch;
    state->targets = cp->targets;
    state->target_round = cp->target.count > 0 || cp->target.cells > 0? cp->target_round: 0;
    zsys_notice ("resumed from checkpoint %s: round %lld, epoch %llu", self->ckpt_path,
                 (long long) cp->round, (unsigned long long) cp->epoch);
    if (cp->target.count > 0 || cp->target.cells > 0)
        zsys_notice ("resumed target applied at round %llu (%llu targets applied so far)",
                     (unsigned long long) cp->target_round, (unsigned long long) cp->targets);
    else
    if (cp->targets > 0)
        zsys_warning ("the checkpoint counts %llu targets applied but holds no target (an "
                      "old format); the target in force is the fleet's until the "
                      "coordinator announces one", (unsigned long long) cp->targets);
    resumed = 1;
done:
    free (cp);
    return resumed;
}

int
ss_persist_checkpoint (ss_persist_t *self, const ss_persist_state_t *state, int d, int K)
{
    ss_checkpoint_t *cp = calloc (1, sizeof (ss_checkpoint_t));
    if (!cp)
        return -1;
    cp->fleet = self->fleet_id;
    cp->agent = (uint32_t) self->id;
    cp->dim = (uint32_t) d;
    cp->k = (uint32_t) K;
    cp->round = (int64_t) state->round;
    cp->epoch = state->epoch;
    cp->targets = state->targets;
    cp->target = *state->target;
    cp->target_round = cp->target.count > 0 || cp->target.cells > 0? state->target_round: 0;
    memcpy (cp->x, state->agent->x, (size_t) d * sizeof (double));
    memcpy (cp->x0, state->agent->x0, (size_t) d * sizeof (double));
    memcpy (cp->theta, state->agent->theta, (size_t) K * sizeof (double));
    memcpy (cp->s, state->agent->s, (size_t) K * sizeof (double));
    uint8_t buf [SS_CHECKPOINT_MAX_SIZE];
    long length = ss_checkpoint_encode (cp, buf, sizeof buf);
    free (cp);
    if (length < 0) {
        zsys_error ("%s: cannot encode the checkpoint of round %llu", self->ckpt_path,
                    (unsigned long long) state->round);
        return -1;
    }
    zframe_t *frame = zframe_new (buf, (size_t) length);
    if (self->writer && frame) {
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "CKPT");
        zmsg_addstrf (msg, "%llu", (unsigned long long) state->round);
        zmsg_append (msg, &frame);
        if (zmsg_send (&msg, self->writer) == 0)
            return 0;
        zmsg_destroy (&msg);
        return -1;
    }
    int rc = frame? s_write (self, frame, state->round, &self->logged): -1;
    zframe_destroy (&frame);
    return rc;
}

static void
s_print_doubles (FILE *file, const char *name, const double *v, int n)
{
    fprintf (file, "%s", name);
    for (int i = 0; i < n; i++)
        fprintf (file, " %.17g", v [i]);
    fprintf (file, "\n");
}

int
ss_persist_state_file (ss_persist_t *self, const ss_persist_state_t *state, int d, int K)
{
    ss_file_t *out = ss_file_new (self->state_path, 0644);
    if (!out) {
        zsys_error ("%s: cannot write: %s", self->state_path, strerror (errno));
        return -1;
    }
    FILE *file = ss_file_stream (out);
    fprintf (file, "# swarmshape agent state\n");
    fprintf (file, "fleet %s\n", self->fleet->name);
    fprintf (file, "fleet_id %016llx\n", (unsigned long long) self->fleet_id);
    fprintf (file, "agent %d\n", self->id);
    fprintf (file, "round %llu\n", (unsigned long long) state->round);
    fprintf (file, "epoch %llu\n", (unsigned long long) state->epoch);
    fprintf (file, "dim %d\n", d);
    s_print_doubles (file, "x", state->agent->x, d);
    s_print_doubles (file, "x0", state->agent->x0, d);
    fprintf (file, "features %d\n", K);
    s_print_doubles (file, "theta", state->agent->theta, K);
    s_print_doubles (file, "s", state->agent->s, K);
    for (int c = 0; state->counters && c < SS_CTR_COUNT; c++) {
        char name [64];
        snprintf (name, sizeof name, "%s", ss_counter_name (c));
        for (char *ch = name; *ch; ch++)
            if (*ch == ' ' || *ch == '-')
                *ch = '_';
        fprintf (file, "counter %s %llu\n", name, (unsigned long long) state->counters [c]);
    }
    if (ss_file_commit (&out)) {
        zsys_error ("%s: cannot write: %s", self->state_path, strerror (errno));
        return -1;
    }
    return 0;
}
