/*  ss_expfam: features, quadrature, log-partition and moments.

    The macroscopic distribution lives on G = nq^d cell midpoints. For a
    natural parameter theta, p_theta(g) = exp(theta . phi(y_g) - A(theta)).

    Tensor path (default). Centres and nodes are grids, so every feature is
    a product over axes, phi_k(y_g) = prod_j a(g_j, k_j). The logits are
    theta times a along each axis (n_q m^d + ... + n_q^d m multiply-adds),
    E = Phi^T p is p times a^T along each axis, and the second moments
    S[k][l] = sum_g p_g phi_k phi_l = sum_g p_g prod_j a(g_j,k_j) a(g_j,l_j)
    are p times the n_q x m(m+1)/2 matrix of pair products along each axis
    (n_q^d mp + n_q^(d-1) mp^2 + ...). Cov = S - E E^T, unpacked into the
    full K x K. With G exponentials, the first mode products (O(G m) and
    O(G m^2 / 2)) now dominate (see README.md, "Benchmarks").

    Cancellation: S - E E^T loses digits where the variance is small next
    to E[phi]^2. S and E are sums of positive terms, each within about
    d n_q eps of itself (worst case), so every Cov entry is within
    4 d n_q eps sqrt(S_kk S_ll) <= 4 d n_q eps (phi <= 1): an absolute error
    near 1e-14, far below rho (H = Cov + rho I) and the 1e-6 of the
    finite-difference tests. The dense path below accumulates centred, as
    the original code.

    Dense path (the reference). One evaluation costs a G x K product for
    the logits and E and, with the covariance, a centred G x K^2 / 2
    accumulation over the full feature matrix phi.
*/

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ss_expfam.h"

//  LAPACK, Cholesky of a symmetric positive definite matrix and its solve
//  (Fortran interface; the trailing length is that of the character argument)
void dpotrf_ (const char *uplo, const int *n, double *a, const int *lda,
              int *info, size_t uplo_len);
void dpotrs_ (const char *uplo, const int *n, const int *nrhs, const double *a,
              const int *lda, double *b, const int *ldb, int *info,
              size_t uplo_len);
void openblas_set_num_threads (int num_threads);

#if defined (SS_HAVE_MVEC) && defined (__x86_64__)
//  glibc's libmvec: exp on 4 doubles at once (AVX2, within 4 ulp); the
//  result of one element does not depend on its lane or neighbours
#   include <immintrin.h>
__attribute__ ((target ("avx2"))) __m256d _ZGVdN4v_exp (__m256d x);

//  The softmax of s_softmax in 4 lanes: max, exp and sum (lane j sums
//  elements j, j + 4, ...; the lanes are added in one fixed order), scale.
//  Returns log z, with *top the largest logit.
__attribute__ ((target ("avx2")))
static double
s_softmax_avx2 (const double *x, double *y, int n, double *top_p)
{
    const int n4 = n & ~3;
    double pad [4], top = -INFINITY;
    __m256d vmax = _mm256_set1_pd (-INFINITY);
    for (int i = 0; i < n4; i += 4)
        vmax = _mm256_max_pd (vmax, _mm256_loadu_pd (x + i));
    _mm256_storeu_pd (pad, vmax);
    for (int j = 0; j < 4; j++)
        top = pad [j] > top? pad [j]: top;
    for (int i = n4; i < n; i++)
        top = x [i] > top? x [i]: top;
    __m256d shift = _mm256_set1_pd (top), vsum = _mm256_setzero_pd ();
    for (int i = 0; i < n4; i += 4) {
        __m256d e = _ZGVdN4v_exp (_mm256_sub_pd (_mm256_loadu_pd (x + i), shift));
        _mm256_storeu_pd (y + i, e);
        vsum = _mm256_add_pd (vsum, e);
    }
    if (n4 < n) {
        //  The tail through the same vector exp, padded with exp(-inf) = 0
        double in [4] = { -INFINITY, -INFINITY, -INFINITY, -INFINITY }, out [4];
        for (int i = n4; i < n; i++)
            in [i - n4] = x [i];
        __m256d e = _ZGVdN4v_exp (_mm256_sub_pd (_mm256_loadu_pd (in), shift));
        _mm256_storeu_pd (out, e);
        vsum = _mm256_add_pd (vsum, e);
        for (int i = n4; i < n; i++)
            y [i] = out [i - n4];
    }
    _mm256_storeu_pd (pad, vsum);
    double z = (pad [0] + pad [1]) + (pad [2] + pad [3]);
    __m256d inv_z = _mm256_set1_pd (1.0 / z);
    for (int i = 0; i < n4; i += 4)
        _mm256_storeu_pd (y + i, _mm256_mul_pd (_mm256_loadu_pd (y + i), inv_z));
    for (int i = n4; i < n; i++)
        y [i] *= 1.0 / z;
    *top_p = top;
    return log (z);
}
#endif

