#!/usr/bin/env python3
"""OCR accuracy, CPU time and memory of `sohoa extract` next to raw `tesseract -l vie --psm 3`.

    .venv/bin/python bench/ocr_vs_tesseract.py [--corpus DIR ...] [--no-memory]

For each corpus (a folder of ``<docid>.gt.json`` with ``pages`` plus the scan file or folder of
page images), in the same run:

* ``sohoa extract`` (the real CLI, one OCR process per core) over the documents;
* raw ``tesseract IMG - -l vie --psm 3`` on the same pages, as many at once as there are cores
  (``OMP_THREAD_LIMIT=1`` each, as ours). Its pages are decoded to PNG beforehand, outside the
  timing, so the comparison favours raw Tesseract slightly.

Both are scored the way ``../shared/bench/score.py`` scores (whole document, NFC, whitespace
collapsed, micro-averaged Levenshtein CER/WER), overall and per degradation. Speed is reported
as wall pages/min and as CPU seconds per page (user+sys of every child process, from
``RUSAGE_CHILDREN``): on a shared machine CPU time is the fair measure. Each is the mean of
``--rounds`` timed runs per contestant (default 2), taken in ABBA order so that the machine's
drift favours neither; each round's wall ratio is printed too. Peak memory is the
largest summed RSS of the process tree (``/proc`` sampled every 0.1 s) while ``sohoa extract``
reads a 20-page 300 dpi document. Without ``--corpus``, the project's own demo samples
(``ocr.samples``, rendered at 200 dpi with their ground truth) are the corpus, so this runs
without ``../shared``. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SOHOA = str(Path(sys.executable).parent / "sohoa")
WS = re.compile(r"\s+")


# --- scoring (as ../shared/bench/score.py) ----------------------------------------------------


def _norm(text: str) -> str:
    return WS.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def score(corpus: Path, pred: Path) -> dict:
    from rapidfuzz.distance import Levenshtein

    rows = []
    for gt_path in sorted(corpus.glob("*.gt.json")):
        gt = json.loads(gt_path.read_text("utf-8"))
        docid = gt.get("docid") or gt_path.name[: -len(".gt.json")]
        p = pred / f"{docid}.json"
        text = json.loads(p.read_text("utf-8")).get("text", "") if p.exists() else ""
        g, t = _norm("\f".join(gt["pages"])), _norm(text)
        degr = [d for d in gt.get("degradations", []) if d != "stamp_overlap"]
        rows.append(
            {
                "ce": Levenshtein.distance(t, g),
                "cn": len(g),
                "we": Levenshtein.distance(t.split(), g.split()),
                "wn": len(g.split()),
                "groups": gt.get("degradations", []) + ([] if degr else ["(none)"]),
                "pages": gt.get("so_trang") or len(gt["pages"]),
            }
        )

    def agg(rs: list[dict]) -> dict:
        cn, wn = sum(r["cn"] for r in rs), sum(r["wn"] for r in rs)
        return {
            "docs": len(rs),
            "pages": sum(r["pages"] for r in rs),
            "cer": round(sum(r["ce"] for r in rs) / cn, 4) if cn else None,
            "wer": round(sum(r["we"] for r in rs) / wn, 4) if wn else None,
        }

    groups: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        for g in r["groups"]:
            groups[g].append(r)
    return agg(rows) | {"by_degradation": {k: agg(v) for k, v in sorted(groups.items())}}


# --- measuring a child process tree ------------------------------------------------------------


def _tree_rss_mb(pid: int) -> float:
    """Summed RSS (MB) of ``pid`` and all its descendants, from /proc.

    Walks the tree down from ``pid`` (``/proc/PID/task/TID/children``): a few reads per sample,
    where a scan of every process on the machine cost ~2 ms of CPU per sample, 10 times a
    second, on a core the measured run's OCR workers compete for (raw Tesseract's run has no
    sampler). Without that file, every process is read."""
    total, todo, walked = 0, [pid], True
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                total += int(f.read().rsplit(")", 1)[1].split()[21])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except FileNotFoundError as exc:
            if "children" in str(exc.filename):
                walked = False
                break
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    if walked:
        return total * os.sysconf("SC_PAGE_SIZE") / 2**20
    children: dict[int, list[int]] = collections.defaultdict(list)
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(entry))
            rss[int(entry)] = int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_measured(cmd: list[str], env: dict[str, str]) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds of it and every descendant, peak summed RSS."""
    busy0, self0 = _machine_busy_s(), _self_cpu()
    cpu0, t0 = _cpu_children(), time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_mb(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    stop.set()
    sampler.join()
    wall, cpu = time.monotonic() - t0, _cpu_children() - cpu0
    others = _others(busy0, _machine_busy_s(), cpu, _self_cpu() - self0)
    if proc.returncode not in (0, 1):
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(peak, 1),
        "returncode": proc.returncode,
    } | others


