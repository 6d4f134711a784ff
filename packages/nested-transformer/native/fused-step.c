/*
 * One whole training step of the embedding-nested GPT (experiments 1-3) in plain C: forward,
 * backward, gradient clipping and AdamW of R replicas, called from Node through N-API.
 *
 * Why: at experiment 1's size (d = 32, b = 4, t = 16) a step is ~20 MFLOP, but the tfjs path
 * launches ~1,000 kernels for it, and launching, not arithmetic, is what a step costs there.
 * This file does the same arithmetic in one call. The tfjs path (model.ts) stays the reference,
 * the fallback and the browser's engine; fused-step.spec.ts holds the two to 1e-5.
 *
 * The model (docs/ARCHITECTURE.md, "The fused training step"), per replica, n = b*T positions:
 *   x0  = LN(E[ids]) + P[:T]
 *   x  += Drop(Attn(LN(x)) Wo + bo)          causal, h heads, scores scaled by 1/sqrt(d/h),
 *                                             dropout on the attention weights too
 *   x  += Drop(ReLU(LN(x) W1 + b1) W2 + b2)  for each of the l blocks
 *   h   = LN(x);  logits_m = h[:, :m] W_m^T  W_m = LN_d(E)[:, :m] ('full') or LN_m(E[:, :m])
 *   loss = sum_k c_k CE_k (hard targets, or soft ones: the row y of a target matrix M_k)
 * LN has no affine parameters (eps 1e-5). Dropout masks are mulberry32 streams seeded exactly as
 * dropout.ts seeds them, so the two paths draw the same masks.
 *
 * Memory layout: the parameters, gradients and AdamW moments are flat float32 arrays holding the
 * model's variables in parameterSpecs order, each (R, ...) replica-major. As matrices (rows x
 * columns, row-major): E (v, d), P (t, d), wqkv (d, 3d) with q, k, v of head j at columns
 * j*hs, d + j*hs and 2d + j*hs (parameters.ts stores it [d, 3, h, hs]), wo (d, d) with rows in
 * head order, w1 (d, 4d), w2 (4d, d); x W multiplies on the right, as tfjs's matMul(x, w).
 */
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WIDTHS 16
#define LN_EPS 1e-5f

/* The model's shape (F = 4D hidden units, T <= Tmax positions per sequence) and this call's widths. */
typedef struct {
  int V, D, Tmax, L, H, F, R, B, T;
  int headFull;                /* 1: W = LN_d(E); 0: W_m = LN_m(E[:, :m]) */
  int nWidths;                 /* widths computed this step */
  int widths[MAX_WIDTHS];
  float importance[MAX_WIDTHS];
  const float *targets[MAX_WIDTHS]; /* (V, V) or (R, V, V) row-stochastic, or NULL: hard targets */
  int targetsPerReplica[MAX_WIDTHS];
} Model;

/* The parameters in parameterSpecs order: the two embeddings, then B_COUNT per block. Parameter
 * p starts at base[p] in the flat arrays, and replica r's part of it at base[p] + r * size[p]. */
enum { P_TOK, P_POS, P_BLOCK0 };
enum { B_WQKV, B_WO, B_BO, B_W1, B_B1, B_W2, B_B2, B_COUNT };

static int paramCount(const Model *m) { return P_BLOCK0 + m->L * B_COUNT; }

static void paramSizes(const Model *m, size_t *size) {
  int D = m->D, F = m->F;
  size[P_TOK] = (size_t)m->V * D;
  size[P_POS] = (size_t)m->Tmax * D;
  for (int l = 0; l < m->L; l++) {
    size_t *s = size + P_BLOCK0 + l * B_COUNT;
    s[B_WQKV] = (size_t)D * 3 * D;
    s[B_WO] = (size_t)D * D;
    s[B_BO] = D;
    s[B_W1] = (size_t)D * F;
    s[B_B1] = F;
    s[B_W2] = (size_t)F * D;
    s[B_B2] = D;
  }
}

/* ------------------------------------------------------------------ dropout (as dropout.ts) */

static uint32_t dropoutSeedFor(uint32_t base, uint32_t width, uint32_t layer, uint32_t site) {
  uint32_t x = (base * 0x27d4eb2du) ^ (width * 0x165667b1u) ^ ((layer + 1) * 0x9e3779b1u);
  x ^= site * 0x85ebca6bu;
  x = (x ^ (x >> 15)) * 0x2c1b3c6du;
  x = (x ^ (x >> 12)) * 0x297a2d39u;
  return x ^ (x >> 15);
}

/* Values [start, start + count) of the inverted-dropout mask of one (seed, rate): each value is 0
 * with probability rate (to 2^-16), else 1/(1 - rate). mulberry32's state is a counter, so a
 * part of the mask starts where the whole one would be at `start` (two values per draw). */
