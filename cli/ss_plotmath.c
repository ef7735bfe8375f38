/*  ss_plotmath: the arithmetic of the pictures (no drawing, no files). */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ss_plotmath.h"
#include "ss_footprint.h"
#include "ss_lower.h"

int
ss_plotmath_fit (const ss_problem_t *P, const double *x, int n, double *theta,
                 double tol, ss_work_t *w)
{
    double sigma [SS_MAX_K];
    ss_footprint_aggregate (P, x, n, sigma);
    int steps = ss_lower_solve (P, sigma, theta, tol, w);
    //  w->p at theta* whatever the solver left in it
    ss_expfam_moments (P, theta, w, false);
    return steps;
}

void
ss_plotmath_density (const ss_problem_t *P, const double *p, double *out)
{
    const ss_model_t *m = &P->model;
    double volume = pow ((m->hi - m->lo) / m->nq, P->d);
    for (int g = 0; g < P->G; g++)
        out [g] = p [g] / volume;
}

void
ss_plotmath_marginal (const double *grid, int nq, double cell, int a, int b,
                      double *out)
{
    size_t stride [3] = { 1, (size_t) nq, (size_t) nq * nq };
    int c = 3 - a - b;
    for (int j = 0; j < nq; j++)
        for (int i = 0; i < nq; i++) {
            double sum = 0;
            for (int k = 0; k < nq; k++)
                sum += grid [i * stride [a] + j * stride [b] + k * stride [c]];
            out [(size_t) j * nq + i] = sum * cell;
        }
}

//  Where sample s of o falls among n cell centres: index i0 and weight t
//  of i0 + 1, held at the edges
static void
s_locate (int s, int o, int n, int *i0, double *t)
{
    double u = (s + 0.5) * n / o - 0.5;
    if (u <= 0) {
        *i0 = 0;
        *t = 0;
    }
    else
    if (u >= n - 1) {
        *i0 = n > 1? n - 2: 0;
        *t = n > 1? 1: 0;
    }
    else {
        *i0 = (int) u;
        *t = u - *i0;
    }
}

void
ss_plotmath_resample (const double *grid, int nx, int ny, double *out, int ox,
                      int oy)
{
    for (int sy = 0; sy < oy; sy++) {
        int j0;
        double ty;
        s_locate (sy, oy, ny, &j0, &ty);
        int j1 = ny > 1? j0 + 1: j0;
        for (int sx = 0; sx < ox; sx++) {
            int i0;
            double tx;
            s_locate (sx, ox, nx, &i0, &tx);
            int i1 = nx > 1? i0 + 1: i0;
            double low = (1 - tx) * grid [(size_t) j0 * nx + i0] + tx * grid [(size_t) j0 * nx + i1];
            double high = (1 - tx) * grid [(size_t) j1 * nx + i0] + tx * grid [(size_t) j1 * nx + i1];
            out [(size_t) sy * ox + sx] = (1 - ty) * low + ty * high;
        }
    }
}

//  Ticks at multiples of step inside [lo, hi] into ticks (at most cap);
//  how many there are, counted up to cap + 1
static int
s_ticks_at (double lo, double hi, double step, double *ticks, int cap)
{
    double first = ceil (lo / step - 1e-9) * step;
    int n = 0;
    for (double t = first; t <= hi + step * 1e-9 && n <= cap; t = first + n * step) {
        if (n < cap)
            ticks [n] = fabs (t) < step * 1e-9? 0: t;
        n++;
    }
    return n;
}

