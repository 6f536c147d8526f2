/*
 * Faster versions of the Leptonica functions Tesseract spends its time in, each giving exactly
 * Leptonica's result. sohoa loads this library with RTLD_GLOBAL before libtesseract, so
 * libtesseract's calls of these functions resolve here (ELF symbol interposition: no Tesseract
 * or Leptonica headers, no patched library). Leptonica itself is reached through dlopen/dlsym
 * (sohoa_leptonica_init), so nothing of it is needed at build time. Each part checks itself
 * against Leptonica's function at start-up and stays off if the two differ (another Leptonica
 * version); inputs a part does not handle go to Leptonica's function. The tests
 * (tests/test_native_leptonica.py) compare each part with Leptonica's on drawn images.
 *
 * Measured with callgrind on a 300 dpi A4 dev page read by sohoa, these were 19 % of the
 * process's instructions:
 *
 * 1. pixSauvolaBinarizeTiled, Tesseract's thresholding (thresholding_method=2): the binary image
 *    shapes Tesseract's layout analysis, so it must be the same bits. Leptonica builds summed-
 *    area tables per tile and makes mean, mean-square, threshold and compare passes; here one
 *    pass with running column sums. Arithmetic as Leptonica 1.82 (Debian 12):
 *      - window (2 * whsize + 1)^2 centred on the pixel, the image mirrored at its edges (the
 *        pixel beside the edge repeats the edge pixel);
 *      - mean m = (uint8)(float(1 / n) * sum), truncated; mean square
 *        ms = (uint32)(double(1 / n) * sumsq + 0.5), rounded; 1 / n as 1.0 / (float)n;
 *      - sd = sqrtf(ms - m * m), threshold t = (int)(m * (1 - k * (1 - sd / 128)));
 *      - a pixel is foreground (1) when its value is below t.
 *    ms - m * m is never negative then (the mean square is rounded, the mean truncated); a guard
 *    keeps the table index in range all the same.
 *
 * 2. pixWriteMem(..., IFF_PNG) for every text line: Tesseract's ImageData keeps each line image
 *    as PNG bytes (zlib deflate) and decodes them again for the recogniser a moment later. The
 *    bytes never leave the process, so they are written in Leptonica's own uncompressed
 *    serialisation (IFF_SPIX), which pixReadMem reads back to the same pixels.
 *
 * 3. pixOpenBrick (a morphological opening by a rectangle), which Tesseract's line finder runs
 *    on the whole binary page three times (15 x 15, 1 x 75 and 75 x 1 pixels at 300 dpi).
 *    Leptonica shifts the whole image once per pixel of the brick. The opening is the union of
 *    the brick's placements that lie inside the image and inside the set (Leptonica's default,
 *    asymmetric boundary: pixels outside are off), whatever the brick's origin; here erosion
 *    and dilation by a run of L pixels take log2(L) + 1 shifted ANDs (ORs) of whole words.
 */

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Pix PIX;
typedef int (*sauvola_fn)(PIX *, int, float, int, int, PIX **, PIX **);
typedef int (*write_mem_fn)(uint8_t **, size_t *, PIX *, int);
typedef PIX *(*open_brick_fn)(PIX *, PIX *, int, int);

enum { IFF_PNG = 3, IFF_SPIX = 19 };
enum { SAUVOLA = 1, LINE_STORE = 2, OPEN_BRICK = 4 };

static struct {
    int parts; /* the parts (above) that passed their self-check */
    sauvola_fn sauvola;
    write_mem_fn write_mem;
    open_brick_fn open_brick;
    PIX *(*read_mem)(const uint8_t *, size_t);
    int (*get_width)(const PIX *);
    int (*get_height)(const PIX *);
    int (*get_depth)(const PIX *);
    int (*get_wpl)(const PIX *);
    int (*get_xres)(const PIX *);
    int (*get_yres)(const PIX *);
    void *(*get_colormap)(PIX *);
    uint32_t *(*get_data)(PIX *);
    PIX *(*create)(int, int, int);
    PIX *(*create_template)(const PIX *);
    int (*copy_resolution)(PIX *, const PIX *);
    int (*set_resolution)(PIX *, int, int);
    void (*destroy)(PIX **);
} lept;