static void dropoutMask(float *mask, size_t start, size_t count, double rate, uint32_t seed) {
  uint32_t threshold = (uint32_t)lround(rate * 65536.0);
  float kept = (float)(65536.0 / (65536.0 - threshold));
  uint32_t state = seed + (uint32_t)(start / 2) * 0x6d2b79f5u;
  for (size_t i = start - start % 2; i < start + count; i += 2) {
    state += 0x6d2b79f5u;
    uint32_t t = (state ^ (state >> 15)) * (state | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    t = t ^ (t >> 14);
    if (i >= start) mask[i - start] = (t & 0xffffu) >= threshold ? kept : 0.0f;
    if (i + 1 >= start && i + 1 < start + count) mask[i + 1 - start] = (t >> 16) >= threshold ? kept : 0.0f;
  }
}

/* ------------------------------------------------------------------ layers */

/* y = (x - mean) / sqrt(var + eps) over rows of width C (stride `stride`); keeps 1/std per row. */
static void layernormForward(float *y, float *rstd, const float *x, int rows, int C, int stride) {
  for (int i = 0; i < rows; i++) {
    const float *xi = x + (size_t)i * stride;
    float mean = 0, var = 0;
    for (int c = 0; c < C; c++) mean += xi[c];
    mean /= C;
    for (int c = 0; c < C; c++) var += (xi[c] - mean) * (xi[c] - mean);
    float r = 1.0f / sqrtf(var / C + LN_EPS);
    for (int c = 0; c < C; c++) y[(size_t)i * C + c] = (xi[c] - mean) * r;
    rstd[i] = r;
  }
}

/* dx += r (dy - mean(dy) - y mean(dy y)), rows of width C (dx with stride `stride`). */
static void layernormBackward(float *dx, const float *dy, const float *y, const float *rstd, int rows, int C,
                              int stride) {
  for (int i = 0; i < rows; i++) {
    const float *dyi = dy + (size_t)i * C, *yi = y + (size_t)i * C;
    float meanDy = 0, meanDyY = 0;
    for (int c = 0; c < C; c++) {
      meanDy += dyi[c];
      meanDyY += dyi[c] * yi[c];
    }
    meanDy /= C;
    meanDyY /= C;
    float *dxi = dx + (size_t)i * stride;
    for (int c = 0; c < C; c++) dxi[c] += rstd[i] * (dyi[c] - meanDy - yi[c] * meanDyY);
  }
}

/* out (n, OC) = in (n, C) W (C, OC) + b (b may be NULL). */
static void matmulForward(float *out, const float *in, const float *W, const float *b, int n, int C, int OC) {
  for (int i = 0; i < n; i++) {
    float *o = out + (size_t)i * OC;
    for (int j = 0; j < OC; j++) o[j] = b ? b[j] : 0.0f;
    for (int c = 0; c < C; c++) {
      float a = in[(size_t)i * C + c];
      const float *w = W + (size_t)c * OC;
      for (int j = 0; j < OC; j++) o[j] += a * w[j];
    }
  }
}

/* dIn += dOut W^T (if dIn), dW += in^T dOut, db += sum of dOut's rows (if db). */
static void matmulBackward(float *dIn, float *dW, float *db, const float *dOut, const float *in, const float *W,
                           int n, int C, int OC) {
  for (int i = 0; i < n; i++) {
    const float *g = dOut + (size_t)i * OC;
    for (int c = 0; c < C; c++) {
      const float *w = W + (size_t)c * OC;
      float *dw = dW + (size_t)c * OC;
      float a = in[(size_t)i * C + c], s = 0;
      for (int j = 0; j < OC; j++) {
        s += g[j] * w[j];
        dw[j] += a * g[j];
      }
      if (dIn) dIn[(size_t)i * C + c] += s;
    }
    if (db)
      for (int j = 0; j < OC; j++) db[j] += g[j];
  }
}

/* ------------------------------------------------------------------ one replica's pass */

typedef struct {
  /* what the backward pass of one block reads */
  float *ln1, *r1, *qkv, *att, *attMask, *heads, *aoMask, *x1, *ln2, *r2, *hpre, *hrelu, *foMask;
} LayerActs;

#define MAX_LAYERS 64

typedef struct {
  float *tokLn, *tokR, *final, *finalR;
  LayerActs layer[MAX_LAYERS];
} Acts;

/* What one call of forward/backward computes: replica r's sequences b0 .. b0 + nb - 1. */
typedef struct {
  int r, b0, nb;
} Part;

/* A bump allocator over one block. */
typedef struct {
  float *base;
  size_t used, cap;
} Arena;

static float *take(Arena *a, size_t n) {
  if (a->used + n > a->cap) abort(); /* stepFloats is wrong: a programming error */
  float *p = a->base + a->used;
  a->used += n;
  return p;
}

/* Floats one replica's step takes from the arena (forward, head, backward), as they are taken. */
static size_t stepFloats(const Model *m) {
  size_t n = (size_t)m->B * m->T, nD = n * m->D, nF = n * m->F, V = m->V, D = m->D;
  size_t HTT = (size_t)m->B * m->H * m->T * m->T;
  size_t forward = 2 * nD + n + m->L * (12 * nD + 2 * n + 2 * HTT + 2 * nF) + nD + n;
  size_t head = 2 * V * D + V + n * V;
  size_t backward = 7 * nD + nF + (size_t)m->T * m->T;
  return forward + head + backward + nD;
}

/* The forward pass of one replica (its parameters p[], its ids), keeping in `a` what the backward
 * pass reads; the final LN's output is a->final (n, D). Dropout is applied only when training. */
static void forward(const Model *m, const Part *pt, Acts *a, Arena *ar, const int32_t *ids, float *const *p,
                    int training, double rate, double attRate, uint32_t seed) {
  int B = pt->nb, n = B * m->T, D = m->D, H = m->H, T = m->T, F = m->F, hs = D / H;
  size_t HTT = (size_t)B * H * T * T, firstHTT = (size_t)pt->b0 * H * T * T, firstND = (size_t)pt->b0 * T * D;
  float scale = 1.0f / sqrtf((float)hs);
  a->tokLn = take(ar, (size_t)n * D);
  a->tokR = take(ar, n);
  float *x = take(ar, (size_t)n * D);
  for (int i = 0; i < n; i++) memcpy(a->tokLn + (size_t)i * D, p[P_TOK] + (size_t)ids[i] * D, D * sizeof(float));
  /* LN in place: each row read before it is written */
  layernormForward(a->tokLn, a->tokR, a->tokLn, n, D, D);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < D; c++) x[(size_t)i * D + c] = a->tokLn[(size_t)i * D + c] + p[P_POS][(size_t)(i % T) * D + c];
  for (int l = 0; l < m->L; l++) {
    float *const *w = p + P_BLOCK0 + l * B_COUNT;
    LayerActs *la = &a->layer[l];
    la->ln1 = take(ar, (size_t)n * D);
    la->r1 = take(ar, n);
    layernormForward(la->ln1, la->r1, x, n, D, D);
    la->qkv = take(ar, (size_t)n * 3 * D);
    matmulForward(la->qkv, la->ln1, w[B_WQKV], NULL, n, D, 3 * D);
    la->att = take(ar, HTT);
    la->attMask = take(ar, HTT);
    la->heads = take(ar, (size_t)n * D);
    int dropAtt = training && attRate > 0, dropOut = training && rate > 0;
    if (dropAtt) dropoutMask(la->attMask, firstHTT, HTT, attRate, dropoutSeedFor(seed, D, l, 1));
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++) {
        float *att = la->att + ((size_t)(b * H + h) * T) * T;
        const float *mask = la->attMask + ((size_t)(b * H + h) * T) * T;
        for (int i = 0; i < T; i++) {
          const float *q = la->qkv + (size_t)(b * T + i) * 3 * D + h * hs;
          float *row = att + (size_t)i * T, max = -INFINITY;
          for (int j = 0; j <= i; j++) {
            const float *k = la->qkv + (size_t)(b * T + j) * 3 * D + D + h * hs;
            float s = 0;
            for (int c = 0; c < hs; c++) s += (q[c] * scale) * k[c];
            row[j] = s;
            if (s > max) max = s;
          }
          float sum = 0;
          for (int j = 0; j <= i; j++) sum += (row[j] = expf(row[j] - max));
          for (int j = 0; j < T; j++) row[j] = j <= i ? row[j] / sum : 0.0f;
          float *out = la->heads + (size_t)(b * T + i) * D + h * hs;
          for (int c = 0; c < hs; c++) out[c] = 0;
          for (int j = 0; j <= i; j++) {
            float wij = dropAtt ? row[j] * mask[(size_t)i * T + j] : row[j];
            const float *v = la->qkv + (size_t)(b * T + j) * 3 * D + 2 * D + h * hs;
            for (int c = 0; c < hs; c++) out[c] += wij * v[c];
          }
        }
      }
    float *proj = take(ar, (size_t)n * D);
    matmulForward(proj, la->heads, w[B_WO], w[B_BO], n, D, D);
    la->aoMask = take(ar, (size_t)n * D);
    if (dropOut) dropoutMask(la->aoMask, firstND, (size_t)n * D, rate, dropoutSeedFor(seed, D, l, 2));
    la->x1 = take(ar, (size_t)n * D);
    for (size_t i = 0; i < (size_t)n * D; i++) la->x1[i] = x[i] + (dropOut ? proj[i] * la->aoMask[i] : proj[i]);
    la->ln2 = take(ar, (size_t)n * D);
    la->r2 = take(ar, n);
    layernormForward(la->ln2, la->r2, la->x1, n, D, D);
    la->hpre = take(ar, (size_t)n * F);
    la->hrelu = take(ar, (size_t)n * F);
    matmulForward(la->hpre, la->ln2, w[B_W1], w[B_B1], n, D, F);
    for (size_t i = 0; i < (size_t)n * F; i++) la->hrelu[i] = la->hpre[i] > 0 ? la->hpre[i] : 0.0f;
    float *f = take(ar, (size_t)n * D);
    matmulForward(f, la->hrelu, w[B_W2], w[B_B2], n, F, D);
    la->foMask = take(ar, (size_t)n * D);
    if (dropOut) dropoutMask(la->foMask, firstND, (size_t)n * D, rate, dropoutSeedFor(seed, D, l, 3));
    float *x2 = take(ar, (size_t)n * D);
    for (size_t i = 0; i < (size_t)n * D; i++) x2[i] = la->x1[i] + (dropOut ? f[i] * la->foMask[i] : f[i]);
    x = x2;
  }
  a->final = take(ar, (size_t)n * D);
  a->finalR = take(ar, n);
  layernormForward(a->final, a->finalR, x, n, D, D);
}

