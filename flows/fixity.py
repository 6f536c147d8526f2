"""The fixity flow: re-hash archived objects against the ledger, on a schedule or by hand.

``sohoa fixity`` runs it once (as a Prefect flow run when ``PREFECT_API_URL`` names a server, else
directly, without starting Prefect); ``sohoa fixity --serve --cron "0 2 * * *"`` keeps a process that
runs it on that schedule (Vietnam time) through Prefect (:func:`serve`), so every run, its
report and any failure show in the Prefect UI. In docker-compose the ``fixity`` service does
exactly that. A run with problems records a ``fixity`` event on each affected document, leaves
a Markdown report as a Prefect artifact, and ends *Failed* so it cannot go unnoticed.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.digitize import retrying
from flows.runtime import get_runtime
from storage.fixity import FixityReport, check_fixity

AGENT = "sohoa fixity"
SCHEDULE_TZ = "Asia/Ho_Chi_Minh"


class FixityFailed(Exception):
    """Raised at the end of a run that found missing or changed objects (the run ends Failed)."""


def run_check(sample: int | None = None, unit: str | None = None, seed: int | None = None) -> FixityReport:
    """Check, and record a ``fixity`` event on each document with a problem. No Prefect needed:
    ``sohoa fixity`` calls this directly when no Prefect server is configured."""
    rt = get_runtime()
    report = check_fixity(rt.store, rt.ledger.archived_documents(unit_code=unit), sample=sample, seed=seed)
    for p in report.problems:
        rt.ledger.record_event(p.sha256, "fixity", AGENT, f"{p.problem}: {p.key}: {p.detail}")
    return report


@task(name="fixity-check", cache_policy=NO_CACHE)
def check_task(sample: int | None, unit: str | None, seed: int | None) -> FixityReport:
    # Only transient errors (store or ledger unreachable) are tried again, as in the digitize flow.
    return retrying("fixity-check", run_check, sample, unit, seed)


def report_markdown(report: FixityReport) -> str:
    lines = [
        f"# Fixity {'OK' if report.ok else 'FAILED'}",
        "",
        f"{report.documents_checked} of {report.documents_in_ledger} documents, "
        f"{report.objects_checked} objects, {report.bytes_hashed / 1e6:.1f} MB hashed, "
        f"{(report.finished - report.started).total_seconds():.1f} s.",
    ]
    if report.problems:
        lines += ["", "| document | key | problem | detail |", "|---|---|---|---|"]
        lines += [f"| {p.sha256[:12]}… | {p.key} | {p.problem} | {p.detail} |" for p in report.problems]
    return "\n".join(lines) + "\n"


@flow(name="fixity", log_prints=False, validate_parameters=False)
def fixity(
    sample: int | None = None, unit: str | None = None, seed: int | None = None, fail: bool = True
) -> dict[str, Any]:
    """Check all archived documents (or a random ``sample`` of them, or one ``unit``'s).

    ``fail``: end the run Failed when anything is missing or changed (the scheduled default);
    the CLI passes ``False`` and sets its exit code from the returned report instead.
    """
    from prefect.artifacts import create_markdown_artifact

    logger = get_run_logger()
    report = check_task(sample, unit, seed)
    for p in report.problems:
        logger.error("%s %s: %s", p.problem, p.key, p.detail)
    logger.info(
        "fixity: %d/%d documents, %d objects, %d problem(s)",
        report.documents_checked,
        report.documents_in_ledger,
        report.objects_checked,
        len(report.problems),
    )
    create_markdown_artifact(report_markdown(report), key="fixity-report", description="Archive fixity")
    if fail and not report.ok:
        raise FixityFailed(f"{len(report.problems)} archived object(s) missing or changed")
    return report.to_json()


def deployment(cron: str, *, sample: int | None = None, name: str = "fixity-scheduled") -> Any:
    """The scheduled fixity deployment (cron in Vietnam time); raises ValueError on a bad cron."""
    from prefect.schedules import Cron

    return fixity.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=SCHEDULE_TZ)],
        parameters={"sample": sample},
        description="Re-hash archived objects against the ledger; fails when any is missing or changed.",
    )


def serve(cron: str, *, sample: int | None = None, name: str = "fixity-scheduled") -> None:
    """Register the deployment with the Prefect server and run it on schedule until stopped."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment(cron, sample=sample, name=name))