//  Sizes at and above which BLAS/LAPACK beat the hand-written loops, as
//  measured by tests/bench/bench_round (README.md, "Benchmarks"): dgemm from the
//  first second-moment product of ~2000 multiply-adds on (d = 1, m = 5,
//  n_q = 32 is 480 and runs as fast by hand; d = 2, m = 3, n_q = 32 is
//  6144 and runs 2.6x faster with dgemm); dpotrf from K = 60 on (by hand
//  1.2 us against 1.6 us at K = 25, 4.9 against 5.5 at K = 49; with LAPACK
//  8.1 against 9.0 us at K = 64, 36 against 56 us at K = 125)
#define SS_BLAS_TENSOR_MIN_WORK 2000
#define SS_BLAS_CHOL_MIN_K      60

static void
s_grid_point (int index, int per_axis, int d, double lo, double hi,
              double *out)
{
    //  Cell midpoints, first coordinate fastest
    double cell = (hi - lo) / per_axis;
    for (int a = 0; a < d; a++) {
        out [a] = lo + (index % per_axis + 0.5) * cell;
        index /= per_axis;
    }
}

//  The per-axis factors and the three operators of the tensor path
static int
s_problem_axes (ss_problem_t *self)
{
    const ss_model_t *model = &self->model;
    const int m = self->m, nq = self->nq, mp = self->mp;
    self->axis = calloc ((size_t) nq * m, sizeof (double));
    self->centre1 = calloc ((size_t) m, sizeof (double));
    self->pair = calloc ((size_t) m * m, sizeof (int));
    double *pairs = calloc ((size_t) mp * nq, sizeof (double));
    double *axis_t = calloc ((size_t) nq * m, sizeof (double));
    int rc = -1;
    if (!self->axis || !self->centre1 || !self->pair || !pairs || !axis_t)
        goto done;
    double two_var = 2 * model->ell * model->ell, node;
    for (int k = 0; k < m; k++)
        s_grid_point (k, m, 1, model->lo, model->hi, &self->centre1 [k]);
    for (int g = 0; g < nq; g++) {
        s_grid_point (g, nq, 1, model->lo, model->hi, &node);
        for (int k = 0; k < m; k++) {
            double r = node - self->centre1 [k];
            self->axis [g * m + k] = axis_t [k * nq + g] = exp (-r * r / two_var);
        }
    }
    for (int k = 0, index = 0; k < m; k++)
        for (int l = k; l < m; l++, index++) {
            self->pair [k * m + l] = self->pair [l * m + k] = index;
            for (int g = 0; g < nq; g++)
                pairs [index * nq + g] = self->axis [g * m + k] * self->axis [g * m + l];
        }
    self->op_logit = ss_tensor_new (self->d, nq, m, self->axis);
    self->op_mean = ss_tensor_new (self->d, m, nq, axis_t);
    self->op_second = ss_tensor_new (self->d, mp, nq, pairs);
    if (self->op_logit && self->op_mean && self->op_second)
        rc = 0;
done:
    free (pairs);
    free (axis_t);
    return rc;
}