/*
 * The head and its loss for every width, and the gradient of sum_k c_k CE_k (CE_k the mean over
 * the whole batch, B * T positions) into dh (n, D) and dE (V, D) for the part's n positions.
 * sums[k] gets the sum of the part's cross-entropies. Soft targets of replica r: targets[k] + r * V*V
 * if per replica.
 */
static void headLossBackward(const Model *m, const Part *pt, Acts *a, Arena *ar, const int32_t *y, const float *E,
                             double *sums, float *dh, float *dE) {
  int n = pt->nb * m->T, r = pt->r, D = m->D, V = m->V;
  float *W = take(ar, (size_t)V * D), *Wr = take(ar, V), *dW = take(ar, (size_t)V * D);
  float *logits = take(ar, (size_t)n * V);
  memset(dW, 0, sizeof(float) * (size_t)V * D);
  if (m->headFull) layernormForward(W, Wr, E, V, D, D);
  for (int k = 0; k < m->nWidths; k++) {
    int w = m->widths[k];
    if (!m->headFull) {
      /* W_m = LN_m(E[:, :m]), stored (V, m) */
      layernormForward(W, Wr, E, V, w, D);
      memset(dW, 0, sizeof(float) * (size_t)V * w);
    }
    int ws = m->headFull ? D : w; /* row stride of W */
    const float *M = m->targets[k] ? m->targets[k] + (m->targetsPerReplica[k] ? (size_t)r * V * V : 0) : NULL;
    double total = 0;
    float c = m->importance[k] / (float)(m->B * m->T);
    for (int i = 0; i < n; i++) {
      float *z = logits + (size_t)i * V, max = -INFINITY;
      const float *hi = a->final + (size_t)i * D;
      for (int v = 0; v < V; v++) {
        const float *wv = W + (size_t)v * ws;
        float s = 0;
        for (int j = 0; j < w; j++) s += hi[j] * wv[j];
        z[v] = s;
        if (s > max) max = s;
      }
      float sum = 0;
      for (int v = 0; v < V; v++) sum += expf(z[v] - max);
      float logSum = logf(sum);
      const float *target = M ? M + (size_t)y[i] * V : NULL;
      float mass = 0;
      if (target)
        for (int v = 0; v < V; v++) mass += target[v];
      /* CE = -sum_v t_v log p_v; dz_v = c (p_v sum_v t_v - t_v) */
      float ce = 0;
      for (int v = 0; v < V; v++) {
        float logp = z[v] - max - logSum;
        float t = target ? target[v] : (v == y[i] ? 1.0f : 0.0f);
        ce -= t * logp;
        z[v] = c * (expf(logp) * (target ? mass : 1.0f) - t);
      }
      total += ce;
      /* dh[:, :m] += dz W_m; dW_m += dz^T h[:, :m] */
      float *dhi = dh + (size_t)i * D;
      for (int v = 0; v < V; v++) {
        float g = z[v];
        const float *wv = W + (size_t)v * ws;
        float *dwv = dW + (size_t)v * ws;
        for (int j = 0; j < w; j++) {
          dhi[j] += g * wv[j];
          dwv[j] += g * hi[j];
        }
      }
    }
    sums[k] = total;
    if (!m->headFull) layernormBackward(dE, dW, W, Wr, V, w, D);
  }
  if (m->headFull) layernormBackward(dE, dW, W, Wr, V, D, D);
}

