/*
 * Sauvola binarisation for Tesseract, bit-identical to Leptonica's pixSauvolaBinarizeTiled().
 *
 * Tesseract (thresholding_method=2) binarises every page with Leptonica's
 * pixSauvolaBinarizeTiled(). Leptonica builds the window means from whole-tile summed-area
 * tables (a 32-bit one for the sums, a 64-bit float one for the squares) and makes three more
 * full-size passes (mean, mean square, threshold, comparison): about 0.08-0.1 CPU s for a
 * 300 dpi A4 page, 8 % of the page's OCR. This file computes the same numbers in one pass with
 * running column sums and writes the threshold and the binary image directly.
 *
 * Exactness is the point: the binary image shapes Tesseract's layout analysis (which lines and
 * blocks it finds), so the result must be the same bits as Leptonica's. The arithmetic below
 * follows Leptonica's definitions (see tests/test_native_sauvola.py, which compares the two
 * on generated pages, and ocr/tesseract.py for how the function reaches Tesseract):
 *   - window (2 * whsize + 1)^2 centred on the pixel, the image mirrored at its edges
 *     (the pixel beside the edge repeats the edge pixel);
 *   - mean m = (uint8)(float(1 / n) * sum), truncated; mean square
 *     ms = (uint32)(double(1 / n) * sumsq + 0.5), rounded (Leptonica 1.82, Debian 12), with
 *     1 / n computed as 1.0 / (float)n;
 *   - sd = sqrtf(ms - m * m), threshold t = (int)(m * (1 - k * (1 - sd / 128)));
 *   - a pixel is foreground (1) when its value is below t.
 * ms - m * m is never negative then (the mean square is rounded, the mean truncated); a
 * guard keeps a table index in range all the same.
 *
 * sohoa loads this library with RTLD_GLOBAL before libtesseract, so Tesseract's call of
 * pixSauvolaBinarizeTiled resolves here (ELF symbol interposition). Leptonica itself is reached
 * through dlopen/dlsym (sohoa_sauvola_init), so this file needs no Leptonica headers or library
 * at build time. Inputs this code does not handle (not 8 bpp, a colour map, sizes Leptonica
 * rejects) go to Leptonica's own function, as do all calls before sohoa_sauvola_init.
 */

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Pix PIX;
typedef int (*sauvola_fn)(PIX *, int, float, int, int, PIX **, PIX **);

static struct {
    int ready;
    sauvola_fn real;
    int (*get_width)(const PIX *);
    int (*get_height)(const PIX *);
    int (*get_depth)(const PIX *);
    int (*get_wpl)(const PIX *);
    void *(*get_colormap)(PIX *);
    uint32_t *(*get_data)(PIX *);
    PIX *(*create)(int, int, int);
    int (*copy_resolution)(PIX *, const PIX *);
    void (*destroy)(PIX **);
} lept;

static unsigned long calls;  /* pages binarised here, for the tests and the benchmark */

/* Leptonica keeps 8 bpp pixels big-endian within each 32-bit word. */
static inline int byte_index(int x) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return x ^ 3;
#else
    return x;
#endif
}

static inline int mirror(int i, int n) { return i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i); }

int sohoa_sauvola(PIX *pixs, int whsize, float factor, PIX **ppixth, PIX **ppixd);

static int same_pix(PIX *a, PIX *b) {
    const int h = lept.get_height(a), wpl = lept.get_wpl(a);
    return a && b && h == lept.get_height(b) && wpl == lept.get_wpl(b) &&
           memcmp(lept.get_data(a), lept.get_data(b), (size_t)h * wpl * 4) == 0;
}

/* Another Leptonica version may round differently (1.83's mean square is truncated, for one).
 * Before taking over, compare both functions on a noisy image with a few window sizes: any
 * difference leaves every call to Leptonica. */