int
ss_plotmath_ticks (double lo, double hi, int max_ticks, double *ticks,
                   double *step)
{
    if (max_ticks < 2)
        max_ticks = 2;
    if (max_ticks > SS_PLOTMATH_MAX_TICKS - 1)
        max_ticks = SS_PLOTMATH_MAX_TICKS - 1;
    double span = hi - lo;
    if (!(span > 0) || !isfinite (span)) {
        ticks [0] = isfinite (lo)? lo: 0;
        *step = 1;
        return 1;
    }
    //  The smallest of 1, 2, 5 x 10^e leaving at most max_ticks ticks;
    //  if that leaves one, the step before it
    double base = pow (10, floor (log10 (span / max_ticks)));
    static const double mult [] = { 1, 2, 5, 10, 20, 50 };
    double before = 0;
    for (size_t i = 0; i < sizeof mult / sizeof mult [0]; i++) {
        *step = base * mult [i];
        int n = s_ticks_at (lo, hi, *step, ticks, SS_PLOTMATH_MAX_TICKS);
        if (n <= max_ticks) {
            if (n < 2 && before > 0) {
                *step = before;
                n = s_ticks_at (lo, hi, *step, ticks, SS_PLOTMATH_MAX_TICKS);
            }
            return n;
        }
        before = *step;
    }
    return 0;
}

int
ss_plotmath_decades (const double *values, size_t count, size_t stride,
                     int *lo, int *hi)
{
    double least = INFINITY, most = 0;
    for (size_t i = 0; i < count; i++) {
        double v = values [i * stride];
        if (v > 0 && isfinite (v)) {
            if (v < least)
                least = v;
            if (v > most)
                most = v;
        }
    }
    if (!(most > 0))
        return -1;
    *lo = (int) floor (log10 (least) + 1e-12);
    *hi = (int) ceil (log10 (most) - 1e-12);
    if (*hi <= *lo)
        *hi = *lo + 1;
    return 0;
}

int
ss_plotmath_log_ticks (int lo, int hi, int max_ticks, int *exps)
{
    if (max_ticks < 2)
        max_ticks = 2;
    if (max_ticks > SS_PLOTMATH_MAX_TICKS)
        max_ticks = SS_PLOTMATH_MAX_TICKS;
    int step = 1;
    while ((hi - lo) / step + 1 > max_ticks)
        step++;
    int n = 0;
    //  Multiples of step, so that 10^0 is a tick whenever it is in range
    int first = (int) ceil ((double) lo / step) * step;
    for (int e = first; e <= hi; e += step)
        exps [n++] = e;
    return n;
}

char *
ss_plotmath_label (double value, double step, char *buf, size_t size)
{
    if (fabs (value) < fabs (step) * 1e-6)
        value = 0;              //  and never "-0"
    if (fabs (value) >= 1e5 || (value != 0 && fabs (value) < 1e-4))
        snprintf (buf, size, "%.3g", value);
    else {
        int decimals = step > 0? (int) ceil (-log10 (step) - 1e-9): 0;
        if (decimals < 0)
            decimals = 0;
        if (decimals > 6)
            decimals = 6;
        snprintf (buf, size, "%.*f", decimals, value);
    }
    return buf;
}

void
ss_plotmath_colour (double t, double rgb [3])
{
    //  matplotlib's viridis at t = 0, 0.1, ..., 1
    static const unsigned char stops [11][3] = {
        { 0x44, 0x01, 0x54 }, { 0x48, 0x24, 0x75 }, { 0x41, 0x44, 0x87 },
        { 0x35, 0x5f, 0x8d }, { 0x2a, 0x78, 0x8e }, { 0x21, 0x91, 0x8c },
        { 0x22, 0xa8, 0x84 }, { 0x44, 0xbf, 0x70 }, { 0x7a, 0xd1, 0x51 },
        { 0xbd, 0xdf, 0x26 }, { 0xfd, 0xe7, 0x25 }
    };
    if (!(t > 0))
        t = 0;
    if (t > 1)
        t = 1;
    double u = t * 10;
    int i = (int) u;
    if (i > 9)
        i = 9;
    double f = u - i;
    for (int c = 0; c < 3; c++)
        rgb [c] = ((1 - f) * stops [i][c] + f * stops [i + 1][c]) / 255.0;
}