# --- the two contestants ---------------------------------------------------------------------


def doc_inputs(corpus: Path) -> dict[str, Path]:
    docs = {}
    for gt in sorted(corpus.glob("*.gt.json")):
        stem = gt.name[: -len(".gt.json")]
        if (corpus / stem).is_dir():
            docs[stem] = corpus / stem
        else:
            found = [p for p in corpus.glob(stem + ".*") if not p.name.endswith(".json")]
            if found:
                docs[stem] = found[0]
    return docs


def run_sohoa(docs: dict[str, Path], out: Path, workers: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SOHOA_HOME=home)
        cmd = [SOHOA, "extract", *map(str, docs.values()), "--out", str(out), "--workers", str(workers)]
        stats = run_measured(cmd, env)
    for docid, path in docs.items():  # a folder's output is named after the folder
        produced = out / f"{path.name if path.is_dir() else path.stem}.json"
        if produced.exists() and produced.name != f"{docid}.json":
            produced.rename(out / f"{docid}.json")
    return stats


def run_raw_tesseract(docs: dict[str, Path], out: Path, workers: int) -> dict:
    """``tesseract IMG - -l vie --psm 3`` per page, ``workers`` at a time."""
    from PIL import Image

    from ocr.pages import load_document

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        jobs: list[tuple[str, int, Path]] = []
        for docid, path in docs.items():
            for page in load_document(path):
                png = Path(tmp) / f"{docid}_{page.index:03d}.png"
                img = page.image if page.image.ndim == 2 else page.image[:, :, ::-1]
                Image.fromarray(img).save(png, dpi=(page.dpi, page.dpi), compress_level=1)
                jobs.append((docid, page.index, png))
        env = dict(os.environ, OMP_THREAD_LIMIT="1")

        def one(job: tuple[str, int, Path]) -> str:
            res = subprocess.run(
                ["tesseract", str(job[2]), "-", "-l", "vie", "--psm", "3"],
                capture_output=True,
                env=env,
                check=False,
            )
            return res.stdout.decode("utf-8", "replace")

        busy0, self0 = _machine_busy_s(), _self_cpu()
        cpu0, t0 = _cpu_children(), time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            texts = list(pool.map(one, jobs))
        wall, cpu = time.monotonic() - t0, _cpu_children() - cpu0
        stats = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
        stats |= _others(busy0, _machine_busy_s(), cpu, _self_cpu() - self0)
    pages: dict[str, list[str]] = collections.defaultdict(list)
    for (docid, _, _), text in zip(jobs, texts, strict=True):
        pages[docid].append(text)
    for docid, texts_ in pages.items():
        (out / f"{docid}.json").write_text(
            json.dumps({"text": "\f".join(texts_)}, ensure_ascii=False), "utf-8"
        )
    return stats | {"pages": len(jobs)}


# --- corpora ---------------------------------------------------------------------------------


def samples_corpus(target: Path) -> Path:
    """The demo samples (``ocr.samples``) as a flat corpus: ``<name>.<ext>`` + ``<name>.gt.json``."""
    from ocr.samples import write_samples

    corpus = target / "samples-corpus"
    if corpus.is_dir() and any(corpus.glob("*.gt.json")):
        return corpus
    with tempfile.TemporaryDirectory() as tmp:
        scans = write_samples(Path(tmp) / "in", dpi=200, seed=0, gt_dir=Path(tmp) / "gt")
        corpus.mkdir(parents=True, exist_ok=True)
        for scan in scans:
            gt_path = Path(tmp) / "gt" / scan.parent.name / f"{scan.stem}.gt.json"
            gt = json.loads(gt_path.read_text("utf-8"))
            gt |= {"docid": scan.stem, "degradations": ["samples"]}
            (corpus / scan.name).write_bytes(scan.read_bytes())
            (corpus / f"{scan.stem}.gt.json").write_text(json.dumps(gt, ensure_ascii=False), "utf-8")
    return corpus


