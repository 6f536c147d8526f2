"""``sohoa extract``: the contract JSON per document, with why it would go to the review queue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ocr.samples import demo_specs, encode_pages, ground_truth, render_pages


def test_extract_writes_the_contract_and_the_review_reasons(tmp_path: Path) -> None:
    spec = next(s for s in demo_specs() if len(render_pages(s, dpi=150, degrade=False)) > 1)
    pages = render_pages(spec, dpi=200, seed=3)
    gt = ground_truth(spec)
    (tmp_path / "whole.tif").write_bytes(encode_pages(pages, "tiff", 200))
    # The first page alone: the signer block is on the last one, so the name was not found.
    (tmp_path / "first.png").write_bytes(encode_pages(pages[:1], "png", 200))
    out = tmp_path / "out"
    sohoa = str(Path(sys.executable).parent / "sohoa")
    run = subprocess.run(
        [
            sohoa,
            "extract",
            str(tmp_path / "whole.tif"),
            str(tmp_path / "first.png"),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    whole = json.loads((out / "whole.json").read_text("utf-8"))
    first = json.loads((out / "first.json").read_text("utf-8"))
    assert set(whole) == {"text", "metadata", "pages", "review"}
    assert whole["pages"] == len(pages) and first["pages"] == 1
    assert whole["metadata"]["so_ky_hieu"] == gt["so_ky_hieu"]
    assert whole["metadata"]["nguoi_ky"] == gt["nguoi_ky"]
    assert not any(r.startswith("nguoi_ky") for r in whole["review"]), whole["review"]
    assert first["metadata"]["so_ky_hieu"] == gt["so_ky_hieu"]
    assert first["metadata"]["nguoi_ky"] is None
    assert "nguoi_ky: not found" in first["review"]
