#!/usr/bin/env python3
"""`make bench-intake`: documents per minute end to end with 1 and 2 workers, and what the
orchestration, signing and archiving add to the OCR time of a document.

Generates N sample scans (one A4 page each, NĐ 30/2020 layout, degraded, PNG at --dpi) and starts
one local Prefect server (subprocess, own PREFECT_HOME, SQLite). A "worker" here is a ``sohoa run``
process over an inbox holding the batch (two of them share one inbox by atomic claim), with an
SQLite ledger, a local archive, ``SOHOA_OCR_WORKERS=1`` and Prefect logging at WARNING (INFO
lines would also be shipped to the server: a little more server work than measured here). The
global ``ocr`` concurrency limit exists on the server, as ``sohoa watch``/``worker`` create it,
so every OCR holds a slot of it (``--no-ocr-limit``: without the limit). The phases run in this
order::

    OCR alone (a) → 1 worker → OCR alone (b) → 2 workers → OCR alone (c)

"OCR alone" is ``flows.steps.extract`` for each scan in this process, sequentially: the digitize
flow's OCR step exactly (load, preprocess, Tesseract, metadata, in the sandboxed child process).
The machine may be shared with other work, so each worker phase is compared with the mean of the
OCR-alone passes right before and after it, and CPU seconds are reported beside wall time.

What is reported (bench-out/intake.json):

* ``docs_per_min``: N / (end of the last flow run − start of the first), from the Prefect API, so
  the processes' start-up (imports, connecting) is not counted but everything between documents
  is (claiming, creating the flow run, writing its states, the flow's own end).
* ``overhead_end_to_end_pct`` (1 worker, the target's measure): (cycle − OCR alone) / OCR alone,
  where cycle is the time from one flow run's start to the next one's start, averaged over the
  batch — everything the worker spends per document — and "OCR alone" the mean per-document
  time of the two bracketing OCR-alone passes.
* ``overhead_cpu_pct`` (1 worker): (CPU per document − OCR-alone CPU per document) / OCR-alone
  CPU per document, in steady state: the worker process with its children (user+sys, sampled
  every 0.2 s from /proc) plus the Prefect server's CPU, from the end of the first flow run to
  the end of the last, divided by N − 1. Insensitive to other load on the machine (a loaded
  machine only lengthens the run, so the server's idle polling, ~0.015 CPU s/s, counts a
  little more). ``overhead_cpu_with_warm_up_pct`` counts the whole run instead, minus the CPU
  of a ``sohoa run`` over an empty inbox: it adds the once-per-process cost of the first
  document (importing the flow, pyHanko and the stamp font), spread over only N documents.
* ``overhead_cpu_split_pct``: that CPU overhead by cause. ``sign_archive_ledger`` is
  ``flows.steps.sign_archive_record`` (sign, verify, archive with read-back hash, ledger row) run
  without Prefect right after each OCR-alone document (``ocr_alone.*.sign_archive_ledger_cpu_s``);
  ``prefect_server`` is the server's steady-state CPU; ``prefect_client_and_worker`` the rest of
  the worker's (Prefect client, inbox claim and locks). The split inherits the ±5% run-to-run
  spread of OCR CPU itself.
* ``in_run.overhead_pct``: inside the flow runs, (mean flow run time from the Prefect API − OCR
  alone) / OCR alone. It misses what happens outside a run's Running state (creating the run,
  and before the heartbeat fix a ~1 s wait at its end), so it understates; kept for comparison
  with earlier measurements (until the flow's steps stopped being Prefect tasks it was measured
  against the OCR task's own time).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench-out"
SOHOA = str(Path(sys.executable).parent / "sohoa")


def make_scans(folder: Path, n: int, dpi: int) -> list[Path]:
    from ocr.samples import demo_specs, encode_pages, render_pages

    folder.mkdir(parents=True, exist_ok=True)
    specs = demo_specs()
    paths = []
    for i in range(n):
        spec = specs[i % len(specs)]
        page = render_pages(spec, dpi=dpi, seed=100 + i)[0]
        path = folder / spec.unit_code / f"bench_{i:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_pages([page], "png", dpi))
        paths.append(path)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prefect(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(home / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit("the Prefect server did not start")


def env_for(home: Path, api: str) -> dict[str, str]:
    return dict(
        os.environ,
        SOHOA_HOME=str(home),
        SOHOA_OCR_WORKERS="1",
        SOHOA_WATCH_STABLE_S="0",
        PREFECT_API_URL=api,
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_HOME=str(home / "prefect-client"),
    )


def cpu_now() -> float:
    """User+sys CPU seconds of this process and its waited-for children."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def tree_cpu(pid: int) -> float:
    """User+sys CPU seconds of a live process and its live children (the Prefect server)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0.0
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def warm_up_signing(rt: Any) -> None:
    """Load what a worker loads once per process (pyHanko, the stamp font, the key) by signing a
    blank page, so the per-document figures are steady-state ones."""
    from io import BytesIO

    from PIL import Image

    from signing.sign import sign_pdf

    buf = BytesIO()
    Image.new("RGB", (595, 842), "white").save(buf, format="PDF", resolution=72.0)
    s = rt.signer
    sign_pdf(
        buf.getvalue(),
        p12=s.p12,
        password=s.password,
        agency_name=s.agency_name,
        visible_stamp=s.visible_stamp,
    )


def ocr_alone(scans: list[Path], home: Path) -> dict[str, float]:
    """The flow's OCR step for each scan, sequentially: mean wall and CPU seconds per document.

    After each scan's OCR (not timed with it), the rest of the recipe without Prefect —
    ``flows.steps.sign_archive_record``: sign, verify, archive with read-back, ledger row —
    so what signing and archiving cost is measured beside OCR under the same load."""
    os.environ.update(SOHOA_HOME=str(home), SOHOA_OCR_WORKERS="1")
    subprocess.run([SOHOA, "pki", "init"], env=dict(os.environ), check=True, capture_output=True)
    from flows import steps
    from flows.runtime import get_runtime
    from schemas.settings import Settings

    settings = Settings()
    rt = get_runtime(settings)
    warm_up_signing(rt)
    times, ocr_cpu, finish_cpu = [], 0.0, 0.0
    for path in scans:
        c0, t0 = cpu_now(), time.perf_counter()
        intake = steps.read_intake(path, name=path.name, unit=path.parent.name)
        doc = steps.extract(intake, settings)
        times.append(time.perf_counter() - t0)
        c1 = cpu_now()
        steps.sign_archive_record(rt, intake, doc, dt.datetime.now(dt.UTC))
        ocr_cpu += c1 - c0
        finish_cpu += cpu_now() - c1
    return {
        "wall_s": round(statistics.mean(times), 3),
        "cpu_s": round(ocr_cpu / len(scans), 3),
        "sign_archive_ledger_cpu_s": round(finish_cpu / len(scans), 3),
    }


def live_cpu(pid: int) -> float:
    """User+sys CPU seconds of a running process plus its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run_sampled(
    procs: list[subprocess.Popen[bytes]], server_pid: int
) -> tuple[float, list[tuple[dt.datetime, float, float]]]:
    """Wait for ``procs``; their total CPU seconds (children included, from wait4) and samples
    (time, workers' CPU so far, server CPU so far) every 0.2 s, to cut a steady-state window."""
    done: dict[int, float] = {}
    samples = []
    while len(done) < len(procs):
        for p in procs:
            if p.pid in done:
                continue
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                done[p.pid] = usage.ru_utime + usage.ru_stime
        cpu = sum(done.get(p.pid) or live_cpu(p.pid) for p in procs)
        samples.append((dt.datetime.now(dt.UTC), cpu, tree_cpu(server_pid)))
        time.sleep(0.2)
    return sum(done.values()), samples