static int self_check(void) {
    static const int sizes[][3] = {{131, 97, 5}, {160, 128, 7}, {257, 203, 49}};
    uint32_t seed = 12345u;
    int same = 1;
    for (size_t i = 0; same && i < sizeof sizes / sizeof sizes[0]; i++) {
        const int w = sizes[i][0], h = sizes[i][1], whsize = sizes[i][2];
        PIX *pixs = lept.create(w, h, 8), *th1 = NULL, *bd1 = NULL, *th2 = NULL, *bd2 = NULL;
        if (!pixs) return 0;
        uint32_t *data = lept.get_data(pixs);
        const int wpl = lept.get_wpl(pixs);
        for (int y = 0; y < h; y++) {
            uint8_t *row = (uint8_t *)(data + (size_t)y * wpl);
            for (int x = 0; x < w; x++) {
                seed = seed * 1664525u + 1013904223u;
                /* dark strokes on a light, uneven background, and some pure noise */
                int v = (x / 9 + y / 13) % 4 == 0 ? 40 + (int)(seed >> 26) : 150 + (int)(seed >> 25) + x / 3;
                row[byte_index(x)] = (uint8_t)(y % 17 == 0 ? (int)(seed >> 24) : (v > 255 ? 255 : v));
            }
        }
        same = lept.real(pixs, whsize, 0.34f, 1, 1, &th1, &bd1) == 0 &&
               sohoa_sauvola(pixs, whsize, 0.34f, &th2, &bd2) == 0 && same_pix(th1, th2) &&
               same_pix(bd1, bd2);
        lept.destroy(&pixs);
        lept.destroy(&th1);
        lept.destroy(&bd1);
        lept.destroy(&th2);
        lept.destroy(&bd2);
    }
    return same;
}

/* Load Leptonica's functions from the library at `path` (the one libtesseract uses).
 * Returns 1 when every function was found and the self-check passed; 0 leaves the interposer
 * passing calls through to Leptonica. */
int sohoa_sauvola_init(const char *path) {
    void *h = dlopen(path, RTLD_LAZY | RTLD_GLOBAL);
    if (!h) return 0;
    lept.real = (sauvola_fn)dlsym(h, "pixSauvolaBinarizeTiled");
    lept.get_width = (int (*)(const PIX *))dlsym(h, "pixGetWidth");
    lept.get_height = (int (*)(const PIX *))dlsym(h, "pixGetHeight");
    lept.get_depth = (int (*)(const PIX *))dlsym(h, "pixGetDepth");
    lept.get_wpl = (int (*)(const PIX *))dlsym(h, "pixGetWpl");
    lept.get_colormap = (void *(*)(PIX *))dlsym(h, "pixGetColormap");
    lept.get_data = (uint32_t * (*)(PIX *)) dlsym(h, "pixGetData");
    lept.create = (PIX * (*)(int, int, int)) dlsym(h, "pixCreate");
    lept.copy_resolution = (int (*)(PIX *, const PIX *))dlsym(h, "pixCopyResolution");
    lept.destroy = (void (*)(PIX **))dlsym(h, "pixDestroy");
    lept.ready = lept.real && lept.get_width && lept.get_height && lept.get_depth && lept.get_wpl &&
                 lept.get_colormap && lept.get_data && lept.create && lept.copy_resolution &&
                 lept.destroy && self_check();
    return lept.ready;
}

unsigned long sohoa_sauvola_calls(void) { return calls; }