static unsigned long calls[8]; /* per part: calls answered here, for the tests and benchmarks */

/* Leptonica keeps 8 bpp pixels big-endian within each 32-bit word. */
static inline int byte_index(int x) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return x ^ 3;
#else
    return x;
#endif
}

static inline int mirror(int i, int n) { return i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i); }

/* Same size, depth and pixels; and resolution, when `resolution`. */
static int same_pix(PIX *a, PIX *b, int resolution) {
    if (!a || !b) return 0;
    const int h = lept.get_height(a), wpl = lept.get_wpl(a);
    return h == lept.get_height(b) && wpl == lept.get_wpl(b) &&
           lept.get_width(a) == lept.get_width(b) && lept.get_depth(a) == lept.get_depth(b) &&
           (!resolution || (lept.get_xres(a) == lept.get_xres(b) && lept.get_yres(a) == lept.get_yres(b))) &&
           memcmp(lept.get_data(a), lept.get_data(b), (size_t)h * wpl * 4) == 0;
}

/* A noisy test image: dark strokes on a light uneven background, rows of pure noise. */
static PIX *test_image(int w, int h, int depth, uint32_t seed) {
    PIX *pix = lept.create(w, h, depth);
    if (!pix) return NULL;
    uint32_t *data = lept.get_data(pix);
    const int wpl = lept.get_wpl(pix);
    for (int y = 0; y < h; y++) {
        uint32_t *line = data + (size_t)y * wpl;
        for (int x = 0; x < w; x++) {
            seed = seed * 1664525u + 1013904223u;
            int v = (x / 9 + y / 13) % 4 == 0 ? 40 + (int)(seed >> 26) : 150 + (int)(seed >> 25) + x / 3;
            v = y % 17 == 0 ? (int)(seed >> 24) : (v > 255 ? 255 : v);
            if (depth == 8)
                ((uint8_t *)line)[byte_index(x)] = (uint8_t)v;
            else if (v < 128 || (seed >> 28) == 0) /* 1 bpp: the strokes and some specks */
                line[x >> 5] |= 0x80000000u >> (x & 31);
        }
    }
    lept.set_resolution(pix, 300, 300);
    return pix;
}

int sohoa_sauvola(PIX *pixs, int whsize, float factor, PIX **ppixth, PIX **ppixd);
PIX *sohoa_open_brick(PIX *pixs, int hsize, int vsize);

/* Another Leptonica version may round differently (a truncated mean square, say). Before taking
 * over, compare both on noisy images with three window sizes: any difference leaves Leptonica's. */
static int sauvola_check(void) {
    static const int sizes[][3] = {{131, 97, 5}, {160, 128, 7}, {257, 203, 49}};
    int same = 1;
    for (size_t i = 0; same && i < sizeof sizes / sizeof sizes[0]; i++) {
        const int w = sizes[i][0], h = sizes[i][1], whsize = sizes[i][2];
        PIX *pixs = test_image(w, h, 8, 12345u + (uint32_t)i), *th1 = NULL, *bd1 = NULL, *th2 = NULL,
            *bd2 = NULL;
        /* (the resolution Leptonica's untiled path copies is the interposer's business) */
        same = pixs && lept.sauvola(pixs, whsize, 0.34f, 1, 1, &th1, &bd1) == 0 &&
               sohoa_sauvola(pixs, whsize, 0.34f, &th2, &bd2) == 0 && same_pix(th1, th2, 0) &&
               same_pix(bd1, bd2, 0);
        lept.destroy(&pixs);
        lept.destroy(&th1);
        lept.destroy(&bd1);
        lept.destroy(&th2);
        lept.destroy(&bd2);
    }
    return same;
}