ss_problem_t *
ss_problem_new (const ss_model_t *model, const ss_mixture_t *target)
{
    if (ss_model_check (model) || ss_mixture_check (target, model))
        return NULL;
    ss_problem_t *self = calloc (1, sizeof (ss_problem_t));
    if (!self)
        return NULL;
    self->model = *model;
    int d = self->d = model->dim;
    int K = self->K = ss_model_features (model);
    int G = self->G = ss_model_nodes (model);
    self->m = model->m;
    self->nq = model->nq;
    self->mp = model->m * (model->m + 1) / 2;
    self->path = SS_PATH_TENSOR;
    self->centres = calloc ((size_t) K * d, sizeof (double));
    self->nodes = calloc ((size_t) G * d, sizeof (double));
    self->q = calloc ((size_t) G, sizeof (double));
    self->mu_q = calloc ((size_t) K, sizeof (double));
    if (!self->centres || !self->nodes || !self->q || !self->mu_q
    ||  s_problem_axes (self)) {
        ss_problem_destroy (&self);
        return NULL;
    }
    for (int k = 0; k < K; k++)
        s_grid_point (k, model->m, d, model->lo, model->hi, self->centres + k * d);
    for (int g = 0; g < G; g++)
        s_grid_point (g, model->nq, d, model->lo, model->hi, self->nodes + g * d);
    double var = model->ell * model->ell;
    self->psi_var = var + model->h * model->h;
    self->psi_scale = pow (var / self->psi_var, d / 2.0);
    //  BLAS inside an agent runs on the calling thread only: one process
    //  per agent already uses the cores, and the sums stay in one order
    openblas_set_num_threads (1);
    ss_problem_set_blas (self, (double) G * self->mp >= SS_BLAS_TENSOR_MIN_WORK,
                         K >= SS_BLAS_CHOL_MIN_K);
    if (ss_problem_set_target (self, target)) {
        ss_problem_destroy (&self);
        return NULL;
    }
    return self;
}

void
ss_problem_destroy (ss_problem_t **self_p)
{
    if (*self_p) {
        ss_problem_t *self = *self_p;
        free (self->centres);
        free (self->nodes);
        free (self->phi);
        free (self->axis);
        free (self->centre1);
        free (self->pair);
        ss_tensor_destroy (&self->op_logit);
        ss_tensor_destroy (&self->op_mean);
        ss_tensor_destroy (&self->op_second);
        free (self->q);
        free (self->mu_q);
        free (self);
        *self_p = NULL;
    }
}

//  A grid target: log q_g = log level [g] (-inf where the level is 0),
//  before normalisation. Returns the largest.
static double
s_grid_logq (const ss_mixture_t *target, int G, double *logq)
{
    double top = -INFINITY;
    for (int g = 0; g < G; g++) {
        logq [g] = target->level [g] > 0? log ((double) target->level [g]): -INFINITY;
        if (logq [g] > top)
            top = logq [g];
    }
    return top;
}

int
ss_problem_set_path (ss_problem_t *self, ss_path_t path)
{
    if (path == SS_PATH_DENSE && !self->phi) {
        self->phi = calloc ((size_t) self->G * self->K, sizeof (double));
        if (!self->phi)
            return -1;
        for (int g = 0; g < self->G; g++)
            ss_expfam_features (self, self->nodes + (size_t) g * self->d,
                                self->phi + (size_t) g * self->K);
    }
    self->path = path;
    return 0;
}

void
ss_problem_set_blas (ss_problem_t *self, bool tensor, bool chol)
{
    ss_tensor_set_blas (self->op_logit, tensor);
    ss_tensor_set_blas (self->op_mean, tensor);
    ss_tensor_set_blas (self->op_second, tensor);
    self->blas_chol = chol;
}