/* The backward pass of one replica from dh (the gradient at the final LN's output) into its
 * gradients g[], which the head has already started (the tied embedding's share). */
static void backward(const Model *m, const Part *pt, Acts *a, Arena *ar, const int32_t *ids, float *const *p,
                     float *const *g, float *dh, double rate, double attRate) {
  int B = pt->nb, n = B * m->T, D = m->D, H = m->H, T = m->T, F = m->F, hs = D / H;
  float scale = 1.0f / sqrtf((float)hs);
  size_t nD = (size_t)n * D;
  float *dx = take(ar, nD), *dbranch = take(ar, nD), *dln = take(ar, nD), *dhid = take(ar, (size_t)n * F);
  float *dqkv = take(ar, (size_t)n * 3 * D), *dheads = take(ar, nD);
  float *datt = take(ar, (size_t)T * T);
  memset(dx, 0, sizeof(float) * nD);
  layernormBackward(dx, dh, a->final, a->finalR, n, D, D);
  int dropOut = rate > 0, dropAtt = attRate > 0;
  for (int l = m->L - 1; l >= 0; l--) {
    float *const *w = p + P_BLOCK0 + l * B_COUNT;
    float *const *gw = g + P_BLOCK0 + l * B_COUNT;
    LayerActs *la = &a->layer[l];
    /* x2 = x1 + Drop(ReLU(ln2 W1 + b1) W2 + b2): dx stays, the branch gets dx * mask */
    for (size_t i = 0; i < nD; i++) dbranch[i] = dropOut ? dx[i] * la->foMask[i] : dx[i];
    memset(dhid, 0, sizeof(float) * (size_t)n * F);
    matmulBackward(dhid, gw[B_W2], gw[B_B2], dbranch, la->hrelu, w[B_W2], n, F, D);
    for (size_t i = 0; i < (size_t)n * F; i++)
      if (!(la->hpre[i] >= 0)) dhid[i] = 0; /* tf.maximum passes the gradient where x >= 0 */
    memset(dln, 0, sizeof(float) * nD);
    matmulBackward(dln, gw[B_W1], gw[B_B1], dhid, la->ln2, w[B_W1], n, D, F);
    layernormBackward(dx, dln, la->ln2, la->r2, n, D, D);
    /* x1 = x + Drop(heads Wo + bo) */
    for (size_t i = 0; i < nD; i++) dbranch[i] = dropOut ? dx[i] * la->aoMask[i] : dx[i];
    memset(dheads, 0, sizeof(float) * nD);
    matmulBackward(dheads, gw[B_WO], gw[B_BO], dbranch, la->heads, w[B_WO], n, D, D);
    memset(dqkv, 0, sizeof(float) * (size_t)n * 3 * D);
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++) {
        const float *att = la->att + ((size_t)(b * H + h) * T) * T;
        const float *mask = la->attMask + ((size_t)(b * H + h) * T) * T;
        for (int i = 0; i < T; i++) {
          const float *dout = dheads + (size_t)(b * T + i) * D + h * hs;
          const float *row = att + (size_t)i * T;
          float *drow = datt + (size_t)i * T, dot = 0;
          for (int j = 0; j <= i; j++) {
            const float *v = la->qkv + (size_t)(b * T + j) * 3 * D + 2 * D + h * hs;
            float *dv = dqkv + (size_t)(b * T + j) * 3 * D + 2 * D + h * hs;
            float mk = dropAtt ? mask[(size_t)i * T + j] : 1.0f, wij = row[j] * mk, s = 0;
            for (int c = 0; c < hs; c++) {
              s += dout[c] * v[c];
              dv[c] += wij * dout[c];
            }
            drow[j] = s * mk; /* gradient of the pre-dropout weight */
            dot += drow[j] * row[j];
          }
          const float *q = la->qkv + (size_t)(b * T + i) * 3 * D + h * hs;
          float *dq = dqkv + (size_t)(b * T + i) * 3 * D + h * hs;
          for (int j = 0; j <= i; j++) {
            float ds = row[j] * (drow[j] - dot) * scale; /* softmax, then the scale on q */
            const float *k = la->qkv + (size_t)(b * T + j) * 3 * D + D + h * hs;
            float *dk = dqkv + (size_t)(b * T + j) * 3 * D + D + h * hs;
            for (int c = 0; c < hs; c++) {
              dq[c] += ds * k[c];
              dk[c] += ds * q[c];
            }
          }
        }
      }
    memset(dln, 0, sizeof(float) * nD);
    matmulBackward(dln, gw[B_WQKV], NULL, dqkv, la->ln1, w[B_WQKV], n, D, 3 * D);
    layernormBackward(dx, dln, la->ln1, la->r1, n, D, D);
  }
  /* x0 = LN(E[ids]) + P[:T] */
  for (int i = 0; i < n; i++)
    for (int c = 0; c < D; c++) g[P_POS][(size_t)(i % T) * D + c] += dx[(size_t)i * D + c];
  memset(dln, 0, sizeof(float) * nD);
  layernormBackward(dln, dx, a->tokLn, a->tokR, n, D, D);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < D; c++) g[P_TOK][(size_t)ids[i] * D + c] += dln[(size_t)i * D + c];
}