/* The line store: Leptonica's own serialisation reads back as the same pixels. It does not keep
 * the resolution (PNG's pHYs does), which the recogniser does not read: it scales each line to
 * its input height (ImageData::PreScale). Tesseract built with TESSERACT_IMAGEDATA_AS_PIX skips
 * the bytes altogether and keeps the pix. */
static int line_store_check(void) {
    int same = 1;
    for (int depth = 1; same && depth <= 8; depth += 7) {
        PIX *pix = test_image(97, 31, depth, 777u), *back = NULL;
        uint8_t *data = NULL;
        size_t size = 0;
        same = pix && lept.write_mem(&data, &size, pix, IFF_SPIX) == 0 && size > 4 &&
               memcmp(data, "spix", 4) == 0 && (back = lept.read_mem(data, size)) != NULL &&
               same_pix(pix, back, 0);
        free(data);
        lept.destroy(&pix);
        lept.destroy(&back);
    }
    return same;
}

static int open_brick_check(void) {
    static const int bricks[][2] = {{15, 15}, {1, 75}, {75, 1}, {2, 3}, {8, 1}, {1, 6}, {33, 40}};
    int same = 1;
    for (size_t i = 0; same && i < sizeof bricks / sizeof bricks[0]; i++) {
        PIX *pix = test_image(203, 151, 1, 4242u + (uint32_t)i), *a = NULL, *b = NULL;
        same = pix && (a = lept.open_brick(NULL, pix, bricks[i][0], bricks[i][1])) != NULL &&
               (b = sohoa_open_brick(pix, bricks[i][0], bricks[i][1])) != NULL && same_pix(a, b, 1);
        lept.destroy(&pix);
        lept.destroy(&a);
        lept.destroy(&b);
    }
    return same;
}

/* Load Leptonica's functions from the library at `path` (the one libtesseract uses) and check
 * each part against Leptonica's function. Returns the parts that take over (SAUVOLA |
 * LINE_STORE | OPEN_BRICK); a part not returned passes its calls through to Leptonica.
 * `wanted` limits the parts (the tests turn each off in turn). */
int sohoa_leptonica_init(const char *path, int wanted) {
    void *h = dlopen(path, RTLD_LAZY | RTLD_GLOBAL);
    if (!h) return 0;
#define SYM(field, name) (lept.field = (__typeof__(lept.field))dlsym(h, name))
    int base = SYM(get_width, "pixGetWidth") && SYM(get_height, "pixGetHeight") &&
               SYM(get_depth, "pixGetDepth") && SYM(get_wpl, "pixGetWpl") &&
               SYM(get_xres, "pixGetXRes") && SYM(get_yres, "pixGetYRes") &&
               SYM(get_colormap, "pixGetColormap") && SYM(get_data, "pixGetData") &&
               SYM(create, "pixCreate") && SYM(create_template, "pixCreateTemplate") &&
               SYM(copy_resolution, "pixCopyResolution") &&
               SYM(set_resolution, "pixSetResolution") && SYM(destroy, "pixDestroy");
    SYM(sauvola, "pixSauvolaBinarizeTiled");
    SYM(write_mem, "pixWriteMem");
    SYM(read_mem, "pixReadMem");
    SYM(open_brick, "pixOpenBrick");
#undef SYM
    int parts = 0;
    if (base && (wanted & SAUVOLA) && lept.sauvola && sauvola_check()) parts |= SAUVOLA;
    if (base && (wanted & LINE_STORE) && lept.write_mem && lept.read_mem && line_store_check())
        parts |= LINE_STORE;
    if (base && (wanted & OPEN_BRICK) && lept.open_brick && open_brick_check()) parts |= OPEN_BRICK;
    lept.parts = parts;
    return parts;
}