def twenty_page_document(target: Path) -> Path:
    """A 20-page 300 dpi colour scan (multi-page TIFF, JPEG-compressed as scanners write it)."""
    from ocr.samples import demo_specs, encode_pages, render_pages

    path = target / "twenty-pages-300dpi.tif"
    if path.exists():
        return path
    pages = []
    specs = demo_specs()
    i = 0
    while len(pages) < 20:
        pages += render_pages(specs[i % len(specs)], dpi=300, seed=i)
        i += 1
    path.write_bytes(encode_pages(pages[:20], "tiff", 300))
    return path


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _others(busy0: float | None, busy1: float | None, cpu_s: float, harness_s: float) -> dict:
    """``others_cpu_s``: CPU seconds every other process on the machine used during a timed
    run (a helper's test run, a build), besides the run itself (``cpu_s``) and this script's
    own threads (``harness_cpu_s``: the RSS sampler, the thread pool). A wall-clock ratio taken
    while others used many CPU seconds measures the machine, not the contestants."""
    out = {"harness_cpu_s": round(harness_s, 1)}
    if busy0 is not None and busy1 is not None:
        out["others_cpu_s"] = round(max(0.0, busy1 - busy0 - cpu_s - harness_s), 1)
    return out


def _machine_busy_s() -> float | None:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat), None off Linux."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


# Timed runs of each contestant, in the order sohoa, tesseract, tesseract, sohoa (and so on):
# this machine's speed drifts by up to 9 % from one minute to the next (the same page pipeline,
# 1.42 then 1.30 CPU s/page), and one run of each, one after the other, moved the ratio by
# +-0.07 between back-to-back benches. In ABBA order a steady drift favours neither.
ROUNDS = 2


def _mean_run(runs: list[dict]) -> dict:
    """One contestant's runs as one: wall and CPU seconds (and the other processes' and this
    script's CPU) averaged over the runs; the rest from the first run; each run's own wall and
    CPU seconds under ``runs``."""
    out = dict(runs[0])
    for key in ("wall_s", "cpu_s", "harness_cpu_s", "others_cpu_s"):
        if all(key in r for r in runs):
            out[key] = round(sum(r[key] for r in runs) / len(runs), 1)
    out["runs"] = [{"wall_s": r["wall_s"], "cpu_s": r["cpu_s"]} for r in runs]
    return out


def compare(name: str, corpus: Path, out: Path, workers: int, rounds: int = ROUNDS) -> dict:
    docs = doc_inputs(corpus)
    ours_runs: list[dict] = []
    raw_runs: list[dict] = []
    for i in range(max(1, rounds)):
        for who in ("sohoa", "tesseract") if i % 2 == 0 else ("tesseract", "sohoa"):
            if who == "sohoa":
                ours_runs.append(run_sohoa(docs, out / f"{name}-sohoa", workers))
            else:
                raw_runs.append(run_raw_tesseract(docs, out / f"{name}-tesseract", workers))
    ours, raw = _mean_run(ours_runs), _mean_run(raw_runs)
    pages = raw["pages"]
    result = {
        "pages": pages,
        "sohoa": score(corpus, out / f"{name}-sohoa") | ours,
        "tesseract_psm3": score(corpus, out / f"{name}-tesseract") | raw,
    }
    for key in ("sohoa", "tesseract_psm3"):
        r = result[key]
        r["pages_per_min"] = round(pages / r["wall_s"] * 60, 1) if r["wall_s"] else None
        r["cpu_s_per_page"] = round(r["cpu_s"] / pages, 2) if pages else None
        r["cores_busy"] = round(r["cpu_s"] / (r["wall_s"] * workers), 3) if r["wall_s"] else None
    s, t = result["sohoa"], result["tesseract_psm3"]
    result["speed_ratio_wall"] = round(s["pages_per_min"] / t["pages_per_min"], 3)
    result["speed_ratio_cpu"] = round(t["cpu_s_per_page"] / s["cpu_s_per_page"], 3)
    return result