/* ------------------------------------------------------------------ the step */

typedef struct {
  double t, b1, b2, eps, clipNorm;
  int training;
  const double *replica; /* R x 4: lr, weight decay, dropout rate, attention dropout rate */
  const uint32_t *seeds; /* R dropout seeds */
  const uint8_t *decays; /* per parameter: weight decay applies */
} StepOptions;

#define MAX_THREADS 8
#define MAX_REPLICAS 256

/* What one thread computes: parts p0 .. p1-1 of the step, into its own gradients (thread 0's are
 * the step's) and its sums of each replica's cross-entropies. */
typedef struct {
  const Model *m;
  const StepOptions *o;
  float *params, *grads;
  const int32_t *x, *y;
  const size_t *size, *base;
  const Part *parts;
  int p0, p1;
  double *sums; /* R x widths */
  Arena *ar;
} Work;

static void *gradients(void *arg) {
  Work *w = arg;
  const Model *m = w->m;
  int P = paramCount(m), g = m->nWidths, T = m->T;
  Acts acts;
  for (int k = w->p0; k < w->p1; k++) {
    const Part *pt = &w->parts[k];
    int r = pt->r, n = pt->nb * T;
    float *p[P_BLOCK0 + MAX_LAYERS * B_COUNT], *gr[P_BLOCK0 + MAX_LAYERS * B_COUNT];
    for (int i = 0; i < P; i++) {
      p[i] = w->params + w->base[i] + r * w->size[i];
      gr[i] = w->grads + w->base[i] + r * w->size[i];
    }
    w->ar->used = 0;
    const double *rep = w->o->replica + 4 * r;
    size_t first = ((size_t)r * m->B + pt->b0) * T;
    const int32_t *ids = w->x + first, *targets = w->y + first;
    forward(m, pt, &acts, w->ar, ids, p, w->o->training, rep[2], rep[3], w->o->seeds[r]);
    float *dh = take(w->ar, (size_t)n * m->D);
    memset(dh, 0, sizeof(float) * (size_t)n * m->D);
    double sums[MAX_WIDTHS];
    headLossBackward(m, pt, &acts, w->ar, targets, p[P_TOK], sums, dh, gr[P_TOK]);
    for (int j = 0; j < g; j++) w->sums[r * g + j] += sums[j];
    if (w->o->training) backward(m, pt, &acts, w->ar, ids, p, gr, dh, rep[2], rep[3]);
  }
  return NULL;
}