unsigned long sohoa_leptonica_calls(int part) { return part > 0 && part < 8 ? calls[part] : 0; }

/* ---- 1. Sauvola --------------------------------------------------------------------------- */

/* One row's thresholds from its window sums and sums of squares (Leptonica's arithmetic, see
 * the top). Written so that the compiler vectorises it; built for AVX2 too where the CPU has it
 * (the same IEEE results: float and double arithmetic, a correctly rounded sqrtf). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WITH_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define WITH_AVX2_CLONE
#endif
WITH_AVX2_CLONE static void row_thresholds(
    const int32_t *s, const int32_t *q, uint8_t *t, int w, float normf, double normd, float factor) {
    for (int x = 0; x < w; x++) {
        const int m = (int)(normf * (float)s[x]) & 255;
        int v = (int)(normd * (double)q[x] + 0.5) - m * m;
        v = v < 0 ? 0 : v; /* cannot happen (see the top); a guard */
        const float sd = sqrtf((float)v);
        t[x] = (uint8_t)(int)(m * (1.0 - factor * (1.0 - sd / 128.)));
    }
}

/* Threshold and binary image of an 8 bpp image; both outputs optional. Returns 0 on success. */
int sohoa_sauvola(PIX *pixs, int whsize, float factor, PIX **ppixth, PIX **ppixd) {
    const int w = lept.get_width(pixs), h = lept.get_height(pixs);
    const int wpls = lept.get_wpl(pixs);
    const uint32_t *datas = lept.get_data(pixs);
    const int r = whsize, win = 2 * whsize + 1, pw = w + 2 * r;
    const int tw = (w + 3) & ~3; /* a thresholds row, whole words */
    PIX *pixth = NULL, *pixd = NULL;
    uint8_t *rows = NULL, *t = NULL, *fg = NULL;
    int32_t *cs = NULL, *cq = NULL, *s = NULL, *q = NULL;
    uint32_t *ps = NULL, *pq = NULL; /* wrap around on long rows; the differences are exact */
    int ok = 0;

    if (ppixth) *ppixth = NULL;
    if (ppixd) *ppixd = NULL;
    rows = malloc((size_t)pw * h + 4); /* the image's rows, mirrored left and right, in x order */
    cs = calloc(pw, sizeof *cs);       /* column sums over the window's rows */
    cq = calloc(pw, sizeof *cq);       /* column sums of squares (< 2^31: 99 x 255^2 at 300 dpi) */
    s = malloc((size_t)w * sizeof *s); /* a row's window sums */
    q = malloc((size_t)w * sizeof *q);
    t = calloc(tw, 1);
    ps = malloc((size_t)(pw + 1) * sizeof *ps); /* prefix sums of cs and cq */
    pq = malloc((size_t)(pw + 1) * sizeof *pq);
    fg = calloc((size_t)(w + 31) / 32 * 32, 1); /* a row's foreground flags, whole words */
    if (ppixth) pixth = lept.create(w, h, 8);
    if (ppixd) pixd = lept.create(w, h, 1);
    if (!rows || !cs || !cq || !s || !q || !t || !ps || !pq || !fg || (ppixth && !pixth) ||
        (ppixd && !pixd) ||
        (int64_t)win * 255 * 255 * win > INT32_MAX)
        goto done;

    for (int y = 0; y < h; y++) {
        const uint32_t *src = datas + (size_t)y * wpls;
        uint8_t *row = rows + (size_t)y * pw;
        for (int i = 0; i < w / 4; i++) { /* Leptonica's words hold 4 pixels, big-endian */
            uint32_t word = src[i];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            word = __builtin_bswap32(word);
#endif
            memcpy(row + r + 4 * i, &word, 4);
        }
        for (int x = w & ~3; x < w; x++) row[x + r] = (uint8_t)(src[x >> 2] >> (24 - 8 * (x & 3)));
        for (int x = 0; x < r; x++) {
            row[r - 1 - x] = row[r + x];
            row[r + w + x] = row[r + w - 1 - x];
        }
    }
    for (int k = -r; k <= r; k++) {
        const uint8_t *row = rows + (size_t)mirror(k, h) * pw;
        for (int x = 0; x < pw; x++) {
            cs[x] += row[x];
            cq[x] += row[x] * row[x];
        }
    }

    const float normf = (float)(1.0 / (float)(win * win));
    const double normd = 1.0 / (float)(win * win);
    const int wplt = pixth ? lept.get_wpl(pixth) : 0, wpld = pixd ? lept.get_wpl(pixd) : 0;
    uint32_t *datat = pixth ? lept.get_data(pixth) : NULL, *datad = pixd ? lept.get_data(pixd) : NULL;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = rows + (size_t)y * pw + r;
        /* window sums across: prefix sums of the column sums, then differences */
        uint32_t ss = 0, qq = 0;
        ps[0] = pq[0] = 0;
        for (int x = 0; x < pw; x++) {
            ps[x + 1] = ss += (uint32_t)cs[x];
            pq[x + 1] = qq += (uint32_t)cq[x];
        }
        for (int x = 0; x < w; x++) {
            s[x] = (int32_t)(ps[x + win] - ps[x]);
            q[x] = (int32_t)(pq[x + win] - pq[x]);
        }
        row_thresholds(s, q, t, w, normf, normd, factor);
        if (datat) { /* Leptonica's byte order: big-endian within each word */
            uint32_t *trow = datat + (size_t)y * wplt;
            for (int i = 0; i < tw / 4; i++) {
                uint32_t word;
                memcpy(&word, t + 4 * i, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                word = __builtin_bswap32(word);
#endif
                trow[i] = word;
            }
        }
        if (datad) {
            uint32_t *drow = datad + (size_t)y * wpld;
            for (int x = 0; x < w; x++) fg[x] = row[x] < t[x]; /* 0 or 1; fg[w..] stay 0 */
            for (int i = 0; i < wpld; i++) { /* 8 flags -> 8 bits, first pixel highest */
                uint32_t word = 0;
                for (int k = 0; k < 4; k++) {
                    uint64_t flags;
                    memcpy(&flags, fg + 32 * i + 8 * k, 8);
                    word |= (uint32_t)((flags * 0x8040201008040201ULL) >> 56) << (24 - 8 * k);
                }
                drow[i] = word;
            }
        }
        if (y + 1 < h) { /* slide the window down one row */
            const uint8_t *out = rows + (size_t)mirror(y - r, h) * pw;
            const uint8_t *in = rows + (size_t)mirror(y + r + 1, h) * pw;
            for (int x = 0; x < pw; x++) {
                cs[x] += in[x] - out[x];
                cq[x] += in[x] * in[x] - out[x] * out[x];
            }
        }
    }
    ok = 1;

done:
    free(rows);
    free(cs);
    free(cq);
    free(s);
    free(q);
    free(t);
    free(ps);
    free(pq);
    free(fg);
    if (!ok) { /* out of memory, or a window too large: the caller falls back to Leptonica */
        lept.destroy(&pixth);
        lept.destroy(&pixd);
        return 1;
    }
    if (ppixth) *ppixth = pixth;
    if (ppixd) *ppixd = pixd;
    return 0;
}