int
ss_problem_set_target (ss_problem_t *self, const ss_mixture_t *target)
{
    if (ss_mixture_check (target, &self->model))
        return -1;
    int d = self->d, G = self->G;
    //  Work in logs so that narrow components far from a node do not
    //  underflow the whole grid: log q_g = log sum_c w_c N(y_g; mu_c, s_c^2)
    double *logq = calloc ((size_t) G, sizeof (double));
    if (!logq)
        return -1;
    double top = -INFINITY;
    if (target->cells > 0)
        top = s_grid_logq (target, G, logq);
    else
    for (int g = 0; g < G; g++) {
        const double *y = self->nodes + g * d;
        double best = -INFINITY, terms [SS_MAX_COMPONENTS];
        for (int c = 0; c < target->count; c++) {
            const ss_component_t *comp = &target->comp [c];
            double r2 = 0, s2 = comp->std * comp->std;
            for (int a = 0; a < d; a++)
                r2 += (y [a] - comp->mean [a]) * (y [a] - comp->mean [a]);
            terms [c] = log (comp->weight) - 0.5 * d * log (2 * M_PI * s2)
                      - r2 / (2 * s2);
            if (terms [c] > best)
                best = terms [c];
        }
        double sum = 0;
        for (int c = 0; c < target->count; c++)
            sum += exp (terms [c] - best);
        logq [g] = best + log (sum);
        if (logq [g] > top)
            top = logq [g];
    }
    double z = 0;
    for (int g = 0; g < G; g++)
        z += exp (logq [g] - top);
    double logz = top + log (z);
    self->q_entropy_term = 0;
    for (int g = 0; g < G; g++) {
        double lq = logq [g] - logz;
        double q = self->q [g] = exp (lq);
        if (q > 0)
            self->q_entropy_term += q * lq;
    }
    free (logq);
    //  mu_q = Phi^T q, one path for both (a target does not depend on it)
    double *scratch = calloc (ss_tensor_scratch (self->op_mean) + 1, sizeof (double));
    if (!scratch)
        return -1;
    ss_tensor_apply (self->op_mean, self->q, self->mu_q, scratch);
    free (scratch);
    return 0;
}

ss_work_t *
ss_work_new (const ss_problem_t *problem)
{
    ss_work_t *self = calloc (1, sizeof (ss_work_t));
    if (!self)
        return NULL;
    size_t K = problem->K, G = problem->G;
    self->logit = calloc (G, sizeof (double));
    self->p = calloc (G, sizeof (double));
    self->E = calloc (K, sizeof (double));
    self->cov = calloc (K * K, sizeof (double));
    self->chol = calloc (K * K, sizeof (double));
    self->u = calloc (K, sizeof (double));
    self->tmp = calloc (K, sizeof (double));
    self->tmp2 = calloc (K, sizeof (double));
    self->wphi = calloc (K, sizeof (double));
    size_t second = 1, scratch = ss_tensor_scratch (problem->op_logit);
    for (int j = 0; j < problem->d; j++)
        second *= (size_t) problem->mp;
    if (ss_tensor_scratch (problem->op_mean) > scratch)
        scratch = ss_tensor_scratch (problem->op_mean);
    if (ss_tensor_scratch (problem->op_second) > scratch)
        scratch = ss_tensor_scratch (problem->op_second);
    self->second = calloc (second, sizeof (double));
    self->scratch = calloc (scratch + 1, sizeof (double));
    if (!self->logit || !self->p || !self->E || !self->cov || !self->chol
    ||  !self->u || !self->tmp || !self->tmp2 || !self->wphi || !self->second
    ||  !self->scratch)
        ss_work_destroy (&self);
    return self;
}

void
ss_work_destroy (ss_work_t **self_p)
{
    if (*self_p) {
        ss_work_t *self = *self_p;
        free (self->logit);
        free (self->p);
        free (self->E);
        free (self->cov);
        free (self->chol);
        free (self->u);
        free (self->tmp);
        free (self->tmp2);
        free (self->wphi);
        free (self->second);
        free (self->scratch);
        free (self);
        *self_p = NULL;
    }
}