static Arena arenas[MAX_THREADS];
static float *threadGrads[MAX_THREADS];
static size_t threadGradsSize[MAX_THREADS];
static double threadSums[MAX_THREADS][MAX_REPLICAS * MAX_WIDTHS];

/* *buf (capacity *cap) grown to `floats`, old contents dropped; NULL when out of memory. Thread i's
 * arena and gradient buffer are kept between steps (a step of this size comes again and again). */
static float *grown(float **buf, size_t *cap, size_t floats) {
  if (*cap < floats) {
    free(*buf);
    *buf = malloc(sizeof(float) * floats);
    *cap = *buf ? floats : 0;
  }
  return *buf;
}

/*
 * One update of every replica: losses into out[k * R + r] (k = 0: the weighted total, then each
 * width's CE), each replica's gradient norm into out[(1 + g) * R + r]. Not training (evaluation):
 * the losses only, without dropout, gradient or update. The work is cut into parts, a replica each
 * or, with fewer replicas than threads, a share of a replica's sequences each, and the parts are
 * split over up to `threads` threads; their gradients and losses are summed after. Clipping and
 * AdamW are skipped, as in train.ts, when any loss or norm is not finite. Returns 1 when applied,
 * 0 when not, -1 out of memory.
 */
static int step(const Model *m, float *params, float *grads, float *mom1, float *mom2, const int32_t *x,
                const int32_t *y, const StepOptions *o, float *out, int threads) {
  int P = paramCount(m), R = m->R, g = m->nWidths;
  size_t size[P_BLOCK0 + MAX_LAYERS * B_COUNT], base[P_BLOCK0 + MAX_LAYERS * B_COUNT], total = 0;
  paramSizes(m, size);
  for (int i = 0; i < P; i++) {
    base[i] = total;
    total += size[i] * R;
  }
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads < 1) threads = 1;
  int chunks = R >= threads ? 1 : threads / R;
  if (chunks > m->B) chunks = m->B;
  Part parts[MAX_REPLICAS * MAX_THREADS];
  int nParts = R * chunks;
  for (int k = 0; k < nParts; k++) {
    int r = k / chunks, c = k % chunks;
    parts[k] = (Part){r, c * m->B / chunks, (c + 1) * m->B / chunks - c * m->B / chunks};
  }
  if (threads > nParts) threads = nParts;
  memset(grads, 0, sizeof(float) * total);
  Work work[MAX_THREADS];
  pthread_t ids[MAX_THREADS];
  for (int i = 0; i < threads; i++) {
    Arena *a = &arenas[i];
    /* parts of whole replicas write their own replicas' gradients; shares of one are summed after */
    float *gr = i == 0 || chunks == 1 ? grads : grown(&threadGrads[i], &threadGradsSize[i], total);
    if (!grown(&a->base, &a->cap, stepFloats(m)) || !gr) return -1;
    work[i] = (Work){m, o, params, gr, x, y, size, base, parts, nParts * i / threads, nParts * (i + 1) / threads,
                     threadSums[i], a};
    memset(threadSums[i], 0, sizeof(double) * R * g);
    /* a thread's gradients start at 0 over the replicas its parts touch */
    for (int r = parts[work[i].p0].r; gr != grads && r <= parts[work[i].p1 - 1].r; r++)
      for (int j = 0; j < P; j++) memset(gr + base[j] + r * size[j], 0, sizeof(float) * size[j]);
  }
  int started[MAX_THREADS] = {0};
  for (int i = 1; i < threads; i++) started[i] = pthread_create(&ids[i], NULL, gradients, &work[i]) == 0;
  gradients(&work[0]);
  for (int i = 1; i < threads; i++) {
    if (started[i]) pthread_join(ids[i], NULL);
    else gradients(&work[i]); /* no thread: this one does that share too */
  }
  for (int i = 1; i < threads && chunks > 1; i++)
    for (int r = parts[work[i].p0].r; r <= parts[work[i].p1 - 1].r; r++)
      for (int j = 0; j < P; j++) {
        float *to = grads + base[j] + r * size[j];
        const float *from = work[i].grads + base[j] + r * size[j];
        for (size_t e = 0; e < size[j]; e++) to[e] += from[e];
      }
  double norms[MAX_REPLICAS];
  for (int r = 0; r < R; r++) {
    float sum = 0;
    for (int k = 0; k < g; k++) {
      double ce = 0;
      for (int i = 0; i < threads; i++) ce += threadSums[i][r * g + k];
      out[(k + 1) * R + r] = (float)(ce / (m->B * m->T));
      sum += m->importance[k] * out[(k + 1) * R + r];
    }
    out[r] = sum;
    double sq = 0;
    for (int j = 0; o->training && j < P; j++)
      for (size_t e = 0; e < size[j]; e++) sq += (double)grads[base[j] + r * size[j] + e] * grads[base[j] + r * size[j] + e];
    norms[r] = sqrt(sq);
    out[(1 + g) * R + r] = (float)norms[r];
  }
  if (!o->training) return 0; /* evaluation: the losses only */
  int finite = 1;
  for (int r = 0; r < R; r++) {
    for (int k = 0; k <= g; k++) finite &= isfinite(out[k * R + r]);
    if (o->clipNorm > 0) finite &= isfinite(norms[r]);
  }
  if (!finite) return 0;
  /* AdamW (adamw.ts): p = p (1 - lr wd) - lr (sqrt(c2)/c1) m / (sqrt(v) + eps sqrt(c2)) */
  double c1 = 1 - pow(o->b1, o->t), c2 = 1 - pow(o->b2, o->t);
  float b1 = (float)o->b1, b2 = (float)o->b2, ob1 = (float)(1 - o->b1), ob2 = (float)(1 - o->b2);
  float epsHat = (float)(o->eps * sqrt(c2));
  for (int r = 0; r < R; r++) {
    const double *rep = o->replica + 4 * r;
    float coef = 1.0f;
    if (o->clipNorm > 0) {
      float c = (float)o->clipNorm / ((float)norms[r] + 1e-6f);
      coef = c < 1.0f ? c : 1.0f;
    }
    float stepSize = (float)(rep[0] * sqrt(c2) / c1), keep = (float)(1 - rep[0] * rep[1]);
    for (int i = 0; i < P; i++) {
      size_t at = base[i] + r * size[i];
      float k = o->decays[i] ? keep : 1.0f;
      for (size_t j = at; j < at + size[i]; j++) {
        float gj = o->clipNorm > 0 ? grads[j] * coef : grads[j];
        float mj = mom1[j] * b1 + gj * ob1, vj = mom2[j] * b2 + (gj * gj) * ob2;
        mom1[j] = mj;
        mom2[j] = vj;
        float update = (mj / (sqrtf(vj) + epsHat)) * stepSize;
        params[j] = o->decays[i] ? params[j] * k - update : params[j] - update;
      }
    }
  }
  return 1;
}

