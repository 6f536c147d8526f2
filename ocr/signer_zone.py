"""A second, cheap reading of the signer block when the seal over it made the page's OCR lose it.

The red seal is stamped over the signer's title and signature (NĐ 30/2020). On gray and
bilevel scans its ink is as gray as text, and even after the colour suppression of
:func:`ocr.preprocess.ink_gray` it stays a mid-gray ring; Tesseract's page layout analysis then
takes the ring, the signature and the title lines around them for an image and drops the whole
block (on the dev corpus the office line was missing from 22 of 40 last pages, the name from 10).

Here only the signer zone is read again: the right part of the page from the "Nơi nhận" row
(or the last full-width line) down, with every pixel lighter than printed ink turned white, so
the seal's ring and the signature's strokes vanish and the printed lines stand alone, read as
one block of text (psm 6). The zone is small (about a sixth of a page), so this costs a small
part of a page's OCR, and it only runs on a page whose first reading shows a "Nơi nhận" or a
signer block but not a clean signer title and name.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from ocr import tesseract
from ocr.vntext import is_vietnamese_word
from schemas.documents import OcrPage, OcrWord

ENABLED = True  # the second reading; off, the page's own reading is all there is
CLIPPED_AGAIN = True  # a zone still unread is read on the clipped-stretch image (reread_signer_zone)
PSM = 6  # one uniform block of text: the zone holds the signer lines only
INK_LEVEL = 90  # gray level of the OCR image (0 black, 255 paper): darker is printed ink
INK_MARGIN = 45  # above the page's median ink pixel (see ink_level)
INK_MIN, INK_MAX = 70, 190
INK_SAMPLE_WORDS = 40
SECOND_LEVEL = True  # when the first re-read misses the office or name, try INK_LEVEL too
ZONE_LEFT = 0.42  # the signer column starts right of this share of the page width
ZONE_ABOVE = 1.5  # line heights above the anchor row (the first title line sits on it)
ZONE_BELOW = 18.0  # line heights below the anchor row: titles, signature space, the name
CLEAN_CONFIDENCE = 80.0  # a first reading whose signer words are all this sure is kept as is
SURE_LINE = 85.0  # a first-pass line whose every word is this sure is kept over the re-read
LAST_TEXT_MAX = 0.75  # without "Nơi nhận", only a page whose body ends above this share of its height
DISAGREE_CONFIDENCE = 50.0  # a word the two readings spell differently
REREAD_BLOCK = 1000  # block numbers of re-read words start here (never a first-pass block)


def reread_signer_zone(
    image: np.ndarray,
    words: list[OcrWord],
    *,
    dpi: int,
    lang: str = "vie",
    timeout_s: int = 60,
    clipped: Callable[[], np.ndarray] | None = None,
) -> list[OcrWord] | None:
    """The page's words with the signer zone read again, or None when no second reading was
    needed or possible (no signer block found, or the first reading is already clean).

    ``image`` is the OCR image (gray) the ``words`` boxes refer to. ``clipped`` makes the same
    image with the contrast stretch clipped at black (:meth:`ocr.preprocess.Prepared.clipped_gray`),
    where bold strokes the page image shows hollow are solid: where the zone's readings of
    ``image`` still miss the office or the name, the zone is read on it the same way (its own
    ink level, then without the seal), made only then and only read if the zone differs there.
    Read on it always, 54 held-out pages lost 2 offices; as this extra attempt, dev gained
    dev_025's office, dev_029's office and name ('Trần' read whole), 108 held-out pages 1 name,
    0 wrong, the real corpus's readings unchanged.
    """
    if not ENABLED or image.ndim != 2 or not words:
        return None
    zone = signer_zone(words, width=image.shape[1], height=image.shape[0], dpi=dpi, image=image)
    if zone is None:
        return None
    x0, y0, x1, y1 = zone
    shape = image.shape
    best: tuple[int, list[OcrWord]] | None = None
    filed: dict[int, int] = {}  # id of a reading: how many signer fields it has filed

    def read(crop: np.ndarray, into: list[list[OcrWord]]) -> int:
        """Read ``crop`` (the zone, bilevel) and keep it if it is the best reading yet; its score."""
        nonlocal best
        found, _ = tesseract.recognize(crop, dpi=dpi, lang=lang, psm=PSM, timeout_s=timeout_s, config="")
        merged = merge_zone(words, found, zone)
        if merged is None:
            return 0
        into.append(merged)
        score = _signer_score(merged, shape[1], shape[0], dpi)
        if best is None or score > best[0] or _files_more(merged, score, best, filed, shape, dpi):
            best = (score, merged)
        return score

    def unread() -> bool:
        return best is None or best[0] < 2

    def attempt(gray: np.ndarray) -> tuple[np.ndarray, int, list[list[OcrWord]]]:
        """The zone of ``gray`` read at its ink level (and :data:`INK_LEVEL`), then without the
        seal, until the office and name are read."""
        level = ink_level(gray, words)
        levels = [level, INK_LEVEL] if SECOND_LEVEL and abs(level - INK_LEVEL) >= 15 else [level]
        into: list[list[OcrWord]] = []
        for lv in levels:
            crop = np.where(gray[y0:y1, x0:x1] < lv, 0, 255).astype(np.uint8)
            if (crop == 0).any() and read(crop, into) == 2:
                return gray, level, into  # office and name read: no other level needed
        if SEAL_PASS and unread():
            h = statistics.median(w.height for w in words if w.height > 0)
            crop = without_seal(gray[y0:y1, x0:x1], level, dpi=dpi, line_h=h)
            if crop is not None:
                read(crop, into)
        return gray, level, into

    attempts = [attempt(image)]
    if clipped is not None and CLIPPED_AGAIN and unread():
        solid = clipped()
        if not np.array_equal(solid[y0:y1, x0:x1], image[y0:y1, x0:x1]):
            attempts.append(attempt(solid))
    if best is None:
        return None
    kept = best[1]
    # The kept reading is checked against the other readings of its own image: on the page image
    # a hollow 'Trần' reads 'an', which is no other spelling of the solid one, only a failed one.
    gray, level, same = next(a for a in attempts if any(r is kept for r in a[2]))
    checked = _cross_checked(kept, [r for r in same if r is not kept])
    others = [words, *(r for a in attempts for r in a[2] if r is not kept)]
    checked = _second_title_lost(checked, others, shape[1], shape[0], dpi)
    return _name_cut_at_left(checked, gray, level, dpi)


def _zone_page(words: list[OcrWord], width: int, height: int, dpi: int) -> OcrPage:
    """``words`` as the one page the metadata parser reads (a reading of a ``width`` x ``height`` image)."""
    return OcrPage(index=0, width=width, height=height, dpi=dpi, words=tuple(words), text="", confidence=0.0)


CUT_NAME_INK = 0.05  # share of dark pixels before a name's first word that is a word OCR lost


def _name_cut_at_left(words: list[OcrWord], image: np.ndarray, level: int, dpi: int) -> list[OcrWord]:
    """``words`` with the first word of the name made unsure where it is no known surname and
    print the reading left without a word sits right before it on its row ("Trọng Hòa" after a
    "Trần" whose strokes came out hollow, "Thanh Sơn" after a "Ngô" glued to the seal's ring): a
    name that lost its surname is a wrong name. A name read from its surname ("Kiều …", a
    speck of the ring before it) or an ethnic one ("Y …", "H'…") is left as read."""
    from ocr import metadata as md
    from ocr.fields import _SURNAME_KEYS
    from ocr.vntext import match_key

    height, width = image.shape
    page = _zone_page(words, width, height, dpi)
    lines = md._lines_from_words(page)
    name, _ = md._signer(lines)
    if name is None:
        return words
    first_word = name.split()[0]
    if match_key(first_word) in _SURNAME_KEYS or first_word == "Y" or "'" in first_word:
        return words
    found = [w for ln in md._words_within(md.signer_tail(lines), name) for w in ln.words]
    if not found:
        return words
    first = min(found, key=lambda w: w.left)
    h = statistics.median(w.height for w in found)
    x1 = first.left - int(0.25 * h)
    x0 = max(0, first.left - int(2.5 * h))
    box = image[max(0, first.top) : first.top + first.height, x0:x1]
    if box.size == 0 or (box < level).mean() < CUT_NAME_INK:
        return words
    return [
        dataclasses.replace(w, confidence=min(w.confidence, DISAGREE_CONFIDENCE)) if w is first else w
        for w in words
    ]


def _second_title_lost(
    words: list[OcrWord], others: list[list[OcrWord]], width: int, height: int, dpi: int
) -> list[OcrWord]:
    """``words`` with the office made unsure where another reading of the zone (the page's, or
    another ink level's) has the office's last word on the line right under it, and this
    reading no word there: "KT. CHỦ TỊCH" over "PHÓ CHỦ TỊCH" reads as a bare "CHỦ TỊCH" once
    the seal took the "KT." and the whole second line (dev_002: the page's reading had 'TICH'
    under it at 49), and the deputy's office would be filed as the head's."""
    from ocr import metadata as md
    from ocr.vntext import match_key

    lines = md._lines_from_words(_zone_page(words, width, height, dpi))
    _, office = md._signer(lines)
    if office is None:
        return words
    found = [w for ln in md._words_within(md.signer_tail(lines), office) for w in ln.words]
    if not found:
        return words
    left, right = min(w.left for w in found), max(w.left + w.width for w in found)
    bottom = max(w.top + w.height for w in found)
    h = statistics.median(w.height for w in found)
    last = match_key(office.split()[-1])

    def below(w: OcrWord) -> bool:  # on the line right under the office, across its span
        return bottom - 0.3 * h <= w.top <= bottom + 1.5 * h and w.left < right and w.left + w.width > left

    mine = {id(w) for w in found}
    if any(below(w) and id(w) not in mine and sum(c.isalpha() for c in w.text) >= 2 for w in words):
        return words  # this reading has a line there
    if not any(below(w) and match_key(w.text.strip(".,:;")) == last for other in others for w in other):
        return words
    return [
        dataclasses.replace(w, confidence=min(w.confidence, DISAGREE_CONFIDENCE)) if id(w) in mine else w
        for w in words
    ]


def _cross_checked(words: list[OcrWord], others: list[list[OcrWord]]) -> list[OcrWord]:
    """The kept reading's name words, judged against the zone's other readings (another ink
    level, without the seal) as against the first pass: where one of them spells a word of the
    same spot otherwise ("Vĩnh" / "Vinh"), neither is sure (see :func:`_agreed_confidence`)."""
    agains = [[f for f in other if f.block >= REREAD_BLOCK] for other in others]
    leads = _line_leads(words)
    out = []
    for w in words:
        if w.block >= REREAD_BLOCK:
            for again in agains:
                conf = _agreed_confidence(w.text, w.confidence, w.left, w.top, w, again, lead=id(w) in leads)
                if conf < w.confidence:
                    w = dataclasses.replace(w, confidence=conf)
        out.append(w)
    return out


SEAL_PASS = True  # when the zone's readings still miss the office or name, read it without the seal
SEAL_RADIUS_MM = (15.0, 24.0)  # seals of administrative bodies are 30-48 mm across
SEAL_MARGIN = 1.1  # of the radius: the fitted circle may follow the ring's inner edge
SEAL_INNER_DROP = 30  # gray levels: inside the seal, only ink this much darker than the zone's level
SEAL_FIND_LEVEL = 150  # gray level under which a seal's ring is looked for when none is below the ink level
RING_DARKER = 15  # gray levels below the ring's darkest tenth: print, not the ring
SEAL_SPECK_AREA = 30  # px at 200 dpi: remnants of the ring inside the seal below it are dropped
TEXT_BAND = (0.5, 2.2)  # line heights: a row band of printed text (a signature's is taller)
TEXT_BAND_PAD = 0.15  # line heights above and below a band: marks over caps, a dot under them


def seal_circle(ink: np.ndarray, dpi: int) -> tuple[float, float, float] | None:
    """``(cx, cy, r)`` of a seal's outer ring in a zone's ink mask, or None (Hough transform at
    half scale, radius within :data:`SEAL_RADIUS_MM`)."""
    small = cv2.resize(ink.astype(np.uint8) * 255, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    rmin, rmax = (int(mm / 25.4 * dpi / 2) for mm in SEAL_RADIUS_MM)
    found = cv2.HoughCircles(
        small,
        cv2.HOUGH_GRADIENT,
        dp=1,
        minDist=rmax // 2,
        param1=100,
        param2=20,
        minRadius=rmin,
        maxRadius=rmax,
    )
    if found is None:
        return None
    best = None
    for x, y, r in found[0][:SEAL_CANDIDATES]:
        circle = 2 * float(x), 2 * float(y), 2 * float(r)
        support = _ring_support(ink, *circle)
        if support >= SEAL_SUPPORT and (best is None or support > best[0]):
            best = (support, circle)
    return best[1] if best else None


SEAL_CANDIDATES = 8  # circles of the Hough transform checked, most votes first
SEAL_SUPPORT = 0.4  # see _ring_support


def _ring_support(ink: np.ndarray, cx: float, cy: float, r: float) -> float:
    """How much more of a ring there is at radius ``r`` than just outside it: the share of 180
    directions from the centre with ink at 0.95-1.08 r (the ring line; the fitted circle may
    follow its inner edge) less the share with ink at 1.12-1.2 r. A seal's ring is inked nearly
    all round and only the title and signature cross the space outside it; lines of text or
    strokes meet both circles alike."""
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)

    def share(lo: float, hi: float) -> float:
        radii = np.linspace(lo * r, hi * r, 9)
        xs = np.rint(cx + np.outer(np.cos(angles), radii)).astype(int)
        ys = np.rint(cy + np.outer(np.sin(angles), radii)).astype(int)
        inside = (xs >= 0) & (xs < ink.shape[1]) & (ys >= 0) & (ys < ink.shape[0])
        hit = np.zeros(xs.shape, bool)
        hit[inside] = ink[ys[inside], xs[inside]]
        return float(hit.any(axis=1).mean())

    return share(0.95, 1.08) - share(1.12, 1.2)


def without_seal(gray: np.ndarray, level: int, *, dpi: int, line_h: float) -> np.ndarray | None:
    """The zone as a bilevel image with the seal taken out, or None (no seal found).

    A seal is a disk; the printed lines it covers run on beyond it as straight rows (NĐ 30/2020
    puts the seal over the left part of the signature, so the title and the name stick out on
    the right). Inside the disk only ink on such a row band, of a text line's height, is kept,
    and of that only the darker ink (a seal prints lighter than text even where both are gray),
    without the specks left of the ring; outside the disk everything is kept."""
    ink = gray < level
    seal_ink = ink
    circle = seal_circle(ink, dpi)
    if circle is None and level < SEAL_FIND_LEVEL:
        # A seal lighter than the page's ink level leaves only specks of its ring below it (a
        # gray seal under black print once the background is flattened): look for it lighter.
        seal_ink = gray < SEAL_FIND_LEVEL
        circle = seal_circle(seal_ink, dpi)
    if circle is None:
        return None
    cx, cy, r = circle
    yy, xx = np.mgrid[0 : ink.shape[0], 0 : ink.shape[1]]
    dist = np.hypot(xx - cx, yy - cy)
    disk = dist <= SEAL_MARGIN * r
    rows = (ink & ~disk).sum(axis=1) > 3
    band = np.zeros(len(rows), bool)
    start = None
    for i, on in enumerate([*rows, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if TEXT_BAND[0] * line_h <= i - start <= TEXT_BAND[1] * line_h:
                pad = int(TEXT_BAND_PAD * line_h)
                band[max(0, start - pad) : i + pad] = True
            start = None
    core = gray < max(1, level - SEAL_INNER_DROP)
    ring = _ring_line(seal_ink, dist, r)
    # Print darker than the ring's own ink is no part of it: where the ring crosses a letter, or
    # a letter's mark sits inside the disk ("Ủ", "Ị"), it stays. (A ring as dark as the print, on
    # a bilevel page, leaves no such pixel.)
    ring_ink = gray[ring & seal_ink]
    darker = gray < (np.percentile(ring_ink, 10) - RING_DARKER if ring_ink.size else 0)
    keep = ink & (~disk | (band[:, None] & core)) & ~(ring & ~darker)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(keep.astype(np.uint8), connectivity=8)
    inside = np.hypot(centroids[:, 0] - cx, centroids[:, 1] - cy) <= SEAL_MARGIN * r
    speck = (stats[:, cv2.CC_STAT_AREA] < SEAL_SPECK_AREA * (dpi / 200) ** 2) & inside
    speck &= np.bincount(labels[darker & keep], minlength=n) == 0
    speck[0] = False
    keep &= ~speck[labels]
    return np.where(keep, 0, 255).astype(np.uint8)


def _signer_score(words: list[OcrWord], width: int, height: int, dpi: int) -> int:
    """How many of the signer's name and office a reading yields (0-2). A name counts only when
    every word of it is read surely enough to be filed (:data:`SURE_NAME_WORD`): one read unsurely
    ("Thí" at 39 for "Thị") is as good as missing, so the zone's next reading is tried."""
    from ocr import metadata as md

    page = _zone_page(words, width, height, dpi)
    lines = md._lines_from_words(page)
    name, office = md._signer(lines)
    if name is not None:
        tail = md.signer_tail(lines)
        confs = [w.confidence for ln in md._words_within(tail, name) for w in ln.words]
        if confs and min(confs) < SURE_NAME_WORD:
            name = None
    return int(name is not None) + int(office is not None)


def _files_more(
    words: list[OcrWord],
    score: int,
    best: tuple[int, list[OcrWord]],
    filed: dict[int, int],
    shape: tuple[int, ...],
    dpi: int,
) -> bool:
    """Whether a reading that yields as many of the name and office as the best one so far
    (``score``, a tie of :func:`_signer_score`) has more of them filed by
    :func:`ocr.fields.extract_fields`, i.e. read surely and consistently enough ("PHO GIAM ĐỐC"
    over a lone "ĐÓC" read as "GIÁM ĐỐC", held back). Only ties pay for the field extraction,
    once per reading (``filed`` keeps the counts)."""
    from ocr.fields import extract_fields

    if best[0] == 0 or score != best[0]:
        return False

    def count(ws: list[OcrWord]) -> int:
        if id(ws) not in filed:
            result = extract_fields([_zone_page(ws, shape[1], shape[0], dpi)])
            filed[id(ws)] = sum(result.value(k) is not None for k in ("nguoi_ky", "chuc_vu_nguoi_ky"))
        return filed[id(ws)]

    return count(words) > count(best[1])


SURE_NAME_WORD = 65.0  # ocr.fields files a name whose least sure word is at least this sure


def ink_level(image: np.ndarray, words: list[OcrWord]) -> int:
    """The gray level below which a pixel is printed ink on this page: the median ink pixel of
    the page's surely read words, plus a margin (faded or low-contrast scans print lighter than
    a seal on a clean one, so no fixed level fits every page), within [INK_MIN, INK_MAX]."""
    sure = [w for w in words if w.confidence >= 90 and len(w.text) >= 3][-INK_SAMPLE_WORDS:]
    inks = []
    for w in sure:
        box = image[max(0, w.top) : w.top + w.height, max(0, w.left) : w.left + w.width]
        if box.size < 16:
            continue
        t, _ = cv2.threshold(box, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        inks.append(box[box <= t])
    if not inks:
        return INK_LEVEL
    return int(np.clip(np.median(np.concatenate(inks)) + INK_MARGIN, INK_MIN, INK_MAX))


def signer_zone(
    words: list[OcrWord], *, width: int, height: int, dpi: int, image: np.ndarray | None = None
) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` of the signer block to read again, or None (no block, or clean).
    ``image`` (the OCR image) lets a block the first reading dropped whole be found by its ink."""
    from ocr import metadata as md

    page = _zone_page(words, width, height, dpi)
    lines = md._lines_from_words(page)
    if not lines:
        return None
    if _clean_signer(lines):
        return None
    h = statistics.median(w.height for w in words if w.height > 0) if words else 20
    found = _anchor(lines, width, height, image)
    if found is None:
        return None
    anchor, below = found
    x0 = int(ZONE_LEFT * width)
    y0 = max(0, int(anchor - ZONE_ABOVE * h))
    y1 = min(height, int(anchor + below * h))
    if y1 - y0 < 3 * h:
        return None
    return x0, y0, width, y1


def _clean_signer(lines: list) -> bool:  # noqa: ANN001 - md._Line
    """Whether the first reading already holds the signer's office and name, read surely."""
    from ocr import metadata as md

    tail = md.signer_tail(lines)
    name, office = md._signer(tail)
    if not (name and office):
        return False
    used = md._lines_within(tail, name) + md._lines_within(tail, office)
    confs = [w.confidence for ln in used for w in ln.words]
    return bool(confs) and min(confs) >= CLEAN_CONFIDENCE


def _anchor(
    lines: list,  # noqa: ANN001 - md._Line
    width: int,
    height: int,
    image: np.ndarray | None = None,
) -> tuple[float, float] | None:
    """The top of the row the signer block starts on, and how many line heights below it the
    block may reach: the "Nơi nhận" line, else an authority (TM./KT./TL.) line in the right half,
    else, on a page whose text ends above its last quarter (a last page: a page of body runs to
    the bottom margin) and shows a name or a caps line below it in the right half, the bottom of
    the last full-width line. Where the first reading dropped the whole block (the seal and
    signature made Tesseract take it for a picture), printed-dark ink in the right half below
    that line stands for it. Below a full-width line the block may start a few lines lower (the
    paragraph's short last line, a lost "Nơi nhận" row): :data:`ZONE_BELOW_BODY`."""
    from ocr import metadata as md
    from ocr.vntext import match_key

    def top(ln) -> float:  # noqa: ANN001
        return min(w.top for w in ln.words)

    for ln in reversed(lines):
        if ln.words and match_key(ln.text).startswith(("noi nhan", "noi nham", "noi nh")):
            return top(ln), ZONE_BELOW
    for ln in reversed(lines):
        if ln.words and min(w.left for w in ln.words) > 0.4 * width and md._AUTHORITY.match(ln.text):
            return top(ln), ZONE_BELOW
    full = [
        ln
        for ln in lines
        if ln.words
        and min(w.left for w in ln.words) < 0.3 * width
        and max(w.left + w.width for w in ln.words) > 0.7 * width
    ]
    if not full:
        return None
    last = max(full, key=top)
    bottom = max(w.top + w.height for w in last.words)
    if bottom > LAST_TEXT_MAX * height:
        return None
    # And something of a signer block below it in the right half: a name or a caps title line.
    # Runs of specks (a scanner's dirt streak, a seal's ring read as letters) are no text there.
    below = [
        ln
        for ln in lines
        if ln.words
        and top(ln) > bottom
        and min(w.left for w in ln.words) > 0.4 * width
        and not md._is_speck_line(ln)
    ]
    h = statistics.median(w.height for w in last.words)
    signer_below = any(
        md._name(ln.text) or md._is_upper_line(md._strip_trailing_junk(ln.text)) for ln in below
    )
    if not signer_below and (below or not _unread_ink(image, width, int(bottom + 0.5 * h), h)):
        return None
    return bottom + 0.5 * h, ZONE_BELOW_BODY


ZONE_BELOW_BODY = 20.0  # line heights below the body's last full-width line
UNREAD_INK_SHARE = 0.004  # of the zone's pixels: a title line, a name and a seal are well above it


def _unread_ink(image: np.ndarray | None, width: int, top: int, h: float) -> bool:
    """Whether the right half below ``top`` (a signer block's height) holds dark ink in rows of
    printed text's height the first reading left without a word."""
    if image is None or image.ndim != 2:
        return False
    zone = image[top : int(top + ZONE_BELOW * h), int(ZONE_LEFT * width) :]
    if zone.size == 0:
        return False
    dark = zone < INK_LEVEL
    if dark.mean() < UNREAD_INK_SHARE:
        return False
    rows = dark.sum(axis=1) > 0.02 * zone.shape[1]
    return int(rows.sum()) >= 1.5 * h  # at least a line and a half of inked rows


def _ring_line(ink: np.ndarray, dist: np.ndarray, r: float) -> np.ndarray:
    """The seal's outer ring line: the annulus around the fitted radius where the share of inked
    pixels per radius is at least half its peak (it crosses a text row as a stroke that no
    letter has; a letter it crosses loses a thin slab)."""
    radii = np.arange(int(0.85 * r), int(1.15 * r) + 1)
    ring = np.clip(dist.astype(np.int32), 0, radii[-1] + 1)
    inked = np.bincount(ring[ink], minlength=radii[-1] + 2)[radii]
    total = np.bincount(ring.ravel(), minlength=radii[-1] + 2)[radii]
    share = inked / np.maximum(total, 1)
    peak = int(share.argmax())
    lo = hi = peak
    while lo > 0 and share[lo - 1] >= share[peak] / 2:
        lo -= 1
    while hi < len(share) - 1 and share[hi + 1] >= share[peak] / 2:
        hi += 1
    return (dist >= radii[lo] - 1) & (dist < radii[hi] + 2)


def merge_zone(
    words: list[OcrWord], found: list[OcrWord], zone: tuple[int, int, int, int]
) -> list[OcrWord] | None:
    """First-pass words inside the zone replaced by the zone's second reading (moved to page
    coordinates). Lines the first pass read surely and words crossing the zone's left edge (a
    long "Nơi nhận" item) stay, and re-read words reading the same spot as one of them
    (:func:`_same_spot`) are dropped: a sure line's tall boxes ("CHỦ" 50 px with its mark) may
    graze the line under it, which is no reading of it ("TL. CHỦ TỊCH" over "CHÁNH VĂN PHÒNG":
    the deputy's title dropped, the head's filed). None when the
    second reading found nothing."""
    x0, y0, x1, y1 = zone
    if not found:
        return None

    def inside(w: OcrWord) -> bool:
        cx, cy = w.left + w.width / 2, w.top + w.height / 2
        return w.left >= x0 and x0 <= cx < x1 and y0 <= cy < y1

    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in words:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w)
    sure = {k for k, ws in lines.items() if min(w.confidence for w in ws) >= SURE_LINE}
    # A line the first pass read surely stays (the second reading is not always better).
    kept = [w for w in words if not inside(w) or (w.block, w.paragraph, w.line) in sure]
    keep_over = [
        w for w in kept if (w.left < x0 < w.left + w.width and y0 <= w.top + w.height / 2 < y1) or inside(w)
    ]
    replaced = [w for w in words if inside(w) and (w.block, w.paragraph, w.line) not in sure]
    added: list[OcrWord] = []
    specks = _specks_before_names(found)
    rows = zone_rows(found, x0, y0, skip=specks)
    leads = _line_leads([w for w in found if id(w) not in specks])
    for w in found:
        if id(w) in specks:
            continue
        row = rows[(w.block, w.paragraph, w.line)]
        moved = OcrWord(
            text=w.text,
            left=w.left + x0,
            top=w.top + y0,
            width=w.width,
            height=w.height,
            confidence=_agreed_confidence(
                w.text, w.confidence, w.left + x0, w.top + y0, w, replaced, row, lead=id(w) in leads
            ),
            block=REREAD_BLOCK + w.block,
            paragraph=w.paragraph,
            line=w.line,
        )
        if w.left <= 2:
            continue  # cut by the zone's edge
        if any(_same_spot(moved, s) for s in keep_over):
            continue
        added.append(moved)
    if not added:
        return None
    return _names_cut_short(kept, added, sure) + added


def _names_cut_short(
    kept: list[OcrWord], added: list[OcrWord], sure: set[tuple[int, int, int]]
) -> list[OcrWord]:
    """``kept`` with the first word of a name line the first pass read surely made unsure where
    the zone's reading found a word right before it on its row ("go" | "Thanh Sơn": the seal's
    ring glued to "Ngô" made the first pass drop it). A name that lost its surname is a wrong
    name; held back, it is only a missed one."""
    from ocr import metadata as md

    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in kept:
        if (w.block, w.paragraph, w.line) in sure:
            lines.setdefault((w.block, w.paragraph, w.line), []).append(w)
    cut: set[int] = set()
    for ws in lines.values():
        ws = sorted(ws, key=lambda w: w.left)
        if md._name(" ".join(w.text for w in ws)) is None:
            continue
        first = ws[0]
        h = statistics.median(w.height for w in ws)
        for a in added:
            row = min(a.top + a.height, first.top + first.height) - max(a.top, first.top)
            gap = first.left - (a.left + a.width)
            if row >= 0.5 * h and -2 <= gap <= NAME_WORD_GAP * h and any(c.isalpha() for c in a.text):
                cut.add(id(first))
    return [
        dataclasses.replace(w, confidence=min(w.confidence, DISAGREE_CONFIDENCE)) if id(w) in cut else w
        for w in kept
    ]


NAME_WORD_GAP = 1.0  # line heights: a word this close before a name's first word is of the name


SPECK_WORD_CONFIDENCE = 30.0  # a line's first word read less surely than this may be a speck


def zone_rows(
    found: list[OcrWord], x0: int, y0: int, *, skip: set[int] = frozenset()
) -> dict[tuple[int, int, int], list[OcrWord]]:
    """A zone re-read's lines by (block, paragraph, line), its words (but those whose ``id`` is
    in ``skip``) moved from the crop at ``(x0, y0)`` to page coordinates, in reading order."""
    rows: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in found:
        if id(w) not in skip:
            rows.setdefault((w.block, w.paragraph, w.line), []).append(
                dataclasses.replace(w, left=w.left + x0, top=w.top + y0)
            )
    return rows


def _specks_before_names(found: list[OcrWord]) -> set[int]:
    """``id``s of words the zone's reading put before a name that are no part of it: a line's
    first word read very unsurely, with no capital (a piece of the seal's ring or of the
    signature read as "cà"), right before a known surname ("cà Kiều Thị Minh Thảo"). A name
    starts with its surname, capitalised; a surname misread as such a speck leaves no known
    surname first, so nothing is dropped there."""
    from ocr.fields import _SURNAME_KEYS
    from ocr.vntext import match_key

    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in found:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w)
    out = set()
    for ws in lines.values():
        ws = sorted(ws, key=lambda w: w.left)
        if len(ws) < 3:
            continue
        first, surname = ws[0], _letters(ws[1].text)
        if (
            first.confidence < SPECK_WORD_CONFIDENCE
            and not any(c.isupper() for c in first.text)
            and surname[:1].isupper()
            and match_key(surname) in _SURNAME_KEYS
        ):
            out.add(id(first))
    return out


def _line_leads(words: Sequence[OcrWord]) -> set[int]:
    """``id``s of the first (leftmost) word of each line of ``words``: where a name's surname is."""
    lines: dict[tuple[int, int, int], OcrWord] = {}
    for w in words:
        k = (w.block, w.paragraph, w.line)
        if k not in lines or w.left < lines[k].left:
            lines[k] = w
    return {id(w) for w in lines.values()}


def _agreed_confidence(
    text: str,
    confidence: float,
    left: int,
    top: int,
    w: OcrWord,
    first: list[OcrWord],
    row: Sequence[OcrWord] = (),
    *,
    lead: bool = False,
) -> float:
    """A re-read word's confidence, judged against the first reading of the same spot: where the
    two readings spell a word of a name differently ("Niê" / "Niề"), neither is sure (at most
    :data:`DISAGREE_CONFIDENCE`); where they agree, the surer one counts. Caps title words keep
    their own confidence: the office lexicon and the block's structure judge those. The two are
    compared on their letters: a speck glued to a word's edge ("'Tạ": a piece of the seal's
    ring) is no other spelling (no word of a name starts or ends with a mark; "K'Ré" holds one
    inside), and neither is a reading with a letter no Vietnamese word has ("Thƒ" at 54 for
    "Thị": a failed reading, like one under :data:`DISAGREE_CONFIDENCE`). A first-pass word that
    spans several words of the re-read's line (``row``, page coordinates) and spells them joined
    ("HBiaMIô" over "H'Bia" "Mlô": a lost space and apostrophe, I for l) read the same letters:
    no other spelling, and no confirmation either."""
    box = OcrWord(text, left, top, w.width, w.height, confidence)
    same_spot = [
        f
        for f in first
        if _same_spot(box, f)
        and any(c.isalpha() for c in f.text)
        and is_vietnamese_word(_letters(f.text))
        and not _glued_alike(f, row)
    ]
    if not same_spot:
        return confidence
    core = _letters(text)
    if all(_letters(f.text) == core for f in same_spot) or (lead and _one_surname(core, same_spot)):
        return max(confidence, *(f.confidence for f in same_spot))
    if all(f.confidence < DISAGREE_CONFIDENCE for f in same_spot):
        return confidence  # the first reading there was no reading ("guyền" at 21 for "Nguyễn")
    if core.isupper():
        return confidence
    return min(confidence, DISAGREE_CONFIDENCE)


def _one_surname(core: str, same_spot: Sequence[OcrWord]) -> bool:
    """Whether a line's first word and the other readings of its spot, spelt differently, all
    have the letters of one common surname ("Đỉnh" / "Đinh", "Lễ" / "Lê"): the name's surname is
    filed as that surname (:func:`ocr.fields.fix_surname`), so the marks they differ in are no
    other reading of it."""
    from ocr.fields import _SURNAME_KEYS
    from ocr.vntext import match_key

    key = match_key(core)
    return (
        key in _SURNAME_KEYS
        and core[:1].isupper()
        and all(match_key(_letters(f.text)) == key and _letters(f.text)[:1].isupper() for f in same_spot)
    )


def _letters(text: str) -> str:
    """A word without the marks at its edges ("'Tạ", "Tuyết,", '"TL.'), nor a stroke read as
    "I" or "l" glued before its capital ("IH'Bia": the seal's ring; no word starts with two
    capitals): what two readings of it are compared on."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    core = text[start:end]
    if len(core) >= 3 and core[0] in "Il1" and core[1].isupper() and any(c.islower() for c in core):
        start += 1
    return text[start:end]


def _glyph_key(text: str) -> str:
    """A spelling's letters and digits only, uppercase I as l (one glyph in the serif faces)."""
    return "".join(c for c in text if c.isalnum()).replace("I", "l")


def _glued_alike(first: OcrWord, row: Sequence[OcrWord]) -> bool:
    """Whether ``first`` holds the centres of two or more words of ``row`` and, joined, they
    are the same glyphs (see :func:`_agreed_confidence`)."""
    held = sorted(
        (
            r
            for r in row
            if first.left <= r.left + r.width / 2 < first.left + first.width
            and first.top <= r.top + r.height / 2 < first.top + first.height
        ),
        key=lambda r: r.left,
    )
    return len(held) >= 2 and _glyph_key(first.text) == _glyph_key("".join(r.text for r in held))


def _same_spot(a: OcrWord, b: OcrWord) -> bool:
    """Two readings of one word: their boxes overlap and one holds the other's centre. A box a
    signature's stroke stretched ("Minh" 99 px tall under a loop) only grazes a stroke read
    beside it ("v") and is no reading of it."""

    def holds(x: OcrWord, y: OcrWord) -> bool:
        cx, cy = y.left + y.width / 2, y.top + y.height / 2
        return x.left <= cx < x.left + x.width and x.top <= cy < x.top + x.height

    return _overlap(a, b) and (holds(a, b) or holds(b, a))


def _overlap(a: OcrWord, b: OcrWord) -> bool:
    return (
        a.left < b.left + b.width
        and b.left < a.left + a.width
        and a.top < b.top + b.height
        and b.top < a.top + a.height
    )


def page_text(words: list[OcrWord], *, opening_from: int | None = None) -> str:
    """The page text of ``words`` as :func:`ocr.tesseract.recognize` builds it (reading order,
    two-column bands left column first); the re-read lines come last, top to bottom, where the
    signer block is read (after the "Nơi nhận" items). Re-read lines whose block is at least
    ``opening_from`` (the header zone's agency lines, :mod:`ocr.header_zone`) come first, top
    to bottom: the agency block opens the page."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in words:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w)

    def top_down(keep: Callable[[int], bool]) -> list[list[OcrWord]]:
        return sorted((ws for k, ws in lines.items() if keep(k[0])), key=lambda ws: min(w.top for w in ws))

    start = opening_from if opening_from is not None else 1 << 30
    first = top_down(lambda b: b >= start) + [ws for k, ws in lines.items() if k[0] < REREAD_BLOCK]
    again = top_down(lambda b: REREAD_BLOCK <= b < start)
    segments = tesseract._reading_order(first) + tesseract._reading_order(again)
    return "\n".join(" ".join(w.text for w in seg) for seg in segments)
