/*  ss_plot: the pictures of a run (see the header for what each shows).

    One s_plot_t holds the problem (the fleet's model, the target in force)
    and the picture being drawn: the target and fitted densities on the
    quadrature grid (per unit length, area or volume), their marginals in
    3-D, the positions drawn as "now" and how many frames of paths lead
    to them. The same drawing functions make density.png/.svg (now = the
    final positions, every frame as paths) and each frame of --frames.
*/

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fontconfig/fontconfig.h>
#include "ss_plot.h"
#include "ss_canvas.h"
#include "ss_plotmath.h"
#include "ss_runlog.h"

extern char **environ;

#define SOLVE_TOL       1e-10
#define MAX_PATH_POINTS 300000  //  beyond, paths of every k-th agent only
#define MAX_MARKED      4000    //  beyond, markers of every k-th agent only
#define C_INITIAL       0xffffff
#define C_FINAL         0xff5722
#define C_LOST          0xdddddd
#define C_PATH          0xffffff
#define C_TARGET        0x1f77b4
#define C_FITTED        0xff5722
#define C_SWITCH        0xe69f00
#define C_LOSTEV        0xd62728
#define C_BACKEV        0x2ca02c
#define C_INK           0x222222

//  The coordinate planes of a 3-D picture
static const int s_planes [3][2] = { { 0, 1 }, { 0, 2 }, { 1, 2 } };

typedef struct {
    const ss_rundir_t *run;
    ss_problem_t *P;
    ss_work_t *w;
    int d, nq, G;
    double lo, hi, cell;
    int64_t target_count;       //  switches behind P's target
    double *target, *fitted;    //  G each, per unit volume
    double *plane [2][3];       //  3-D: target/fitted marginals, nq x nq
    double *live;               //  count x d: the positions fitted
    double vmax;                //  top of the colour scale
    //  what is drawn
    const ss_rundir_frame_t *now;
    int upto;                   //  frames [0, upto] drawn as paths
    int path_every;             //  paths of agents 0, k, 2k, ...
    int mark_every;             //  markers of agents 0, k, 2k, ... (and the lost)
    double mark_scale;          //  markers shrink as more are drawn
    double path_alpha;          //  paths fade as more are drawn
    const ss_rundir_row_t *row; //  trace row of now (NULL: none)
    bool is_frame;
} s_plot_t;

//  The trace row of a round, else the last one before it, else NULL
static const ss_rundir_row_t *
s_row_at (const ss_rundir_t *run, int64_t round)
{
    const ss_rundir_row_t *best = NULL;
    int lo = 0, hi = run->n_rows - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (run->rows [mid].round <= round) {
            best = &run->rows [mid];
            lo = mid + 1;
        }
        else
            hi = mid - 1;
    }
    return best;
}