/* ------------------------------------------------------------------ N-API */

/* Throws a TypeError naming the argument and what it must be; returns NULL for the caller to return. */
static void *badArgument(napi_env env, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "fused-step: %s", what);
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* The data of a typed array of type `want` and (if count >= 0) `count` elements, its length in
 * *length (if given); NULL, with a TypeError thrown, when it is not one. */
static void *typed(napi_env env, napi_value value, napi_typedarray_type want, long count, size_t *length,
                   const char *what) {
  bool is = false;
  napi_typedarray_type type;
  size_t n;
  void *data;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return badArgument(env, what);
  if (napi_get_typedarray_info(env, value, &type, &n, &data, NULL, NULL) != napi_ok) return badArgument(env, what);
  if (type != want || (count >= 0 && (long)n != count)) return badArgument(env, what);
  if (length) *length = n;
  return data;
}

/* Token ids in [0, V). */
static int idsInRange(const int32_t *ids, long count, int V) {
  for (long i = 0; i < count; i++)
    if (ids[i] < 0 || ids[i] >= V) return 0;
  return 1;
}

/*
 * step(dims Int32Array [V, D, Tmax, L, H, F, R, B, T, headFull], params, grads, m, v (Float32Array),
 *      x, y (Int32Array R*B*T), hyper Float64Array [t, b1, b2, eps, clipNorm, training],
 *      replicas Float64Array R*4, seeds Uint32Array R, decays Uint8Array (parameters),
 *      widths Int32Array, importance Float64Array, targets (Float32Array | null)[], out Float32Array)
 * -> true when the update was applied. Every argument is checked before anything is computed.
 */