void
ss_expfam_features (const ss_problem_t *self, const double *y, double *out)
{
    double two_var = 2 * self->model.ell * self->model.ell;
    for (int k = 0; k < self->K; k++) {
        const double *c = self->centres + k * self->d;
        double r2 = 0;
        for (int a = 0; a < self->d; a++)
            r2 += (y [a] - c [a]) * (y [a] - c [a]);
        out [k] = exp (-r2 / two_var);
    }
}

//  p = exp(logit - A) from w->logit; sets w->A. The dense path keeps the
//  original scalar loops, the tensor path takes the vectorised ones.
static void
s_softmax (int G, ss_work_t *w, bool vector_exp)
{
#if defined (SS_HAVE_MVEC) && defined (__x86_64__)
    if (vector_exp && __builtin_cpu_supports ("avx2")) {
        double top, log_z = s_softmax_avx2 (w->logit, w->p, G, &top);
        w->A = top + log_z;
        return;
    }
#else
    (void) vector_exp;
#endif
    double top = -INFINITY;
    for (int g = 0; g < G; g++)
        if (w->logit [g] > top)
            top = w->logit [g];
    double z = 0;
    for (int g = 0; g < G; g++)
        z += (w->p [g] = exp (w->logit [g] - top));
    w->A = top + log (z);
    double inv_z = 1.0 / z;
    for (int g = 0; g < G; g++)
        w->p [g] *= inv_z;
}

static void
s_moments_dense (const ss_problem_t *self, const double *theta, ss_work_t *w,
                 bool with_cov)
{
    const int K = self->K, G = self->G;
    for (int g = 0; g < G; g++) {
        const double *phi = self->phi + (size_t) g * K;
        double l = 0;
        for (int k = 0; k < K; k++)
            l += theta [k] * phi [k];
        w->logit [g] = l;
    }
    s_softmax (G, w, false);
    memset (w->E, 0, (size_t) K * sizeof (double));
    for (int g = 0; g < G; g++) {
        double p = w->p [g];
        const double *phi = self->phi + (size_t) g * K;
        for (int k = 0; k < K; k++)
            w->E [k] += p * phi [k];
    }
    if (with_cov) {
        double *cov = w->cov, *c = w->wphi;
        memset (cov, 0, (size_t) K * K * sizeof (double));
        for (int g = 0; g < G; g++) {
            double p = w->p [g];
            const double *phi = self->phi + (size_t) g * K;
            for (int k = 0; k < K; k++)
                c [k] = phi [k] - w->E [k];
            //  Lower triangle, row a: cov[a][0..a] += p c[a] c[0..a]
            for (int a = 0; a < K; a++) {
                double pa = p * c [a];
                double *row = cov + (size_t) a * K;
                for (int b = 0; b <= a; b++)
                    row [b] += pa * c [b];
            }
        }
        for (int a = 0; a < K; a++)
            for (int b = a + 1; b < K; b++)
                cov [(size_t) a * K + b] = cov [(size_t) b * K + a];
    }
}

//  Cov[k][l] = S[pair(k_0,l_0) + mp pair(k_1,l_1) + mp^2 pair(k_2,l_2)]
//  - E_k E_l; missing axes (d < 3) have one index, pair 0
static void
s_unpack_cov (const ss_problem_t *self, ss_work_t *w)
{
    const int m = self->m, mp = self->mp, K = self->K;
    const int n1 = self->d > 1? m: 1, n2 = self->d > 2? m: 1;
    const int *pair = self->pair;
    const double *S = w->second, *E = w->E;
    for (int k = 0; k < K; k++) {
        const int k0 = k % m, k1 = (k / m) % n1, k2 = k / m / n1;
        double *row = w->cov + (size_t) k * K;
        const double ek = E [k];
        int l = 0;
        for (int l2 = 0; l2 < n2; l2++) {
            const double *S2 = S + (size_t) pair [k2 * m + l2] * mp * mp;
            for (int l1 = 0; l1 < n1; l1++) {
                const double *S1 = S2 + (size_t) pair [k1 * m + l1] * mp;
                const int *p0 = pair + k0 * m;
                for (int l0 = 0; l0 < m; l0++, l++)
                    row [l] = S1 [p0 [l0]] - ek * E [l];
            }
        }
    }
}