def print_comparison(name: str, r: dict) -> None:
    s, t = r["sohoa"], r["tesseract_psm3"]

    def pct(x: float | None) -> str:
        return "   -  " if x is None else f"{100 * x:6.2f}"

    print(f"\n== {name}: {r['pages']} pages   sohoa vs raw tesseract --psm 3")
    print(f"{'':20} {'CER%':>7} {'WER%':>7} | {'CER%':>7} {'WER%':>7}")
    print(f"{'overall':20} {pct(s['cer'])} {pct(s['wer'])} | {pct(t['cer'])} {pct(t['wer'])}")
    for k, v in s["by_degradation"].items():
        tv = t["by_degradation"].get(k, {})
        print(f"{k:20} {pct(v['cer'])} {pct(v['wer'])} | {pct(tv.get('cer'))} {pct(tv.get('wer'))}")
    print(
        f"speed: sohoa {s['pages_per_min']} pages/min, {s['cpu_s_per_page']} CPU s/page; "
        f"tesseract {t['pages_per_min']} pages/min, {t['cpu_s_per_page']} CPU s/page; "
        f"ratio {r['speed_ratio_wall']} (wall), {r['speed_ratio_cpu']} (CPU)"
    )
    rounds = " ".join(
        f"{a['wall_s'] / b['wall_s']:.3f}" for a, b in zip(t.get("runs", []), s.get("runs", []), strict=False)
    )
    print(f"wall ratio of each round (ABBA order, means above): {rounds}")
    print(
        f"cores busy: sohoa {s.get('cores_busy')}, tesseract {t.get('cores_busy')}; CPU s used by "
        f"other processes meanwhile: {s.get('others_cpu_s')} and {t.get('others_cpu_s')}; by this "
        f"script's threads: {s.get('harness_cpu_s')} and {t.get('harness_cpu_s')}"
    )


def native_parts() -> str:
    """The parts of ocr/native/leptonica.c sohoa's Tesseract uses (SOHOA_NATIVE_LEPTONICA)."""
    from ocr import tesseract

    loaded = tesseract._load_native()
    parts = [n for n, bit in tesseract.NATIVE_PARTS.items() if loaded and loaded[1] & bit]
    return ", ".join(parts) or "none (Leptonica's own)"


def run_all(
    corpora: list[Path],
    out: Path,
    *,
    workers: int = 0,
    samples: bool = True,
    memory: bool = True,
    rounds: int = ROUNDS,
) -> dict:
    """Every comparison and the memory run; prints tables, returns the numbers."""
    workers = workers or os.cpu_count() or 1
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"workers": workers, "cores": os.cpu_count(), "native_leptonica": native_parts()}
    print(f"ocr/native/leptonica.c parts in sohoa's Tesseract: {summary['native_leptonica']}")
    named = [(c.name, c) for c in corpora]
    if samples:
        named.append(("samples", samples_corpus(out)))
    for name, corpus in named:
        summary[name] = compare(name, corpus, out, workers, rounds)
        print_comparison(name, summary[name])
    if memory:
        doc = twenty_page_document(out)
        with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as pred:
            env = dict(os.environ, SOHOA_HOME=home)
            mem = run_measured([SOHOA, "extract", str(doc), "--out", pred, "--workers", str(workers)], env)
        summary["twenty_pages_300dpi"] = mem | {"cpu_s_per_page": round(mem["cpu_s"] / 20, 2)}
        print(
            f"\n20-page 300 dpi document: peak {mem['peak_rss_mb']:.0f} MB (all processes), "
            f"{mem['wall_s']} s wall, {mem['cpu_s'] / 20:.2f} CPU s/page"
        )
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, action="append", default=[], help="corpus dir (repeatable)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--no-samples", action="store_true", help="skip the project's own samples")
    ap.add_argument("--no-memory", action="store_true", help="skip the 20-page peak-memory run")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="timed runs of each contestant (ABBA order)")
    args = ap.parse_args(argv)
    summary = run_all(
        args.corpus,
        args.out,
        workers=args.workers,
        samples=not args.no_samples,
        memory=not args.no_memory,
        rounds=args.rounds,
    )
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
