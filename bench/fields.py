#!/usr/bin/env python3
"""Per-field exact match and share of WRONG values (filled but not equal) of `sohoa extract` output.

    python bench/fields.py --gt ../shared/corpus/dev --pred bench-out/dev
    python bench/fields.py --gt ../shared/corpus/real --pred bench-out/real

Why a second scorer: precision comes first (a wrong value filed is worse than an empty one), so
"empty" and "wrong" must be counted apart; the shared scorers count both as a miss. A field the
ground truth lists under ``handwritten`` (real scans) is acceptable when empty. An empty field must
also send the document to review: ``silent`` counts the empty ones (missed or handwritten) that no
review reason names (``"review"`` of the extract JSON, or ``review_reasons`` of bench/metadata_cache.py's
``<stem>.fields.json``; cap and co_quan_chu_quan go with co_quan_ban_hanh). Fields compared:
those of the contract that the ground truth file has. Comparison as in the shared scorer: NFC,
whitespace collapsed, case folded; dates as ISO dates; so_trang as an int. The last line printed
is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import unicodedata
from pathlib import Path

FIELDS = (
    "so_ky_hieu",
    "ngay_ban_hanh",
    "dia_danh",
    "co_quan_ban_hanh",
    "co_quan_chu_quan",
    "cap",
    "loai_van_ban",
    "trich_yeu",
    "nguoi_ky",
    "chuc_vu_nguoi_ky",
    "so_trang",
)


def _norm(value: object) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip().casefold()


def _date(value: object) -> str | None:
    s = _norm(value)
    for pat in (r"^(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"):
        m = re.search(pat, s)
        if m:
            a, b, c = (int(x) for x in m.groups())
            y, mo, d = (a, b, c) if a > 31 else (c, b, a)
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                return None
    return None


def is_empty(value: object) -> bool:
    return value is None or _norm(value) == ""


def equal(name: str, gt: object, pred: object) -> bool:
    if is_empty(gt) or is_empty(pred):
        return is_empty(gt) and is_empty(pred)
    if name == "ngay_ban_hanh":
        return _date(gt) is not None and _date(gt) == _date(pred)
    if name == "so_trang":
        try:
            return int(str(pred).strip()) == int(str(gt))
        except ValueError:
            return False
    return _norm(gt) == _norm(pred)


_DERIVED = {"cap": "co_quan_ban_hanh", "co_quan_chu_quan": "co_quan_ban_hanh"}


def _flagged(doc: dict, fields_json: Path) -> set[str]:
    """The fields a review reason names ("field: reason")."""
    reasons = doc.get("review")
    if reasons is None and fields_json.exists():
        reasons = json.loads(fields_json.read_text("utf-8")).get("review_reasons")
    return {str(r).split(":", 1)[0] for r in reasons or ()}


def score(gt_dir: Path, pred_dir: Path) -> dict:
    """Per field: right, empty_ok (handwritten on the original, left empty), missed, wrong."""
    counts = {f: {"right": 0, "empty_ok": 0, "missed": 0, "wrong": 0, "silent": 0, "n": 0} for f in FIELDS}
    wrong_docs: dict[str, list[str]] = {f: [] for f in FIELDS}
    for gt_path in sorted(gt_dir.glob("*.gt.json")):
        gt = json.loads(gt_path.read_text("utf-8"))
        stem = gt_path.name[: -len(".gt.json")]
        pred_path = pred_dir / f"{stem}.json"
        doc = json.loads(pred_path.read_text("utf-8")) if pred_path.exists() else {}
        pred = doc.get("metadata", {})
        flagged = _flagged(doc, pred_dir / f"{stem}.fields.json")
        handwritten = set(gt.get("handwritten") or [])
        for f in FIELDS:
            if f not in gt:
                continue
            c = counts[f]
            c["n"] += 1
            value = pred.get(f)
            if equal(f, gt[f], value):
                c["right"] += 1
            elif is_empty(value):
                c["empty_ok" if f in handwritten else "missed"] += 1
                c["silent"] += _DERIVED.get(f, f) not in flagged
            else:
                c["wrong"] += 1
                wrong_docs[f].append(stem)
    out = {}
    for f, c in counts.items():
        if not c["n"]:
            continue
        out[f] = c | {
            "exact": round(c["right"] / c["n"], 4),
            "wrong_share": round(c["wrong"] / c["n"], 4),
            "wrong_docs": wrong_docs[f],
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gt", required=True, type=Path)
    ap.add_argument("--pred", required=True, type=Path)
    a = ap.parse_args()
    result = score(a.gt, a.pred)
    print(f"{'field':<18} {'n':>3} {'exact':>7} {'wrong':>7}  right empty_ok missed wrong silent")
    for f, r in result.items():
        print(
            f"{f:<18} {r['n']:>3} {r['exact']:>7.1%} {r['wrong_share']:>7.1%}  "
            f"{r['right']:>5} {r['empty_ok']:>8} {r['missed']:>6} {r['wrong']:>5} {r['silent']:>6}"
            + (f"  WRONG: {', '.join(r['wrong_docs'])}" if r["wrong_docs"] else "")
        )
    print(json.dumps({f: {k: r[k] for k in ("exact", "wrong_share", "silent")} for f, r in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