/* Leptonica's own function, for comparison in the tests. */
int sohoa_sauvola_leptonica(PIX *pixs, int whsize, float factor, int nx, int ny, PIX **ppixth,
                            PIX **ppixd) {
    return lept.sauvola ? lept.sauvola(pixs, whsize, factor, nx, ny, ppixth, ppixd) : 1;
}

/* The interposer: same signature and results as Leptonica's (nx and ny only choose Leptonica's
 * tiling, which does not change the result; the one visible difference, the resolution that
 * Leptonica's untiled path copies to the binary image, is kept). */
int pixSauvolaBinarizeTiled(PIX *pixs, int whsize, float factor, int nx, int ny, PIX **ppixth,
                            PIX **ppixd) {
    if (!lept.sauvola) lept.sauvola = (sauvola_fn)dlsym(RTLD_NEXT, "pixSauvolaBinarizeTiled");
    if (!lept.sauvola) return 1;
    if (!(lept.parts & SAUVOLA) || (!ppixth && !ppixd) || !pixs || lept.get_depth(pixs) != 8 ||
        lept.get_colormap(pixs) || whsize < 2 || factor < 0.0f)
        return lept.sauvola(pixs, whsize, factor, nx, ny, ppixth, ppixd);
    const int w = lept.get_width(pixs), h = lept.get_height(pixs);
    if (w < 2 * whsize + 3 || h < 2 * whsize + 3)
        return lept.sauvola(pixs, whsize, factor, nx, ny, ppixth, ppixd);
    if (nx > 1 && w / nx < whsize + 2) nx = w / (whsize + 2);
    if (ny > 1 && h / ny < whsize + 2) ny = h / (whsize + 2);
    if (sohoa_sauvola(pixs, whsize, factor, ppixth, ppixd) != 0)
        return lept.sauvola(pixs, whsize, factor, nx, ny, ppixth, ppixd);
    if (nx <= 1 && ny <= 1 && ppixd) lept.copy_resolution(*ppixd, pixs);
    calls[SAUVOLA]++;
    return 0;
}

