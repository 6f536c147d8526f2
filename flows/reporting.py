"""The archivists' report in its output forms: CSV, XLSX, JSON, a PNG chart, a markdown summary,
and Prefect artifacts (a table and a markdown summary) from a small ``report`` flow, so the
figures sit in the Prefect UI next to the flow runs.

JSON rows carry ``row`` (``level`` or ``unit``), ``level``, ``unit_code``, ``unit_name``, ``year``,
``quarter``, ``denominator``, ``digitized``, ``signed``, ``archived``, ``pages``, ``percent``,
``target``, ``gap``, ``on_track``; the JSON document adds the period's throughput and timing.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import warnings
from pathlib import Path
from typing import Any

from storage.ledger import REPORT_COLUMNS, ProgressReport


def summary(rep: ProgressReport) -> dict[str, Any]:
    return {
        "year": rep.year,
        "quarter": rep.quarter,
        "plan": rep.plan,
        "period_start": rep.period_start.isoformat() if rep.period_start else None,
        "period_end": rep.period_end.isoformat() if rep.period_end else None,
        "total_documents": rep.total_documents,
        "unclassified_documents": rep.unclassified_documents,
        "documents_per_day": _round(rep.documents_per_day),
        "pages_per_day": _round(rep.pages_per_day),
        "median_intake_to_archive_s": _round(rep.median_intake_to_archive_s),
        "units_without_data": list(rep.units_without_data),
    }


def _round(x: float | None, n: int = 2) -> float | None:
    return None if x is None else round(x, n)


def to_json(rep: ProgressReport) -> str:
    return json.dumps(summary(rep) | {"rows": rep.rows()}, ensure_ascii=False, indent=1)


def to_csv(rep: ProgressReport) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(REPORT_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rep.rows())
    return buf.getvalue()


def to_xlsx(rep: ProgressReport, path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f"{rep.year}" + (f"-Q{rep.quarter}" if rep.quarter else "")
    sheet.append(list(REPORT_COLUMNS))
    for row in rep.rows():
        sheet.append([row[c] for c in REPORT_COLUMNS])
    info = book.create_sheet("summary")
    for key, value in summary(rep).items():
        info.append([key, ", ".join(value) if isinstance(value, list) else value])
    book.save(path)


def to_markdown(rep: ProgressReport) -> str:
    period = f"{rep.year}" + (f" Q{rep.quarter}" if rep.quarter else "")
    lines = [
        f"# Tiến độ số hóa / Digitization progress {period} — {rep.plan}",
        "",
        "| Cấp / Level | Digitized | Register | Share | Target | Gap | On track |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for lv in rep.levels:
        lines.append(
            f"| {lv.label} | {lv.digitized} | {_dash(lv.denominator)} | {_pct(lv.percentage)} | "
            f"{_pct(lv.target, 0)} | {_dash(lv.gap)} | {_yes(lv.on_track)} |"
        )
    lines += [
        "",
        f"- Documents: {rep.total_documents} ({rep.unclassified_documents} of unknown level)",
        f"- Throughput: {_dash(_round(rep.documents_per_day))} documents/day, "
        f"{_dash(_round(rep.pages_per_day))} pages/day over {rep.days:g} day(s)",
        f"- Median intake → archive: {_duration(rep.median_intake_to_archive_s)}",
        f"- Units with no documents: {len(rep.units_without_data)}",
    ]
    return "\n".join(lines) + "\n"


def _dash(x: Any) -> str:
    return "—" if x is None else str(x)


def _pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}%"


def _yes(x: bool | None) -> str:
    return {True: "yes", False: "no", None: "—"}[x]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def render_chart(rep: ProgressReport, path: Path, *, level: str | None = None) -> int:
    """A PNG bar chart: each unit's share of its register (bars) against its level's target
    (line). Units without a denominator are left out. Returns how many bars were drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    units = [u for u in rep.units if u.percentage is not None and (level is None or u.level == level)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(units) + 2), 4.5), dpi=100)
    try:
        xs = range(len(units))
        colours = ["#2e7d32" if u.on_track else "#c62828" for u in units]
        ax.bar(list(xs), [min(u.percentage or 0, 150) for u in units], color=colours)
        for i, u in enumerate(units):
            if u.target is not None:
                ax.hlines(u.target, i - 0.45, i + 0.45, colors="black", linewidth=2)
        ax.set_xticks(list(xs), [u.code for u in units], rotation=90, fontsize=7)
        ax.set_ylabel("% of still-valid results digitized")
        period = f"{rep.year}" + (f" Q{rep.quarter}" if rep.quarter else "")
        ax.set_title(f"Digitization vs target (black line), {period}")
        ax.set_ylim(0, max([100.0] + [min(u.percentage or 0, 150) for u in units]) * 1.05)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return len(units)


def report_dict(rep: ProgressReport) -> dict[str, Any]:
    """The full report as plain data (dataclasses.asdict plus the flat rows)."""
    return dataclasses.asdict(rep) | {"rows": rep.rows()}


# --- Prefect ------------------------------------------------------------------------------------


def publish_artifacts(rep: ProgressReport) -> None:
    """A table artifact and a markdown summary (call inside a flow or task run)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    key = f"digitization-report-{rep.year}" + (f"-q{rep.quarter}" if rep.quarter else "")
    create_table_artifact(table=rep.rows(), key=key, description=f"Digitization progress {rep.year}")
    create_markdown_artifact(markdown=to_markdown(rep), key=f"{key}-summary", description=rep.plan)


def report_flow_fn(database_url: str, year: int, quarter: int | None, plan: str | None) -> dict[str, Any]:
    from schemas.targets import DAK_NONG_392
    from storage.ledger import Ledger

    ledger = Ledger(database_url)
    try:
        targets = (ledger.plan_targets(plan) if plan else None) or DAK_NONG_392
        rep = ledger.report(year, targets, quarter=quarter)
    finally:
        ledger.dispose()
    publish_artifacts(rep)
    return summary(rep)


def report_flow():  # type: ignore[no-untyped-def]
    """The Prefect flow object (built lazily: importing this module must not need Prefect)."""
    from prefect import flow

    return flow(name="report", log_prints=True)(report_flow_fn)


class BatchProgress:
    """A Prefect progress artifact (0–100 %) for a batch of files, so archivists see a long run
    advance in the UI. Best effort: if the Prefect API cannot take it, the batch goes on.

    Each file is its own flow run, so the batch artifact lives outside any run; Prefect 3.9 warns
    that this is deprecated (FutureWarning, silenced here). When batches become one parent flow,
    create it inside that flow instead.
    """

    KEY = "digitization-batch-progress"

    def __init__(self, total: int):
        self.total, self.done, self._id = total, 0, None
        if total < 2:
            return
        try:
            from prefect.artifacts import create_progress_artifact

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                self._id = create_progress_artifact(0.0, key=self.KEY, description=f"0 / {total} file(s)")
        except Exception:  # noqa: BLE001 - progress display must never stop digitization
            self._id = None

    def advance(self) -> None:
        self.done += 1
        if self._id is None:
            return
        try:
            from prefect.artifacts import update_progress_artifact

            update_progress_artifact(
                self._id, 100.0 * self.done / self.total, description=f"{self.done} / {self.total} file(s)"
            )
        except Exception:  # noqa: BLE001
            self._id = None