/* Threshold and binary image of an 8 bpp image; both outputs optional. Returns 0 on success. */
int sohoa_sauvola(PIX *pixs, int whsize, float factor, PIX **ppixth, PIX **ppixd) {
    const int w = lept.get_width(pixs), h = lept.get_height(pixs);
    const int wpls = lept.get_wpl(pixs);
    const uint32_t *datas = lept.get_data(pixs);
    const int r = whsize, win = 2 * whsize + 1, pw = w + 2 * r;
    PIX *pixth = NULL, *pixd = NULL;
    uint8_t *rows = NULL;
    uint32_t *cs = NULL, *cq = NULL, *sq = NULL;
    double *gain = NULL;
    int ok = 0;

    if (ppixth) *ppixth = NULL;
    if (ppixd) *ppixd = NULL;
    rows = malloc((size_t)pw * h);  /* the image's rows, mirrored left and right, in x order */
    cs = calloc(pw, sizeof *cs);    /* column sums over the window's rows */
    cq = calloc(pw, sizeof *cq);    /* column sums of squares */
    sq = malloc(256 * sizeof *sq);
    gain = malloc(65536 * sizeof *gain);
    if (ppixth) pixth = lept.create(w, h, 8);
    if (ppixd) pixd = lept.create(w, h, 1);
    if (!rows || !cs || !cq || !sq || !gain || (ppixth && !pixth) || (ppixd && !pixd)) goto done;

    for (int v = 0; v < 256; v++) sq[v] = (uint32_t)(v * v);
    /* The factor of m in the threshold for each variance, as Leptonica computes it. */
    for (int v = 0; v < 65536; v++) {
        float sd = sqrtf((float)v);
        gain[v] = 1.0 - factor * (1.0 - sd / 128.);
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *src = (const uint8_t *)(datas + (size_t)y * wpls);
        uint8_t *row = rows + (size_t)y * pw;
        for (int x = 0; x < w; x++) row[x + r] = src[byte_index(x)];
        for (int x = 0; x < r; x++) {
            row[r - 1 - x] = row[r + x];
            row[r + w + x] = row[r + w - 1 - x];
        }
    }
    for (int k = -r; k <= r; k++) {
        const uint8_t *row = rows + (size_t)mirror(k, h) * pw;
        for (int x = 0; x < pw; x++) {
            cs[x] += row[x];
            cq[x] += sq[row[x]];
        }
    }

    const float normf = (float)(1.0 / (float)(win * win));
    const double normd = 1.0 / (float)(win * win);
    const int wplt = pixth ? lept.get_wpl(pixth) : 0, wpld = pixd ? lept.get_wpl(pixd) : 0;
    uint32_t *datat = pixth ? lept.get_data(pixth) : NULL, *datad = pixd ? lept.get_data(pixd) : NULL;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = rows + (size_t)y * pw + r;
        uint8_t *trow = datat ? (uint8_t *)(datat + (size_t)y * wplt) : NULL;
        uint32_t *drow = datad ? datad + (size_t)y * wpld : NULL;
        uint32_t s = 0, q = 0, word = 0;
        for (int x = 0; x < win; x++) {
            s += cs[x];
            q += cq[x];
        }
        for (int x = 0; x < w; x++) {
            const int m = (uint8_t)(normf * (float)s);
            const int ms = (int)(uint32_t)(normd * (double)q + 0.5);
            int v = ms - m * m;
            if (v < 0) v = 0; /* cannot happen (see the top); a guard */
            const int t = (int)(m * gain[v]);
            if (trow) trow[byte_index(x)] = (uint8_t)t;
            if (row[x] < t) word |= 0x80000000u >> (x & 31);
            if ((x & 31) == 31 || x == w - 1) {
                if (drow) drow[x >> 5] = word;
                word = 0;
            }
            if (x + 1 < w) {
                s += cs[x + win] - cs[x];
                q += cq[x + win] - cq[x];
            }
        }
        if (y + 1 < h) {  /* slide the window down one row */
            const uint8_t *out = rows + (size_t)mirror(y - r, h) * pw;
            const uint8_t *in = rows + (size_t)mirror(y + r + 1, h) * pw;
            for (int x = 0; x < pw; x++) {
                cs[x] += (uint32_t)in[x] - out[x];
                cq[x] += sq[in[x]] - sq[out[x]];
            }
        }
    }
    ok = 1;

done:
    free(rows);
    free(cs);
    free(cq);
    free(sq);
    free(gain);
    if (!ok) return 1;  /* out of memory: the caller falls back to Leptonica */
    if (ppixth) *ppixth = pixth;
    if (ppixd) *ppixd = pixd;
    return 0;
}

/* Leptonica's own function, for comparison in the tests. */
int sohoa_sauvola_leptonica(PIX *pixs, int whsize, float factor, int nx, int ny, PIX **ppixth,
                            PIX **ppixd) {
    return lept.real ? lept.real(pixs, whsize, factor, nx, ny, ppixth, ppixd) : 1;
}

/* The interposer: same signature and results as Leptonica's (nx and ny only choose Leptonica's
 * tiling, which does not change the result; the one visible difference, the resolution that
 * Leptonica's untiled path copies to the binary image, is kept). */
int pixSauvolaBinarizeTiled(PIX *pixs, int whsize, float factor, int nx, int ny, PIX **ppixth,
                            PIX **ppixd) {
    if (!lept.ready) {
        sauvola_fn real = (sauvola_fn)dlsym(RTLD_NEXT, "pixSauvolaBinarizeTiled");
        return real ? real(pixs, whsize, factor, nx, ny, ppixth, ppixd) : 1;
    }
    if ((!ppixth && !ppixd) || !pixs || lept.get_depth(pixs) != 8 || lept.get_colormap(pixs) ||
        whsize < 2 || factor < 0.0f)
        return lept.real(pixs, whsize, factor, nx, ny, ppixth, ppixd);
    const int w = lept.get_width(pixs), h = lept.get_height(pixs);
    if (w < 2 * whsize + 3 || h < 2 * whsize + 3)
        return lept.real(pixs, whsize, factor, nx, ny, ppixth, ppixd);
    if (nx > 1 && w / nx < whsize + 2) nx = w / (whsize + 2);
    if (ny > 1 && h / ny < whsize + 2) ny = h / (whsize + 2);
    if (sohoa_sauvola(pixs, whsize, factor, ppixth, ppixd) != 0)
        return lept.real(pixs, whsize, factor, nx, ny, ppixth, ppixd);
    if (nx <= 1 && ny <= 1 && ppixd) lept.copy_resolution(*ppixd, pixs);
    calls++;
    return 0;
}