/* ---- 2. Line images ----------------------------------------------------------------------- */

int pixWriteMem(uint8_t **pdata, size_t *psize, PIX *pix, int format) {
    if (!lept.write_mem) lept.write_mem = (write_mem_fn)dlsym(RTLD_NEXT, "pixWriteMem");
    if (!lept.write_mem) return 1;
    if ((lept.parts & LINE_STORE) && format == IFF_PNG && pix && !lept.get_colormap(pix) &&
        (lept.get_depth(pix) == 8 || lept.get_depth(pix) == 1)) {
        calls[LINE_STORE]++;
        return lept.write_mem(pdata, psize, pix, IFF_SPIX);
    }
    return lept.write_mem(pdata, psize, pix, format);
}

/* ---- 3. Opening by a brick ---------------------------------------------------------------- */

/* Row bits are MSB first: pixel x is bit 31 - (x & 31) of word x >> 5. */

/* dst[x] = a[x] & a[x + k] (pixels past the end are off), in place from the left. */
static void row_and_ahead(uint32_t *a, int wpl, int k) {
    const int q = k >> 5, r = k & 31;
    for (int i = 0; i < wpl; i++) {
        uint32_t hi = i + q < wpl ? a[i + q] : 0, lo = i + q + 1 < wpl ? a[i + q + 1] : 0;
        a[i] &= r ? (hi << r) | (lo >> (32 - r)) : hi;
    }
}

/* dst[x] = a[x] | a[x - k] (pixels before the start are off), in place from the right. */
static void row_or_behind(uint32_t *a, int wpl, int k) {
    const int q = k >> 5, r = k & 31;
    for (int i = wpl - 1; i >= 0; i--) {
        uint32_t lo = i - q >= 0 ? a[i - q] : 0, hi = i - q - 1 >= 0 ? a[i - q - 1] : 0;
        a[i] |= r ? (lo >> r) | (hi << (32 - r)) : lo;
    }
}

/* One step across every row: x from x and x + k (erosion: x .. x + n - 1 all on) or x - k
 * (dilation: one of x - n + 1 .. x on). */
static void row_step(uint32_t *d, int wpl, int h, int k, int erode) {
    for (int y = 0; y < h; y++) (erode ? row_and_ahead : row_or_behind)(d + (size_t)y * wpl, wpl, k);
}