def at(samples: list[tuple[dt.datetime, float, float]], when: dt.datetime, col: int) -> float:
    """A sampled counter at ``when``, interpolated linearly."""
    before = [x for x in samples if x[0] <= when] or samples[:1]
    after = [x for x in samples if x[0] >= when] or samples[-1:]
    (t0, *v0), (t1, *v1) = before[-1], after[0]
    span = (t1 - t0).total_seconds()
    frac = (when - t0).total_seconds() / span if span > 0 else 0.0
    return v0[col - 1] + (v1[col - 1] - v0[col - 1]) * frac


def _post(url: str, body: dict) -> list[dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def flow_runs(api: str, since: dt.datetime) -> dict[str, Any]:
    """The digitize flow runs since ``since``, from the Prefect API: starts, ends, mean run time,
    and the mean time of any task runs they have, by task name."""
    runs = _post(
        f"{api}/flow_runs/filter",
        {
            "flows": {"name": {"any_": ["digitize"]}},
            "flow_runs": {"start_time": {"after_": since.isoformat()}},
        },
    )
    flow_s, starts, ends = [], [], []
    by_task: dict[str, list[float]] = {}
    for run in runs:
        starts.append(dt.datetime.fromisoformat(run["start_time"]))
        ends.append(dt.datetime.fromisoformat(run["end_time"]))
        flow_s.append(run["total_run_time"])
    tasks = _post(f"{api}/task_runs/filter", {"flow_runs": {"id": {"any_": [r["id"] for r in runs]}}})
    for t in tasks:
        by_task.setdefault(t["name"].rsplit("-", 1)[0], []).append(t["total_run_time"])
    return {
        "runs": len(runs),
        "starts": sorted(starts),
        "ends": sorted(ends),
        "flow_run_mean_s": round(statistics.mean(flow_s), 3) if flow_s else 0.0,
        "task_runs": len(tasks),
        "task_mean_s": {name: round(statistics.mean(v), 2) for name, v in sorted(by_task.items())},
    }


def ensure_ocr_limit(home: Path, api: str) -> None:
    """The global ``ocr`` concurrency limit, created as ``sohoa watch``/``worker`` create it."""
    code = "from schemas.settings import Settings; from flows.deploy import ensure_ocr_limit; ensure_ocr_limit(Settings())"
    subprocess.run([sys.executable, "-c", code], env=env_for(home, api), cwd=ROOT, check=True)


def start_up_cpu(home: Path, api: str) -> float:
    """CPU seconds of one ``sohoa run`` over an empty inbox: imports, settings, clients, exit."""
    env = env_for(home, api)
    subprocess.run([SOHOA, "pki", "init"], env=env, check=True, capture_output=True)
    (home / "inbox").mkdir(parents=True, exist_ok=True)
    cpus = []
    for _ in range(2):
        proc = subprocess.Popen([SOHOA, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return min(cpus)


def run_workers(
    scans: list[Path], home: Path, api: str, workers: int, server_pid: int, idle_cpu: float
) -> dict[str, Any]:
    env = env_for(home, api)
    subprocess.run([SOHOA, "pki", "init"], env=env, check=True, capture_output=True)
    for path in scans:
        dst = home / "inbox" / path.parent.name / path.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst)
    since = dt.datetime.now(dt.UTC)
    server0 = tree_cpu(server_pid)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen([SOHOA, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    worker_cpu, samples = run_sampled(procs, server_pid)
    wall = time.perf_counter() - t0
    server_cpu = tree_cpu(server_pid) - server0

    from sqlmodel import Session, select

    from schemas.ledger import Document
    from storage.ledger import Ledger

    ledger = Ledger(f"sqlite:///{home / 'ledger.db'}")
    with Session(ledger.engine) as s:
        docs = list(s.exec(select(Document)).all())
    ledger.dispose()
    if len(docs) != len(scans):
        raise SystemExit(f"{workers} worker(s): {len(docs)} of {len(scans)} documents archived")
    time.sleep(1)  # the last runs' final states reach the API
    split = flow_runs(api, since)
    starts, ends = split.pop("starts"), split.pop("ends")
    span = (max(ends) - min(starts)).total_seconds()
    n = len(docs)
    cycle = (starts[-1] - starts[0]).total_seconds() / (n - 1) if n > 1 else span
    # Steady state: from the end of the first run to the end of the last, n − 1 documents, after
    # the per-process warm-up (first imports of the flow, pyHanko, the stamp font...).
    steady_worker = (at(samples, ends[-1], 1) - at(samples, ends[0], 1)) / (n - 1)
    steady_server = (at(samples, ends[-1], 2) - at(samples, ends[0], 2)) / (n - 1)
    return {
        "in_run": split,
        "documents": n,
        "docs_per_min": round(n / span * 60, 2),
        "span_s": round(span, 1),
        "cycle_s": round(cycle, 2),
        "wall_s_with_startup": round(wall, 1),
        "cpu_per_doc_s": round((worker_cpu - workers * idle_cpu + server_cpu) / n, 3),
        "worker_cpu_per_doc_s": round((worker_cpu - workers * idle_cpu) / n, 3),
        "server_cpu_per_doc_s": round(server_cpu / n, 3),
        "steady_cpu_per_doc_s": round(steady_worker + steady_server, 3),
        "steady_worker_cpu_per_doc_s": round(steady_worker, 3),
        "steady_server_cpu_per_doc_s": round(steady_server, 3),
    }


def pct(value: float, base: float) -> float:
    return round((value - base) / base * 100, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=8)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--no-ocr-limit", action="store_true", help="no global OCR concurrency limit")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-bench-intake-"))
    prefect, api = start_prefect(tmp)
    try:
        scans = make_scans(tmp / "scans", args.docs, args.dpi)
        if not args.no_ocr_limit:
            ensure_ocr_limit(tmp / "empty", api)
        idle_cpu = start_up_cpu(tmp / "empty", api)
        ocr_a = ocr_alone(scans, tmp / "ocr-a")
        one = run_workers(scans, tmp / "one", api, 1, prefect.pid, idle_cpu)
        ocr_b = ocr_alone(scans, tmp / "ocr-b")
        two = run_workers(scans, tmp / "two", api, 2, prefect.pid, idle_cpu)
        ocr_c = ocr_alone(scans, tmp / "ocr-c")
    finally:
        os.killpg(prefect.pid, 15)
        prefect.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    ocr_one = {k: (ocr_a[k] + ocr_b[k]) / 2 for k in ocr_a}
    ocr_two = {k: (ocr_b[k] + ocr_c[k]) / 2 for k in ocr_b}
    one["in_run"]["overhead_pct"] = pct(one["in_run"]["flow_run_mean_s"], ocr_one["wall_s"])
    summary = {
        "documents": args.docs,
        "dpi": args.dpi,
        "ocr_limit": not args.no_ocr_limit,
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "ocr_alone": {"before_1": ocr_a, "between": ocr_b, "after_2": ocr_c},
        "sohoa_run_start_up_cpu_s": round(idle_cpu, 2),
        "one_worker": one,
        "two_workers": two,
        # The target's measure: what a worker spends per document beyond OCR alone, 1 worker.
        "overhead_end_to_end_pct": pct(one["cycle_s"], ocr_one["wall_s"]),
        "overhead_cpu_pct": pct(one["steady_cpu_per_doc_s"], ocr_one["cpu_s"]),
        "overhead_cpu_with_warm_up_pct": pct(one["cpu_per_doc_s"], ocr_one["cpu_s"]),
        "overhead_in_run_pct": one["in_run"]["overhead_pct"],
        # Where the 1-worker CPU overhead goes, as % of OCR-alone CPU: signing, verifying,
        # archiving with read-back and the ledger row (measured without Prefect beside OCR
        # alone); the rest is Prefect (client and server) and the worker's inbox handling.
        "overhead_cpu_split_pct": {
            "sign_archive_ledger": round(ocr_one["sign_archive_ledger_cpu_s"] / ocr_one["cpu_s"] * 100, 1),
            "prefect_server": round(one["steady_server_cpu_per_doc_s"] / ocr_one["cpu_s"] * 100, 1),
            "prefect_client_and_worker": round(
                (one["steady_worker_cpu_per_doc_s"] - ocr_one["cpu_s"] - ocr_one["sign_archive_ledger_cpu_s"])
                / ocr_one["cpu_s"]
                * 100,
                1,
            ),
        },
        # Two workers on two cores: per-document CPU beside OCR alone, and the speed-up.
        "overhead_cpu_two_workers_pct": pct(two["cpu_per_doc_s"], ocr_two["cpu_s"]),
        "speedup_two_vs_one": round(two["docs_per_min"] / one["docs_per_min"], 2),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "intake.json").write_text(json.dumps(summary, indent=2), "utf-8")
    print(json.dumps(summary, indent=2))
    print(
        f"\n{args.docs} one-page documents at {args.dpi} dpi: OCR alone {ocr_one['wall_s']:.2f} s/doc "
        f"({ocr_one['cpu_s']:.2f} s CPU); 1 worker {one['docs_per_min']} docs/min, {one['cycle_s']} s/doc "
        f"({one['steady_cpu_per_doc_s']} s CPU): orchestration+signing+archiving add "
        f"{summary['overhead_end_to_end_pct']}% end to end, {summary['overhead_cpu_pct']}% in CPU "
        f"({summary['overhead_in_run_pct']}% inside the flow runs); 2 workers {two['docs_per_min']} "
        f"docs/min (x{summary['speedup_two_vs_one']}); load average {summary['load_average_1min']}."
    )


if __name__ == "__main__":
    main()
