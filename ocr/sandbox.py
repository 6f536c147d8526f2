"""Run the decoding and OCR of one untrusted file in a child process that can be killed.

Decoders (Pillow, pypdf, poppler, OpenCV, Tesseract) are where a crafted file attacks: an image
that inflates to gigabytes, a page tree that takes hours, a decoder bug that loops. So the work on
one document runs in a fresh Python process, in its own process group, with an address-space limit
(``RLIMIT_AS``, inherited by its OCR workers and Tesseract) and a wall-time limit after which the
whole group is killed. The parent (the Prefect task) gets the result back, or a
:class:`schemas.errors.SohoaError`: the document's own error as raised in the child,
``ProcessingTimeout``, ``MemoryLimitExceeded``, or ``InternalError`` when the child died some
other way. The watcher itself never holds a hostile file's pixels.

The child's environment is stripped of ``SOHOA_*`` and cloud credentials: the code that parses
hostile bytes has no key password or S3 secret to leak.

``python -m ocr.sandbox JOBDIR`` is the child's entry point; nothing else should call it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.errors import InternalError, MemoryLimitExceeded, ProcessingTimeout, SohoaError

_SCRUB_PREFIXES = ("SOHOA_", "AWS_", "MINIO_", "PREFECT_API_KEY", "S3_")
_MEMORY_WORDS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "Insufficient memory", "Failed to allocate", "out of memory")  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """``wall_s`` / ``memory_mb`` of 0 mean "no limit" (the child still runs apart)."""

    wall_s: float = 900.0
    memory_mb: int = 4096


def run_limited(target: str, *args: Any, limits: Limits, **kwargs: Any) -> Any:
    """``target(*args, **kwargs)`` in a limited child process; ``target`` is ``"module:function"``.

    Arguments and result cross the process boundary by pickle, so both must be picklable.
    """
    job = {
        "target": target,
        "args": args,
        "kwargs": kwargs,
        "memory_mb": limits.memory_mb,
        "wall_s": limits.wall_s,
        "sys_path": sys.path,
    }
    with tempfile.TemporaryDirectory(prefix="sohoa-sandbox-") as tmp:
        jobdir = Path(tmp)
        (jobdir / "job.pkl").write_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        with open(jobdir / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "ocr.sandbox", str(jobdir)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=_child_env(),
                start_new_session=True,  # its own process group: killing it kills its workers too
                close_fds=True,
            )
            started = time.monotonic()
            try:
                rc = proc.wait(timeout=limits.wall_s or None)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise ProcessingTimeout(
                    f"stopped after {time.monotonic() - started:.0f} s (limit {limits.wall_s:g} s)"
                ) from None
            finally:
                _kill_group(proc)  # workers left behind by a child that returned
        result_path = jobdir / "result.pkl"
        if rc == 0 and result_path.exists():
            outcome = pickle.loads(result_path.read_bytes())  # written by our own child code
            if "error" in outcome:
                raise _rebuild_error(outcome["error"])
            return outcome["ok"]
        tail = (jobdir / "stderr.txt").read_bytes()[-2000:].decode("utf-8", "replace")
    how = f"signal {-rc}" if rc < 0 else f"exit code {rc}"
    if limits.memory_mb and (any(w in tail for w in _MEMORY_WORDS) or rc == -signal.SIGKILL):
        raise MemoryLimitExceeded(f"extraction process died ({how}) at the {limits.memory_mb} MB limit")
    last = tail.strip().splitlines()[-1:] or [""]
    raise InternalError(f"extraction process died ({how}): {last[0][:300]}")


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB_PREFIXES)}
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("OMP_THREAD_LIMIT", "1")
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _error_record(exc: SohoaError) -> dict[str, str]:
    cls = type(exc)
    return {
        "module": cls.__module__,
        "name": cls.__qualname__,
        "detail": exc.detail,
        "message_vi": exc.message_vi,
        "message_en": exc.message_en,
    }


def _rebuild_error(rec: dict[str, str]) -> SohoaError:
    try:
        cls = getattr(importlib.import_module(rec["module"]), rec["name"])
        if not (isinstance(cls, type) and issubclass(cls, SohoaError)):
            raise TypeError(rec["name"])
    except Exception:  # noqa: BLE001 - an error class we cannot name is still an error
        return InternalError(f"{rec.get('name')}: {rec.get('detail')}")
    err = cls(rec["detail"])
    # Keep messages customised at the raise site (class defaults stay class attributes).
    if rec["message_vi"] != cls.message_vi:
        err.message_vi = rec["message_vi"]
    if rec["message_en"] != cls.message_en:
        err.message_en = rec["message_en"]
    return err


def _die_with_parent_and_deadline(wall_s: float) -> None:
    """Backstops for a parent that was killed (then nobody would enforce the wall time): ask
    Linux to kill us when the parent dies, and kill our own process group past the deadline."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if wall_s:
        timer = threading.Timer(wall_s + 5, lambda: os.killpg(0, signal.SIGKILL))
        timer.daemon = True
        timer.start()


def _child_main(jobdir: Path) -> int:
    job = pickle.loads((jobdir / "job.pkl").read_bytes())
    _die_with_parent_and_deadline(float(job.get("wall_s") or 0))
    if job["memory_mb"]:
        import resource

        cap = int(job["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    for p in reversed(job["sys_path"]):
        if p not in sys.path:
            sys.path.insert(0, p)
    module, _, func = job["target"].partition(":")
    try:
        fn = getattr(importlib.import_module(module), func)
        outcome: dict[str, Any] = {"ok": fn(*job["args"], **job["kwargs"])}
    except SohoaError as exc:
        outcome = {"error": _error_record(exc)}
    except MemoryError:
        outcome = {
            "error": _error_record(MemoryLimitExceeded(f"out of memory at the {job['memory_mb']} MB limit"))
        }
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which quarantines
        text = f"{type(exc).__name__}: {exc}"
        if any(w in text for w in _MEMORY_WORDS):
            err: SohoaError = MemoryLimitExceeded(text[:300])
        else:
            err = InternalError(text[:500])
        outcome = {"error": _error_record(err)}
    tmp = jobdir / "result.pkl.part"
    tmp.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.rename(jobdir / "result.pkl")
    return 0


# --- the one job the digitize flow runs here --------------------------------------------


def extract_document(
    data: bytes,
    *,
    max_pages: int,
    max_pixels: int,
    lang: str,
    timeout_s: int,
    workers: int,
    allow_signed: bool,
) -> Any:
    """Safety check (PDFs), pages, OCR, metadata: ``ocr.extract.DocumentOcr`` for one file."""
    from ocr.extract import ocr_pages
    from ocr.pages import iter_pages, sniff_kind
    from ocr.pdfsafety import check_pdf

    is_pdf = sniff_kind(data) == "pdf"
    if is_pdf:
        check_pdf(data, max_pages=max_pages, max_pixels=max_pixels, allow_signed=allow_signed)
    pages = iter_pages(data, max_pages=max_pages, max_pixels=max_pixels)  # decoded as OCR needs them
    return ocr_pages(
        pages, lang=lang, timeout_s=timeout_s, workers=workers, pdf_bytes=data if is_pdf else None
    )


if __name__ == "__main__":
    sys.exit(_child_main(Path(sys.argv[1])))