//  Index of agent id in a frame (ids sorted), or -1
static int
s_find (const ss_rundir_frame_t *frame, int id)
{
    if (id < frame->n && frame->ids [id] == id)
        return id;
    int lo = 0, hi = frame->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (frame->ids [mid] == id)
            return mid;
        if (frame->ids [mid] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int
s_id_cmp (const void *pa, const void *pb)
{
    int a = *(const int *) pa, b = *(const int *) pb;
    return (a > b) - (a < b);
}

//  Whether the trace row declares agent id lost (its ids are sorted)
static bool
s_is_lost (const ss_rundir_row_t *row, int id)
{
    if (!row || !row->n_lost)
        return false;
    return bsearch (&id, row->lost, (size_t) row->n_lost, sizeof (int), s_id_cmp) != NULL;
}

static double
s_max (const double *v, size_t n)
{
    double most = 0;
    for (size_t i = 0; i < n; i++)
        if (v [i] > most)
            most = v [i];
    return most;
}

//  Largest value shown of a density: the grid, or its marginals in 3-D
static double
s_shown_max (s_plot_t *self, int which)
{
    if (self->d < 3)
        return s_max (which? self->fitted: self->target, (size_t) self->G);
    double most = 0;
    for (int p = 0; p < 3; p++) {
        double m = s_max (self->plane [which][p], (size_t) self->nq * self->nq);
        if (m > most)
            most = m;
    }
    return most;
}

static void
s_marginals (s_plot_t *self, int which)
{
    if (self->d == 3)
        for (int p = 0; p < 3; p++)
            ss_plotmath_marginal (which? self->fitted: self->target, self->nq,
                                  self->cell, s_planes [p][0], s_planes [p][1],
                                  self->plane [which][p]);
}

//  Make P's target the one in force after count switches
static int
s_set_target (s_plot_t *self, int64_t count)
{
    if (count == self->target_count)
        return 0;
    if (ss_problem_set_target (self->P, ss_rundir_target (self->run, count)))
        return -1;
    self->target_count = count;
    ss_plotmath_density (self->P, self->P->q, self->target);
    s_marginals (self, 0);
    return 0;
}

//  Fit p_theta* to a frame's positions but those of the agents its trace
//  row declares lost, as the coordinator scores only the live ones
//  (theta: warm start in, theta* out)
static void
s_fit (s_plot_t *self, const ss_rundir_frame_t *frame,
       const ss_rundir_row_t *row, double *theta)
{
    const double *x = frame->x;
    int n = frame->n;
    if (row && row->n_lost) {
        n = 0;
        for (int i = 0; i < frame->n; i++)
            if (!s_is_lost (row, frame->ids [i]))
                memcpy (self->live + (size_t) n++ * self->d,
                        frame->x + (size_t) i * self->d, (size_t) self->d * sizeof (double));
        x = self->live;
        if (n == 0) {           //  all lost: the positions as they are
            x = frame->x;
            n = frame->n;
        }
    }
    ss_plotmath_fit (self->P, x, n, theta, SOLVE_TOL, self->w);
    ss_plotmath_density (self->P, self->w->p, self->fitted);
    s_marginals (self, 1);
}

static void
s_plot_free (s_plot_t *self)
{
    ss_problem_destroy (&self->P);
    ss_work_destroy (&self->w);
    free (self->target);
    free (self->fitted);
    free (self->live);
    for (int which = 0; which < 2; which++)
        for (int p = 0; p < 3; p++)
            free (self->plane [which][p]);
}

static int
s_plot_init (s_plot_t *self, const ss_rundir_t *run, char *err, size_t err_size)
{
    memset (self, 0, sizeof *self);
    self->run = run;
    const ss_model_t *m = &run->fleet->model;
    self->d = m->dim;
    self->nq = m->nq;
    self->lo = m->lo;
    self->hi = m->hi;
    self->cell = (m->hi - m->lo) / m->nq;
    self->target_count = 0;
    self->P = ss_problem_new (m, &run->fleet->target);
    self->w = self->P? ss_work_new (self->P): NULL;
    self->G = self->P? self->P->G: 0;
    self->target = calloc ((size_t) self->G, sizeof (double));
    self->fitted = calloc ((size_t) self->G, sizeof (double));
    self->live = calloc ((size_t) run->fleet->count * self->d, sizeof (double));
    bool ok = self->P && self->w && self->target && self->fitted && self->live;
    for (int which = 0; which < 2; which++)
        for (int p = 0; ok && self->d == 3 && p < 3; p++)
            ok = (self->plane [which][p] = calloc ((size_t) self->nq * self->nq,
                                                   sizeof (double))) != NULL;
    if (!ok) {
        snprintf (err, err_size, "%s: cannot build the fleet's model", run->fleet->path);
        s_plot_free (self);
        return -1;
    }
    ss_plotmath_density (self->P, self->P->q, self->target);
    s_marginals (self, 0);
    //  At most MAX_MARKED agents' markers and MAX_PATH_POINTS points of
    //  paths, smaller and fainter the more there are, so that a large
    //  fleet does not hide the densities
    int count = run->fleet->count;
    self->mark_every = (count + MAX_MARKED - 1) / MAX_MARKED;
    size_t points = (size_t) count * (size_t) run->n_frames;
    self->path_every = (int) ((points + MAX_PATH_POINTS - 1) / MAX_PATH_POINTS);
    if (self->path_every < self->mark_every)
        self->path_every = self->mark_every;
    double marked = (double) count / self->mark_every;
    double paths = (double) count / self->path_every;
    self->mark_scale = fmin (1, fmax (0.3, sqrt (150 / marked)));
    self->path_alpha = fmin (0.45, fmax (0.06, 0.45 * sqrt (60 / paths)));
    return 0;
}

// ---------------------------------------------------------------------
//  Titles and legends

static void
s_title (cairo_t *cr, const s_plot_t *self, const char *what)
{
    const ss_rundir_t *run = self->run;
    const ss_rundir_row_t *first = &run->rows [0], *last = &run->rows [run->n_rows - 1];
    char text [512];
    snprintf (text, sizeof text, "fleet %s: %d agents in %d-D, rounds %lld to %lld%s",
              run->fleet->name, run->fleet->count, self->d, (long long) first->round,
              (long long) last->round, what);
    ss_canvas_rgb (cr, C_INK, 1);
    ss_canvas_text (cr, 24, 20, 17, 0, 0, true, text);
    if (!self->now)
        snprintf (text, sizeof text, "round %lld, the last reported: J %.4g, "
                  "disagreement %.3g, tracker bias %.3g, %d agents reporting",
                  (long long) last->round, last->J, last->disagreement, last->bias,
                  last->agents);
    else
    if (self->is_frame && self->row && self->row->round == self->now->round)
        snprintf (text, sizeof text, "round %lld: J = KL(q \u2016 p_\u03b8*) = %.4g, "
                  "disagreement %.2g", (long long) self->now->round, self->row->J,
                  self->row->disagreement);
    else
    if (self->is_frame)
        snprintf (text, sizeof text, "round %lld", (long long) self->now->round);
    else
        snprintf (text, sizeof text, "J = KL(q \u2016 p_\u03b8*): %.4g at round %lld "
                  "\u2192 %.4g at round %lld", first->J, (long long) first->round,
                  last->J, (long long) last->round);
    ss_canvas_text (cr, 24, 46, 13, 0, 0, false, text);
}

static bool
s_any_lost (const s_plot_t *self)
{
    return self->row && self->row->n_lost > 0;
}

static void
s_target_title (const s_plot_t *self, char *buf, size_t size, const char *suffix)
{
    const ss_fleet_t *fleet = self->run->fleet;
    const char *slash = strrchr (fleet->target_image, '/');
    const char *image = slash? slash + 1: fleet->target_image;
    if (self->target_count > 0 && self->target_count <= self->run->n_targets)
        snprintf (buf, size, "target q%s (target %lld%s, from round %lld)", suffix,
                  (long long) self->target_count,
                  ss_rundir_target (self->run, self->target_count)->cells? ", a picture": "",
                  (long long) self->run->targets [self->target_count - 1].switch_round);
    else
    if (self->target_count > 0)
        snprintf (buf, size, "target q%s (targets.txt lacks target %lld: the fleet's)",
                  suffix, (long long) self->target_count);
    else
    if (*image)
        snprintf (buf, size, "target q%s (picture %.60s)", suffix, image);
    else
        snprintf (buf, size, "target q%s", suffix);
}

static void
s_fitted_title (const s_plot_t *self, char *buf, size_t size, const char *suffix)
{
    const char *live = s_any_lost (self)? " live": "";
    if (self->is_frame)
        snprintf (buf, size, "fitted p_\u03b8*%s, \u03b8* of round %lld's%s positions",
                  suffix, (long long) self->now->round, live);
    else
        snprintf (buf, size, "fitted p_\u03b8*%s, \u03b8* of the final%s positions",
                  suffix, live);
}

//  The legend of the agents' markers, along y from x
static void
s_agent_legend (cairo_t *cr, const s_plot_t *self, double x, double y,
                bool on_dark)
{
    char text [128], every [32] = "";
    unsigned ring = on_dark? C_INITIAL: 0x555555, path = on_dark? C_PATH: 0x777777;
    if (self->mark_every > 1)
        snprintf (every, sizeof every, " (1 agent in %d)", self->mark_every);
    snprintf (text, sizeof text, "initial position%s", every);
    x = ss_canvas_legend (cr, x, y, SS_MARK_RING, ring, 0, text);
    if (self->is_frame)
        snprintf (text, sizeof text, "position at round %lld%s",
                  (long long) self->now->round, every);
    else
        snprintf (text, sizeof text, "final position%s", every);
    x = ss_canvas_legend (cr, x, y, SS_MARK_DOT, C_FINAL, 0, text);
    if (self->run->n_frames > 1) {
        if (self->path_every > 1)
            snprintf (text, sizeof text, "path (1 agent in %d)", self->path_every);
        else
            snprintf (text, sizeof text, "path");
        x = ss_canvas_legend (cr, x, y, -1, path, 0, text);
    }
    else
        x = ss_canvas_legend (cr, x, y, -1, 0xbbbbbb, 3, self->run->n_frames?
                              "no paths: frames.csv holds one round":
                              "no paths: frames.csv missing");
    if (s_any_lost (self))
        ss_canvas_legend (cr, x, y, SS_MARK_CROSS, on_dark? C_LOST: 0x777777, 0,
                          "lost agent (last position)");
}

// ---------------------------------------------------------------------
//  Agents on a plane (2-D, or a projection of 3-D)

static void
s_agents (cairo_t *cr, const s_plot_t *self, const ss_axes_t *ax, int ia, int ib)
{
    const ss_rundir_t *run = self->run;
    const int d = self->d;
    cairo_save (cr);
    cairo_set_line_width (cr, 0.9);
    cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
    ss_canvas_rgb (cr, C_PATH, self->path_alpha);
    for (int id = 0; self->upto > 0 && id < run->fleet->count; id += self->path_every) {
        bool started = false;
        for (int f = 0; f <= self->upto; f++) {
            const ss_rundir_frame_t *frame = &run->frames [f];
            int i = s_find (frame, id);
            if (i < 0)
                continue;
            const double *x = frame->x + (size_t) i * d;
            double px = ss_axes_px (ax, x [ia]), py = ss_axes_py (ax, x [ib]);
            if (started)
                cairo_line_to (cr, px, py);
            else
                cairo_move_to (cr, px, py);
            started = true;
        }
        cairo_stroke (cr);
    }
    const ss_rundir_frame_t *init = &run->initial;
    double r = self->mark_scale;
    for (int i = 0; i < init->n; i++) {
        const double *x = init->x + (size_t) i * d;
        if (init->ids [i] % self->mark_every == 0)
            ss_canvas_marker (cr, ss_axes_px (ax, x [ia]), ss_axes_py (ax, x [ib]),
                              SS_MARK_RING, 2.8 * r, C_INITIAL);
    }
    const ss_rundir_frame_t *now = self->now;
    for (int i = 0; i < now->n; i++) {
        const double *x = now->x + (size_t) i * d;
        bool lost = s_is_lost (self->row, now->ids [i]);
        if (lost || now->ids [i] % self->mark_every == 0)
            ss_canvas_marker (cr, ss_axes_px (ax, x [ia]), ss_axes_py (ax, x [ib]),
                              lost? SS_MARK_CROSS: SS_MARK_DOT, lost? 3.5: 3.4 * r,
                              lost? C_LOST: C_FINAL);
    }
    cairo_restore (cr);
}

//  One heat map panel with its agents, axes and title
static void
s_density_panel (cairo_t *cr, const s_plot_t *self, const ss_axes_t *ax,
                 const double *grid, int ia, int ib, const char *title)
{
    char xl [16], yl [16];
    snprintf (xl, sizeof xl, "x%d", ia + 1);
    snprintf (yl, sizeof yl, "x%d", ib + 1);
    ss_canvas_heatmap (cr, ax, grid, self->nq, self->nq, self->vmax);
    s_agents (cr, self, ax, ia, ib);
    ss_canvas_axes (cr, ax, xl, yl, 0);
    ss_canvas_rgb (cr, C_INK, 1);
    ss_canvas_text (cr, ax->x, ax->y - 8, 13, 0, 1, true, title);
}

#define W2 1110.0
#define H2 600.0
#define S2 420.0

static void
s_draw_2d (cairo_t *cr, void *ctx)
{
    s_plot_t *self = ctx;
    char title [256];
    s_title (cr, self, "");
    ss_axes_t left = { 70, 100, S2, S2, self->lo, self->hi, self->lo, self->hi, false };
    ss_axes_t right = left;
    right.x = left.x + S2 + 80;
    s_target_title (self, title, sizeof title, "");
    s_density_panel (cr, self, &left, self->target, 0, 1, title);
    s_fitted_title (self, title, sizeof title, "");
    s_density_panel (cr, self, &right, self->fitted, 0, 1, title);
    ss_canvas_colourbar (cr, right.x + S2 + 24, right.y, 16, S2, self->vmax,
                         "density (probability per unit area)");
    s_agent_legend (cr, self, left.x, left.y + S2 + 58, true);
}

#define W3 1215.0
#define H3 870.0
#define S3 290.0

static void
s_draw_3d (cairo_t *cr, void *ctx)
{
    s_plot_t *self = ctx;
    char title [256], suffix [32];
    s_title (cr, self, "");
    double top = 100, gap_x = 75, gap_y = 78;
    for (int which = 0; which < 2; which++)
        for (int p = 0; p < 3; p++) {
            int ia = s_planes [p][0], ib = s_planes [p][1];
            ss_axes_t ax = { 70 + p * (S3 + gap_x), top + which * (S3 + gap_y), S3, S3,
                             self->lo, self->hi, self->lo, self->hi, false };
            snprintf (suffix, sizeof suffix, " on x%d\u2013x%d", ia + 1, ib + 1);
            if (which == 0)
                s_target_title (self, title, sizeof title, suffix);
            else
                s_fitted_title (self, title, sizeof title, suffix);
            if (strlen (title) > 44 && which == 1)
                snprintf (title, sizeof title, "fitted p_\u03b8*%s", suffix);
            if (strlen (title) > 44 && which == 0)
                snprintf (title, sizeof title, "target q%s", suffix);
            s_density_panel (cr, self, &ax, self->plane [which][p], ia, ib, title);
        }
    double bar_x = 70 + 3 * S3 + 2 * gap_x + 24;
    ss_canvas_colourbar (cr, bar_x, top, 16, 2 * S3 + gap_y, self->vmax,
                         "marginal density (probability per unit area)");
    char note [256];
    s_fitted_title (self, note, sizeof note, "");
    ss_canvas_rgb (cr, C_INK, 1);
    ss_canvas_text (cr, 70, top + 2 * S3 + gap_y + 48, 12, 0, 0.5, false, note);
    s_agent_legend (cr, self, 70, top + 2 * S3 + gap_y + 76, true);
}

#define W1 1000.0

static double
s_height_1d (const s_plot_t *self)
{
    return self->run->n_frames > 1? 810: 540;
}

//  A density curve of the 1-D grid on ax (fill: shade below it)
static void
s_curve (cairo_t *cr, const s_plot_t *self, const ss_axes_t *ax,
         const double *grid, unsigned rgb24, bool fill)
{
    cairo_save (cr);
    ss_axes_clip (cr, ax);
    for (int g = 0; g < self->G; g++) {
        double px = ss_axes_px (ax, self->lo + (g + 0.5) * self->cell);
        double py = ss_axes_py (ax, grid [g]);
        if (g == 0)
            cairo_move_to (cr, px, py);
        else
            cairo_line_to (cr, px, py);
    }
    if (fill) {
        cairo_path_t *line = cairo_copy_path (cr);
        cairo_line_to (cr, ss_axes_px (ax, self->hi - self->cell / 2), ss_axes_py (ax, 0));
        cairo_line_to (cr, ss_axes_px (ax, self->lo + self->cell / 2), ss_axes_py (ax, 0));
        cairo_close_path (cr);
        ss_canvas_rgb (cr, rgb24, 0.18);
        cairo_fill (cr);
        cairo_append_path (cr, line);
        cairo_path_destroy (line);
    }
    ss_canvas_rgb (cr, rgb24, 1);
    cairo_set_line_width (cr, 2.2);
    cairo_stroke (cr);
    cairo_restore (cr);
}

static void
s_draw_1d (cairo_t *cr, void *ctx)
{
    s_plot_t *self = ctx;
    const ss_rundir_t *run = self->run;
    char title [256], fitted [256];
    s_title (cr, self, "");
    bool paths = run->n_frames > 1;
    ss_axes_t dens = { 90, 100, 860, 290, self->lo, self->hi, 0, self->vmax * 1.08, false };
    ss_axes_t strip = { 90, dens.y + dens.h + 12, 860, 44, self->lo, self->hi, 0, 2, false };
    ss_canvas_axes (cr, &dens, NULL, "density (probability per unit length)",
                    SS_AXES_GRID | SS_AXES_NO_XLABEL);
    s_curve (cr, self, &dens, self->target, C_TARGET, true);
    s_curve (cr, self, &dens, self->fitted, C_FITTED, false);
    s_target_title (self, title, sizeof title, "");
    s_fitted_title (self, fitted, sizeof fitted, "");
    double lx = ss_canvas_legend (cr, dens.x + 10, dens.y - 14, -1, C_TARGET, 0, title);
    ss_canvas_legend (cr, lx, dens.y - 14, -1, C_FITTED, 0, fitted);

    //  The agents on the axis: initial above, final below
    cairo_save (cr);
    ss_axes_clip (cr, &strip);
    for (int i = 0; i < run->initial.n; i++)
        if (run->initial.ids [i] % self->mark_every == 0)
            ss_canvas_marker (cr, ss_axes_px (&strip, run->initial.x [i]),
                              ss_axes_py (&strip, 1.5), SS_MARK_RING, 3.2 * self->mark_scale,
                              0x555555);
    for (int i = 0; i < self->now->n; i++) {
        bool lost = s_is_lost (self->row, self->now->ids [i]);
        if (lost || self->now->ids [i] % self->mark_every == 0)
            ss_canvas_marker (cr, ss_axes_px (&strip, self->now->x [i]),
                              ss_axes_py (&strip, 0.5), lost? SS_MARK_CROSS: SS_MARK_DOT,
                              3.4 * (lost? 1: self->mark_scale), lost? 0x777777: C_FINAL);
    }
    cairo_restore (cr);
    ss_canvas_axes (cr, &strip, paths? NULL: "x1", NULL,
                    SS_AXES_NO_YTICKS | (paths? SS_AXES_NO_XLABEL: 0));
    ss_canvas_rgb (cr, C_INK, 1);
    ss_canvas_text (cr, strip.x - 8, ss_axes_py (&strip, 1.5), 11, 1, 0.5, false, "initial");
    ss_canvas_text (cr, strip.x - 8, ss_axes_py (&strip, 0.5), 11, 1, 0.5, false,
                    self->is_frame? "now": "final");
    double legend_y = strip.y + strip.h + 50;
    if (paths) {
        //  Paths: position across, round up
        double r0 = (double) run->frames [0].round;
        double r1 = (double) run->frames [run->n_frames - 1].round;
        ss_axes_t rounds = { 90, strip.y + strip.h + 36, 860, 230, self->lo, self->hi,
                             r0, r1 > r0? r1: r0 + 1, false };
        ss_canvas_axes (cr, &rounds, "x1", "round", SS_AXES_GRID);
        cairo_save (cr);
        ss_axes_clip (cr, &rounds);
        cairo_set_line_width (cr, 1);
        ss_canvas_rgb (cr, 0x555555, fmin (0.55, self->path_alpha + 0.1));
        for (int id = 0; id < run->fleet->count; id += self->path_every) {
            bool started = false;
            for (int f = 0; f <= self->upto; f++) {
                int i = s_find (&run->frames [f], id);
                if (i < 0)
                    continue;
                double px = ss_axes_px (&rounds, run->frames [f].x [i]);
                double py = ss_axes_py (&rounds, (double) run->frames [f].round);
                if (started)
                    cairo_line_to (cr, px, py);
                else
                    cairo_move_to (cr, px, py);
                started = true;
            }
            cairo_stroke (cr);
        }
        cairo_restore (cr);
        ss_canvas_rgb (cr, C_INK, 1);
        ss_canvas_text (cr, rounds.x, rounds.y - 6, 12, 0, 1, true,
                        "paths: each agent's position over the rounds");
        legend_y = rounds.y + rounds.h + 62;
    }
    s_agent_legend (cr, self, 90, legend_y, false);
}

// ---------------------------------------------------------------------
//  Convergence: J, disagreement and tracker bias on log scales

typedef struct {
    int64_t round;
    unsigned rgb24;
    double dash;
    char label [48];
} s_event_t;

#define MAX_EVENTS 200

//  Target switches and changes of the lost set, in round order
static int
s_events (const ss_rundir_t *run, s_event_t *events)
{
    int n = 0;
    for (int i = 0; i < run->n_rows && n < MAX_EVENTS - 2; i++) {
        const ss_rundir_row_t *row = &run->rows [i], *prev = i? &run->rows [i - 1]: NULL;
        if (prev && row->target != prev->target) {
            s_event_t *e = &events [n++];
            e->round = row->round;
            if (row->target > 0 && row->target <= run->n_targets
            &&  run->targets [row->target - 1].switch_round <= row->round)
                e->round = run->targets [row->target - 1].switch_round;
            e->rgb24 = C_SWITCH;
            e->dash = 6;
            snprintf (e->label, sizeof e->label, "target %lld", (long long) row->target);
        }
        //  Ids lost since the row before, and ids back
        char lost [48] = "", back [48] = "";
        int n_new = 0, n_back = 0;
        const int *a = prev? prev->lost: NULL, *b = row->lost;
        int na = prev? prev->n_lost: 0, nb = row->n_lost, ia = 0, ib = 0;
        while (ia < na || ib < nb) {
            char id [16];
            if (ib < nb && (ia == na || b [ib] < a [ia])) {
                snprintf (id, sizeof id, "%s%d", n_new? ",": "", b [ib++]);
                if (strlen (lost) + strlen (id) < 24)
                    strcat (lost, id);
                else
                if (!strstr (lost, "\u2026"))
                    strcat (lost, "\u2026");
                n_new++;
            }
            else
            if (ia < na && (ib == nb || a [ia] < b [ib])) {
                snprintf (id, sizeof id, "%s%d", n_back? ",": "", a [ia++]);
                if (strlen (back) + strlen (id) < 24)
                    strcat (back, id);
                else
                if (!strstr (back, "\u2026"))
                    strcat (back, "\u2026");
                n_back++;
            }
            else {
                ia++;
                ib++;
            }
        }
        if (n_new) {
            s_event_t *e = &events [n++];
            *e = (s_event_t) { row->round, C_LOSTEV, 2, "" };
            snprintf (e->label, sizeof e->label, "lost %s", lost);
        }
        if (n_back) {
            s_event_t *e = &events [n++];
            *e = (s_event_t) { row->round, C_BACKEV, 2, "" };
            snprintf (e->label, sizeof e->label, "back %s", back);
        }
    }
    return n;
}

#define WC 1000.0
#define HC 780.0

static void
s_series (cairo_t *cr, const ss_rundir_t *run, const ss_axes_t *ax, size_t offset)
{
    cairo_save (cr);
    ss_axes_clip (cr, ax);
    ss_canvas_rgb (cr, C_TARGET, 1);
    cairo_set_line_width (cr, 2);
    cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
    bool drawing = false;
    for (int i = 0; i < run->n_rows; i++) {
        double v = *(const double *) ((const char *) &run->rows [i] + offset);
        double px = ss_axes_px (ax, (double) run->rows [i].round), py = ss_axes_py (ax, v);
        if (!isfinite (py)) {
            drawing = false;
            continue;
        }
        if (drawing)
            cairo_line_to (cr, px, py);
        else
            cairo_move_to (cr, px, py);
        drawing = true;
    }
    cairo_stroke (cr);
    if (run->n_rows <= 80)
        for (int i = 0; i < run->n_rows; i++) {
            double v = *(const double *) ((const char *) &run->rows [i] + offset);
            double py = ss_axes_py (ax, v);
            if (isfinite (py)) {
                cairo_arc (cr, ss_axes_px (ax, (double) run->rows [i].round), py, 2.6, 0, 2 * M_PI);
                cairo_fill (cr);
            }
        }
    cairo_restore (cr);
}

static void
s_draw_convergence (cairo_t *cr, void *ctx)
{
    s_plot_t *self = ctx;
    const ss_rundir_t *run = self->run;
    const ss_rundir_frame_t *now = self->now;
    self->now = NULL;           //  the title of the whole run
    s_title (cr, self, ": convergence");
    self->now = now;
    const struct { const char *name, *title; size_t offset; } series [3] = {
        { "J", "J = KL(q \u2016 p_\u03b8*), exact, from the true positions",
          offsetof (ss_rundir_row_t, J) },
        { "disagreement", "disagreement: max_i |\u03b8_i \u2212 mean \u03b8|\u221e",
          offsetof (ss_rundir_row_t, disagreement) },
        { "tracker bias", "tracker bias: |mean_i s_i \u2212 \u03c3(x)|\u221e",
          offsetof (ss_rundir_row_t, bias) },
    };
    double r0 = (double) run->rows [0].round, r1 = (double) run->rows [run->n_rows - 1].round;
    if (r1 <= r0)
        r1 = r0 + 1;
    double top = 92, h = 172, gap = 40;
    ss_axes_t axes [3];
    for (int s = 0; s < 3; s++) {
        ss_axes_t *ax = &axes [s];
        *ax = (ss_axes_t) { 100, top + s * (h + gap), 840, h, r0, r1, -1, 0, true };
        const double *first = (const double *) ((const char *) run->rows + series [s].offset);
        int lo, hi;
        bool any = ss_plotmath_decades (first, (size_t) run->n_rows,
                                        sizeof (ss_rundir_row_t) / sizeof (double), &lo, &hi) == 0;
        if (any) {
            ax->y0 = lo;
            ax->y1 = hi;
        }
        bool zeros = false;
        for (int i = 0; i < run->n_rows; i++) {
            double v = *(const double *) ((const char *) &run->rows [i] + series [s].offset);
            if (!(v > 0))
                zeros = true;
        }
        ss_canvas_axes (cr, ax, s == 2? "round": NULL, series [s].name,
                        SS_AXES_GRID | (s < 2? SS_AXES_NO_XLABEL: 0));
        s_series (cr, run, ax, series [s].offset);
        ss_canvas_rgb (cr, C_INK, 1);
        ss_canvas_text (cr, ax->x, ax->y - 7, 13, 0, 1, true, series [s].title);
        const ss_rundir_row_t *last = &run->rows [run->n_rows - 1];
        double v = *(const double *) ((const char *) last + series [s].offset);
        char text [96];
        snprintf (text, sizeof text, "last: %.3g%s", v,
                  !any? " (no positive value to draw)":
                  zeros? "; 0 and null are not drawn on the log scale": "");
        ss_canvas_text (cr, ax->x + ax->w, ax->y - 7, 11, 1, 1, false, text);
    }
    //  Events across the three panels, labelled above the first
    s_event_t events [MAX_EVENTS];
    int n = s_events (run, events);
    double last_label = -1e9;
    bool seen [3] = { false, false, false };
    for (int e = 0; e < n; e++) {
        double px = ss_axes_px (&axes [0], (double) events [e].round);
        cairo_save (cr);
        ss_canvas_rgb (cr, events [e].rgb24, 0.9);
        cairo_set_line_width (cr, 1.4);
        double dash [2] = { events [e].dash, events [e].dash * 0.8 + 2 };
        cairo_set_dash (cr, dash, 2, 0);
        for (int s = 0; s < 3; s++) {
            cairo_move_to (cr, px, axes [s].y);
            cairo_line_to (cr, px, axes [s].y + axes [s].h);
        }
        cairo_stroke (cr);
        cairo_restore (cr);
        seen [events [e].rgb24 == C_SWITCH? 0: events [e].rgb24 == C_LOSTEV? 1: 2] = true;
        double width = ss_canvas_text_width (cr, 10.5, false, events [e].label);
        if (px - width / 2 > last_label + 6) {
            ss_canvas_rgb (cr, events [e].rgb24, 1);
            ss_canvas_marker (cr, px, axes [0].y + 6, SS_MARK_TRIANGLE, 5, events [e].rgb24);
            ss_canvas_text (cr, px, axes [0].y + 14, 10.5, 0.5, 0, true, events [e].label);
            last_label = px + width / 2;
        }
    }
    double y = axes [2].y + axes [2].h + 62, x = axes [2].x;
    x = ss_canvas_legend (cr, x, y, -1, C_TARGET, 0, "value at a reported round");
    if (seen [0])
        x = ss_canvas_legend (cr, x, y, -1, C_SWITCH, 6, "target switch");
    if (seen [1])
        x = ss_canvas_legend (cr, x, y, -1, C_LOSTEV, 2, "agents lost");
    if (seen [2])
        x = ss_canvas_legend (cr, x, y, -1, C_BACKEV, 2, "agents back");
    if (!n) {
        ss_canvas_rgb (cr, C_INK, 1);
        ss_canvas_text (cr, x, y, 12, 0, 0.5, false, "no target switch, no agent lost");
    }
}

// ---------------------------------------------------------------------
//  Writing

static ss_canvas_draw_fn *
s_density_fn (const s_plot_t *self, double *w, double *h)
{
    if (self->d == 1) {
        *w = W1;
        *h = s_height_1d (self);
        return s_draw_1d;
    }
    if (self->d == 2) {
        *w = W2;
        *h = H2;
        return s_draw_2d;
    }
    *w = W3;
    *h = H3;
    return s_draw_3d;
}

//  The colour scale of a picture, a little above the highest density
static void
s_scale (s_plot_t *self, double most)
{
    self->vmax = most > 0? most * 1.02: 1;
}

static int
s_static (s_plot_t *self, const ss_plot_options_t *options, char *err, size_t err_size)
{
    const ss_rundir_t *run = self->run;
    char path [PATH_MAX + 64];
    self->now = &run->final;
    self->upto = run->n_frames - 1;
    self->row = &run->rows [run->n_rows - 1];
    self->is_frame = false;
    if (s_set_target (self, self->row->target)) {
        snprintf (err, err_size, "%s: cannot set the target in force", run->dir);
        return -1;
    }
    double *theta = calloc ((size_t) self->P->K, sizeof (double));
    if (!theta) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    s_fit (self, &run->final, self->row, theta);
    free (theta);
    double a = s_shown_max (self, 0), b = s_shown_max (self, 1);
    s_scale (self, a > b? a: b);
    double w, h;
    ss_canvas_draw_fn *draw = s_density_fn (self, &w, &h);
    snprintf (path, sizeof path, "%s/density", run->dir);
    if (ss_canvas_write (path, w, h, true, draw, self, options->out, err, err_size))
        return -1;
    snprintf (path, sizeof path, "%s/convergence", run->dir);
    return ss_canvas_write (path, WC, HC, true, s_draw_convergence, self,
                            options->out, err, err_size);
}

//  Remove the frames of an earlier plot (frame-*.png only)
static void
s_clear_frames (const char *dir)
{
    DIR *folder = opendir (dir);
    if (!folder)
        return;
    struct dirent *entry;
    while ((entry = readdir (folder))) {
        size_t len = strlen (entry->d_name);
        if (!strncmp (entry->d_name, "frame-", 6) && len > 10
        &&  !strcmp (entry->d_name + len - 4, ".png")) {
            char path [PATH_MAX + 300];
            snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
            unlink (path);
        }
    }
    closedir (folder);
}

//  The executable NAME on the PATH, into path; false if there is none
static bool
s_which (const char *name, char *path, size_t size)
{
    const char *dirs = getenv ("PATH");
    while (dirs && *dirs) {
        const char *colon = strchr (dirs, ':');
        size_t len = colon? (size_t) (colon - dirs): strlen (dirs);
        if (len > 0 && (size_t) snprintf (path, size, "%.*s/%s", (int) len, dirs, name) < size
        &&  access (path, X_OK) == 0)
            return true;
        dirs = colon? colon + 1: NULL;
    }
    return false;
}

//  replay.gif from the frames, by ffmpeg (no shell: paths stay paths)
static int
s_animate (const ss_rundir_t *run, const char *ffmpeg, int n_frames,
           const ss_plot_options_t *options, char *err, size_t err_size)
{
    char input [PATH_MAX + 64], output [PATH_MAX + 64], tmp [PATH_MAX + 80], rate [16];
    snprintf (input, sizeof input, "%s/frames/frame-%%06d.png", run->dir);
    snprintf (output, sizeof output, "%s/replay.gif", run->dir);
    snprintf (tmp, sizeof tmp, "%s/.replay.tmp.gif", run->dir);
    //  About ten seconds of replay, 2 to 25 frames a second
    int fps = n_frames / 10;
    snprintf (rate, sizeof rate, "%d", fps < 2? 2: fps > 25? 25: fps);
    char *argv [] = {
        (char *) "ffmpeg", (char *) "-nostdin", (char *) "-hide_banner",
        (char *) "-loglevel", (char *) "error", (char *) "-y",
        (char *) "-framerate", rate, (char *) "-i", input,
        (char *) "-filter_complex",
        (char *) "[0:v]scale=820:-1:flags=lanczos,split[a][b];"
                 "[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4",
        (char *) "-loop", (char *) "0", tmp, NULL
    };
    pid_t pid;
    int rc = posix_spawn (&pid, ffmpeg, NULL, NULL, argv, environ);
    int status = 0;
    if (rc == 0)
        while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (rc || !WIFEXITED (status) || WEXITSTATUS (status) || rename (tmp, output)) {
        snprintf (err, err_size, "%s: ffmpeg failed to make %s (%s)", ffmpeg, output,
                  rc? strerror (rc): "see its message above");
        unlink (tmp);
        return -1;
    }
    if (options->out)
        fprintf (options->out, "%s\n", output);
    return 0;
}

static int
s_frames (s_plot_t *self, const ss_plot_options_t *options, char *err, size_t err_size)
{
    const ss_rundir_t *run = self->run;
    const int K = self->P->K, F = run->n_frames;
    char dir [PATH_MAX + 16], path [PATH_MAX + 64];
    snprintf (dir, sizeof dir, "%s/frames", run->dir);
    if (ss_mkdirs (dir, 0755)) {
        snprintf (err, err_size, "%s: cannot make the directory (%s)", dir, strerror (errno));
        return -1;
    }
    s_clear_frames (dir);
    //  Pass 1: theta* of every frame and one colour scale for all
    double *thetas = calloc ((size_t) F * K, sizeof (double));
    if (!thetas) {
        snprintf (err, err_size, "out of memory for %d frames", F);
        return -1;
    }
    double most = 0;
    for (int f = 0; f < F; f++) {
        const ss_rundir_row_t *row = s_row_at (run, run->frames [f].round);
        double *theta = thetas + (size_t) f * K;
        if (f > 0)
            memcpy (theta, theta - K, (size_t) K * sizeof (double));
        if (s_set_target (self, row? row->target: 0)) {
            snprintf (err, err_size, "%s: cannot set the target in force", run->dir);
            free (thetas);
            return -1;
        }
        s_fit (self, &run->frames [f], row, theta);
        double a = s_shown_max (self, 0), b = s_shown_max (self, 1);
        if (a > most)
            most = a;
        if (b > most)
            most = b;
    }
    s_scale (self, most);
    //  Pass 2: draw, each frame from its theta* (already converged)
    double w, h;
    ss_canvas_draw_fn *draw = s_density_fn (self, &w, &h);
    self->is_frame = true;
    int rc = 0;
    for (int f = 0; rc == 0 && f < F; f++) {
        self->now = &run->frames [f];
        self->upto = f;
        self->row = s_row_at (run, self->now->round);
        rc = s_set_target (self, self->row? self->row->target: 0);
        s_fit (self, self->now, self->row, thetas + (size_t) f * K);
        snprintf (path, sizeof path, "%s/frame-%06d", dir, f);
        if (rc == 0)
            rc = ss_canvas_write (path, w, h, false, draw, self, NULL, err, err_size);
    }
    free (thetas);
    if (rc)
        return -1;
    if (options->out)
        fprintf (options->out, "%s/frame-000000.png .. frame-%06d.png (%d frames)\n",
                 dir, F - 1, F);
    char ffmpeg [PATH_MAX];
    if (!s_which ("ffmpeg", ffmpeg, sizeof ffmpeg)) {
        if (options->log)
            fprintf (options->log, "swarmshape plot: ffmpeg not found on the PATH: "
                     "no replay.gif (install the Debian package ffmpeg)\n");
        return 0;
    }
    return s_animate (run, ffmpeg, F, options, err, err_size);
}

int
ss_plot_run (const ss_rundir_t *run, const ss_plot_options_t *options,
             char *err, size_t err_size)
{
    s_plot_t self;
    if (s_plot_init (&self, run, err, err_size))
        return -1;
    if (run->n_frames == 0 && options->log)
        fprintf (options->log, "swarmshape plot: %s/frames.csv missing: no paths drawn\n",
                 run->dir);
    const ss_rundir_row_t *last = &run->rows [run->n_rows - 1];
    if (last->target > run->n_targets && options->log)
        fprintf (options->log, "swarmshape plot: %s: the trace counts %lld target switches "
                 "but targets.txt holds %d: the fleet's target is drawn for the others\n",
                 run->dir, (long long) last->target, run->n_targets);
    int rc = s_static (&self, options, err, err_size);
    if (rc == 0 && options->frames)
        rc = s_frames (&self, options, err, err_size);
    s_plot_free (&self);
    //  Cairo's and fontconfig's caches, so that LeakSanitizer sees only ours
    cairo_debug_reset_static_data ();
    FcFini ();
    return rc;
}