static napi_value Step(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 15)
    return badArgument(env, "step takes 15 arguments");
  const int32_t *dims = typed(env, argv[0], napi_int32_array, 10, NULL, "dims: Int32Array(10)");
  if (!dims) return NULL;
  Model m = {.V = dims[0], .D = dims[1], .Tmax = dims[2], .L = dims[3], .H = dims[4], .F = dims[5], .R = dims[6],
             .B = dims[7], .T = dims[8], .headFull = dims[9]};
  if (m.V < 1 || m.D < 1 || m.H < 1 || m.F < 1 || m.L < 1 || m.B < 1 || m.T < 1 || m.T > m.Tmax || m.D % m.H ||
      m.L > MAX_LAYERS || m.R < 1 || m.R > MAX_REPLICAS)
    return badArgument(env, "dims: positive sizes, T <= Tmax, H dividing D, at most 64 layers and 256 replicas");
  size_t sizes[P_BLOCK0 + MAX_LAYERS * B_COUNT], total = 0;
  paramSizes(&m, sizes);
  for (int i = 0; i < paramCount(&m); i++) total += sizes[i] * m.R;
  float *state[4];
  const char *names[4] = {"params: Float32Array (every parameter)", "grads: Float32Array (as params)",
                          "m: Float32Array (as params)", "v: Float32Array (as params)"};
  for (int i = 0; i < 4; i++)
    if (!(state[i] = typed(env, argv[1 + i], napi_float32_array, (long)total, NULL, names[i]))) return NULL;
  long ids = (long)m.R * m.B * m.T;
  const int32_t *x = typed(env, argv[5], napi_int32_array, ids, NULL, "x: Int32Array(R*B*T)");
  if (!x) return NULL;
  const int32_t *y = typed(env, argv[6], napi_int32_array, ids, NULL, "y: Int32Array(R*B*T)");
  if (!y) return NULL;
  if (!idsInRange(x, ids, m.V) || !idsInRange(y, ids, m.V)) return badArgument(env, "x, y: token ids in [0, V)");
  const double *hyper = typed(env, argv[7], napi_float64_array, 6, NULL, "hyper: Float64Array(6)");
  if (!hyper) return NULL;
  StepOptions o = {.t = hyper[0], .b1 = hyper[1], .b2 = hyper[2], .eps = hyper[3], .clipNorm = hyper[4],
                   .training = hyper[5] != 0};
  if (!(o.replica = typed(env, argv[8], napi_float64_array, 4L * m.R, NULL, "replicas: Float64Array(R*4)")))
    return NULL;
  if (!(o.seeds = typed(env, argv[9], napi_uint32_array, m.R, NULL, "seeds: Uint32Array(R)"))) return NULL;
  if (!(o.decays = typed(env, argv[10], napi_uint8_array, paramCount(&m), NULL, "decays: Uint8Array (parameters)")))
    return NULL;
  size_t nWidths;
  const int32_t *widths = typed(env, argv[11], napi_int32_array, -1, &nWidths, "widths: Int32Array");
  if (!widths) return NULL;
  if (nWidths < 1 || nWidths > MAX_WIDTHS) return badArgument(env, "widths: 1 to 16 of them");
  m.nWidths = (int)nWidths;
  const double *importance =
      typed(env, argv[12], napi_float64_array, (long)nWidths, NULL, "importance: Float64Array (one per width)");
  if (!importance) return NULL;
  for (int k = 0; k < m.nWidths; k++) {
    m.widths[k] = widths[k];
    m.importance[k] = (float)importance[k];
    if (m.widths[k] < 1 || m.widths[k] > m.D) return badArgument(env, "widths: each in [1, D]");
    napi_value entry;
    napi_valuetype kind;
    if (napi_get_element(env, argv[13], k, &entry) != napi_ok || napi_typeof(env, entry, &kind) != napi_ok)
      return badArgument(env, "targets: an array, one entry per width");
    m.targets[k] = NULL;
    if (kind == napi_null || kind == napi_undefined) continue;
    size_t length, vv = (size_t)m.V * m.V;
    const char *what = "targets: Float32Array (V*V or R*V*V) or null";
    if (!(m.targets[k] = typed(env, entry, napi_float32_array, -1, &length, what))) return NULL;
    if (length != vv && length != vv * m.R) return badArgument(env, what);
    m.targetsPerReplica[k] = length != vv;
  }
  float *out = typed(env, argv[14], napi_float32_array, (long)(m.nWidths + 2) * m.R, NULL, "out: Float32Array((g+2)*R)");
  if (!out) return NULL;
  int applied = step(&m, state[0], state[1], state[2], state[3], x, y, &o, out, (int)sysconf(_SC_NPROCESSORS_ONLN));
  if (applied < 0) {
    napi_throw_error(env, NULL, "fused-step: out of memory");
    return NULL;
  }
  napi_value result;
  napi_get_boolean(env, applied == 1, &result);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "step", NAPI_AUTO_LENGTH, Step, NULL, &fn);
  napi_set_named_property(env, exports, "step", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