double
ss_expfam_moments (const ss_problem_t *self, const double *theta,
                   ss_work_t *w, bool with_cov)
{
    if (self->path == SS_PATH_DENSE) {
        s_moments_dense (self, theta, w, with_cov);
        return w->A;
    }
    ss_tensor_apply (self->op_logit, theta, w->logit, w->scratch);
    s_softmax (self->G, w, true);
    ss_tensor_apply (self->op_mean, w->p, w->E, w->scratch);
    if (with_cov) {
        ss_tensor_apply (self->op_second, w->p, w->second, w->scratch);
        s_unpack_cov (self, w);
    }
    return w->A;
}

double
ss_expfam_kl (const ss_problem_t *self, const double *theta,
              const ss_work_t *w)
{
    double dot = 0;
    for (int k = 0; k < self->K; k++)
        dot += theta [k] * self->mu_q [k];
    return self->q_entropy_term - dot + w->A;
}

//  a . b over n terms in 4 interleaved partial sums, added in one fixed
//  order: the latency of one long chain of additions was most of the
//  Cholesky's time at K = 25
static inline double
s_dot (const double *a, const double *b, int n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += a [k] * b [k];
        s1 += a [k + 1] * b [k + 1];
        s2 += a [k + 2] * b [k + 2];
        s3 += a [k + 3] * b [k + 3];
    }
    for (; k < n; k++)
        s0 += a [k] * b [k];
    return (s0 + s1) + (s2 + s3);
}

int
ss_chol_factor (double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double *rj = a + (size_t) j * n;
        double diag = rj [j] - s_dot (rj, rj, j);
        if (!(diag > 0) || !isfinite (diag))
            return -1;
        diag = sqrt (diag);
        rj [j] = diag;
        for (int i = j + 1; i < n; i++) {
            double *ri = a + (size_t) i * n;
            ri [j] = (ri [j] - s_dot (ri, rj, j)) / diag;
        }
    }
    return 0;
}

void
ss_chol_solve (const double *l, int n, double *b)
{
    //  L y = b by rows, then L^T x = y by rows of L (each x_i, once known,
    //  is taken out of the equations above it)
    for (int i = 0; i < n; i++) {
        const double *ri = l + (size_t) i * n;
        b [i] = (b [i] - s_dot (ri, b, i)) / ri [i];
    }
    for (int i = n - 1; i >= 0; i--) {
        const double *ri = l + (size_t) i * n;
        double x = b [i] /= ri [i];
        for (int k = 0; k < i; k++)
            b [k] -= ri [k] * x;
    }
}

int
ss_expfam_factor (const ss_problem_t *self, ss_work_t *w)
{
    const int K = self->K;
    memcpy (w->chol, w->cov, (size_t) K * K * sizeof (double));
    for (int k = 0; k < K; k++)
        w->chol [(size_t) k * K + k] += self->model.rho;
    if (!self->blas_chol)
        return ss_chol_factor (w->chol, K);
    //  Row-major lower L is column-major upper U = L^T: the same memory
    int info = 0;
    dpotrf_ ("U", &K, w->chol, &K, &info, 1);
    return info == 0? 0: -1;
}

void
ss_expfam_solve (const ss_problem_t *self, const ss_work_t *w, double *b)
{
    const int K = self->K;
    if (!self->blas_chol) {
        ss_chol_solve (w->chol, K, b);
        return;
    }
    int one = 1, info = 0;
    dpotrs_ ("U", &K, &one, w->chol, &K, b, &K, &info, 1);
}

int
ss_expfam_newton_direction (const ss_problem_t *self, ss_work_t *w)
{
    if (ss_expfam_factor (self, w))
        return -1;
    for (int k = 0; k < self->K; k++)
        w->u [k] = w->E [k] - self->mu_q [k];
    ss_expfam_solve (self, w, w->u);
    return 0;
}