/* The same down the columns, 32 columns a word: row y from rows y .. y + n - 1 (erosion) or
 * y - n + 1 .. y (dilation), rows outside the image off. */
static void col_step(uint32_t *d, int wpl, int h, int k, int erode) {
    if (erode) {
        for (int y = 0; y < h; y++) {
            uint32_t *row = d + (size_t)y * wpl;
            if (y + k < h) {
                const uint32_t *other = row + (size_t)k * wpl;
                for (int i = 0; i < wpl; i++) row[i] &= other[i];
            } else {
                memset(row, 0, (size_t)wpl * 4);
            }
        }
    } else {
        for (int y = h - 1; y >= k; y--) {
            uint32_t *row = d + (size_t)y * wpl;
            const uint32_t *other = row - (size_t)k * wpl;
            for (int i = 0; i < wpl; i++) row[i] |= other[i];
        }
    }
}

/* Erosion or dilation by a run of n pixels anchored at its first (erosion) or last (dilation)
 * pixel: steps of 1, 2, 4 ... double the run, and the last step overlaps (AND and OR are
 * idempotent). */
static void morph(void (*step)(uint32_t *, int, int, int, int), uint32_t *d, int wpl, int h, int n,
                  int erode) {
    int m = 1;
    while (2 * m <= n) {
        step(d, wpl, h, m, erode);
        m *= 2;
    }
    if (n > m) step(d, wpl, h, n - m, erode);
}

/* The opening of a 1 bpp image by an hsize x vsize brick, as a new pix (NULL: out of memory). */
PIX *sohoa_open_brick(PIX *pixs, int hsize, int vsize) {
    const int w = lept.get_width(pixs), h = lept.get_height(pixs), wpl = lept.get_wpl(pixs);
    PIX *pixd = lept.create_template(pixs);
    if (!pixd) return NULL;
    uint32_t *d = lept.get_data(pixd);
    const uint32_t last = (w & 31) ? ~0u << (32 - (w & 31)) : ~0u; /* the last word's pixels */
    memcpy(d, lept.get_data(pixs), (size_t)h * wpl * 4);
    for (int y = 0; y < h; y++) d[(size_t)y * wpl + wpl - 1] &= last;
    if (hsize > 1) morph(row_step, d, wpl, h, hsize, 1);
    if (vsize > 1) {
        morph(col_step, d, wpl, h, vsize, 1);
        morph(col_step, d, wpl, h, vsize, 0);
    }
    if (hsize > 1) morph(row_step, d, wpl, h, hsize, 0);
    return pixd;
}

PIX *pixOpenBrick(PIX *pixd, PIX *pixs, int hsize, int vsize) {
    if (!lept.open_brick) lept.open_brick = (open_brick_fn)dlsym(RTLD_NEXT, "pixOpenBrick");
    if (!lept.open_brick) return NULL;
    if (!(lept.parts & OPEN_BRICK) || pixd || !pixs || lept.get_depth(pixs) != 1 || hsize < 1 ||
        vsize < 1 || (hsize == 1 && vsize == 1))
        return lept.open_brick(pixd, pixs, hsize, vsize);
    PIX *out = sohoa_open_brick(pixs, hsize, vsize);
    if (!out) return lept.open_brick(pixd, pixs, hsize, vsize);
    calls[OPEN_BRICK]++;
    return out;
}

/* Leptonica's own opening, for comparison in the tests. */
PIX *sohoa_open_brick_leptonica(PIX *pixs, int hsize, int vsize) {
    return lept.open_brick ? lept.open_brick(NULL, pixs, hsize, vsize) : NULL;
}

/* Leptonica's own pixWriteMem, for comparison in the tests. */
int sohoa_write_mem_leptonica(uint8_t **pdata, size_t *psize, PIX *pix, int format) {
    return lept.write_mem ? lept.write_mem(pdata, psize, pix, format) : 1;
}
