/*  ss_progress: the live progress line and the periodic lines. */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "ss_progress.h"

#define SS_PROGRESS_REDRAW 0.1      //  s between two drawings of the line

struct ss_progress_t {
    FILE *out;
    char label [64];
    int64_t rounds, period;
    ss_progress_mode_t mode;
    bool drawn;                 //  a live line is on the screen
    double last_draw;
    int64_t next_line;          //  LINES: the next round to print
    //  rate: the first sample seen and the latest
    bool have_first;
    int64_t first_round;
    double first_time;
    ss_progress_sample_t last;
    bool have_last;
};

double
ss_progress_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

ss_progress_t *
ss_progress_new (FILE *out, const char *label, int64_t rounds, int64_t period,
                 ss_progress_mode_t mode)
{
    ss_progress_t *self = calloc (1, sizeof (ss_progress_t));
    if (!self)
        return NULL;
    self->out = out;
    snprintf (self->label, sizeof self->label, "%s", label? label: "");
    self->rounds = rounds > 0? rounds: 0;
    self->period = period > 0? period: 1;
    if (mode == SS_PROGRESS_AUTO)
        mode = isatty (fileno (out))? SS_PROGRESS_LIVE: SS_PROGRESS_LINES;
    self->mode = mode;
    self->last_draw = -1e9;
    return self;
}

static void
s_end_line (ss_progress_t *self)
{
    if (self->drawn) {
        fputs ("\r\033[K", self->out);
        fflush (self->out);
        self->drawn = false;
    }
}

void
ss_progress_destroy (ss_progress_t **self_p)
{
    if (*self_p) {
        ss_progress_t *self = *self_p;
        if (self->drawn) {
            fputc ('\n', self->out);
            fflush (self->out);
        }
        free (self);
        *self_p = NULL;
    }
}

ss_progress_mode_t
ss_progress_mode (ss_progress_t *self)
{
    return self->mode;
}

//  Seconds as "42 s", "3 min 5 s", "2 h 10 min"
static void
s_duration (double seconds, char *buf, size_t size)
{
    long s = (long) (seconds + 0.5);
    if (s < 60)
        snprintf (buf, size, "%ld s", s);
    else
    if (s < 3600)
        snprintf (buf, size, "%ld min %ld s", s / 60, s % 60);
    else
        snprintf (buf, size, "%ld h %ld min", s / 3600, (s % 3600) / 60);
}

void
ss_progress_format (ss_progress_t *self, const ss_progress_sample_t *sample,
                    double now, char *buf, size_t size, int width)
{
    size_t used = 0;
#define S_ADD(...) do { \
        if (used < size) { \
            int n_ = snprintf (buf + used, size - used, __VA_ARGS__); \
            if (n_ > 0) used += (size_t) n_; \
        } \
    } while (0)
    if (size == 0)
        return;
    buf [0] = 0;
    S_ADD ("%s: ", self->label);
    if (sample->round < 0)
        S_ADD ("waiting for the first round");
    else
    if (self->rounds > 0)
        S_ADD ("round %lld/%lld (%d%%)", (long long) sample->round,
               (long long) self->rounds,
               (int) (100.0 * (double) sample->round / (double) self->rounds));
    else
        S_ADD ("round %lld", (long long) sample->round);
    if (sample->round >= 0)
        S_ADD ("  J %.6f  disagreement %.2e", sample->J, sample->disagreement);
    if (sample->agents > 0 && sample->live >= 0)
        S_ADD ("  agents %d/%d", sample->live, sample->agents);
    double rate = 0;
    if (self->have_first && sample->round > self->first_round && now > self->first_time)
        rate = (double) (sample->round - self->first_round) / (now - self->first_time);
    if (rate > 0) {
        S_ADD ("  %.1f rounds/s", rate);
        if (self->rounds > 0 && sample->round < self->rounds) {
            char left [32];
            s_duration ((double) (self->rounds - sample->round) / rate, left, sizeof left);
            S_ADD ("  %s left", left);
        }
    }
    if (sample->deaths >= 0)
        S_ADD ("  deaths %d", sample->deaths);
    if (sample->restarts >= 0)
        S_ADD ("  restarts %d", sample->restarts);
#undef S_ADD
    if (width > 1 && strlen (buf) >= (size_t) width)
        buf [width - 1] = 0;        //  never wrap: \r must reach its start
}

void
ss_progress_format_line (ss_progress_t *self, const ss_progress_sample_t *sample,
                         char *buf, size_t size)
{
    char round [64];
    if (self->rounds > 0)
        snprintf (round, sizeof round, "%lld/%lld", (long long) sample->round,
                  (long long) self->rounds);
    else
        snprintf (round, sizeof round, "%lld", (long long) sample->round);
    snprintf (buf, size, "%s: round %s  J %.6f  kl %.6f  disagreement %.2e"
                         "  grad %.3g  step %.2e", self->label, round, sample->J,
              sample->kl, sample->disagreement, sample->grad, sample->step);
}

static int
s_width (ss_progress_t *self)
{
    struct winsize ws;
    if (ioctl (fileno (self->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

static void
s_draw (ss_progress_t *self, double now)
{
    char line [512];
    ss_progress_format (self, &self->last, now, line, sizeof line, s_width (self));
    fprintf (self->out, "\r\033[K%s", line);
    fflush (self->out);
    self->drawn = true;
    self->last_draw = now;
}

void
ss_progress_update (ss_progress_t *self, const ss_progress_sample_t *sample,
                    bool last, double now)
{
    if (!self->have_first && sample->round >= 0) {
        self->have_first = true;
        self->first_round = sample->round;
        self->first_time = now;
    }
    self->last = *sample;
    self->have_last = true;
    if (self->mode == SS_PROGRESS_QUIET)
        return;
    if (self->mode == SS_PROGRESS_LINES) {
        //  Every multiple of period (a sample that jumped over one is
        //  printed once, then the multiples go on) and the last sample
        if (sample->round < 0 || (!last && sample->round < self->next_line))
            return;
        self->next_line = (sample->round / self->period + 1) * self->period;
        char line [512];
        ss_progress_format_line (self, sample, line, sizeof line);
        fprintf (self->out, "%s\n", line);
        fflush (self->out);
        return;
    }
    if (last || now - self->last_draw >= SS_PROGRESS_REDRAW)
        s_draw (self, now);
    if (last && self->drawn) {
        fputc ('\n', self->out);
        fflush (self->out);
        self->drawn = false;
    }
}

void
ss_progress_note (ss_progress_t *self, const char *format, ...)
{
    bool redraw = self->drawn;
    s_end_line (self);
    va_list args;
    va_start (args, format);
    vfprintf (self->out, format, args);
    va_end (args);
    fputc ('\n', self->out);
    fflush (self->out);
    if (redraw && self->have_last)
        s_draw (self, ss_progress_now ());
}
