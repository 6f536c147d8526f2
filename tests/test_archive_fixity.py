"""Fixity: objects altered or removed behind the archive's back are reported (both stores)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from archivefixture import archive_documents
from s3fixture import s3_endpoint, s3_store  # noqa: F401  (fixtures)

from flows.fixity import report_markdown
from storage.fixity import CHANGED, MISSING, check_fixity, choose_sample
from storage.ledger import Ledger
from storage.objectstore import LocalFolderStore, ObjectStore, S3Store, _checksum_headers


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    led.create_all()
    return led


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalFolderStore(tmp_path / "archive")
    return request.getfixturevalue("s3_store")


def _tamper(store: ObjectStore, key: str, data: bytes) -> None:
    """Rewrite an object the way someone with raw access would, bypassing the archive's API."""
    if isinstance(store, LocalFolderStore):
        path = store.root / key
        os.chmod(path, 0o644)
        path.write_bytes(data)
    else:
        assert isinstance(store, S3Store)
        store._client.put_object(
            store.bucket, key, io.BytesIO(data), len(data), metadata=_checksum_headers(data)
        )


def _remove(store: ObjectStore, key: str) -> None:
    if isinstance(store, LocalFolderStore):
        (store.root / key).unlink()
    else:
        assert isinstance(store, S3Store)
        store._client.remove_object(store.bucket, key)  # a delete marker; the locked version stays


def test_clean_archive_passes(store: ObjectStore, ledger: Ledger) -> None:
    docs = archive_documents(store, ledger, count=3)
    report = check_fixity(store, ledger.archived_documents())
    assert report.ok, report.problems
    assert report.documents_checked == report.documents_in_ledger == 3
    assert report.objects_checked == 3 * 4
    assert report.bytes_hashed >= sum(len(d.sha256) for d in docs)


def test_changed_signed_copy_is_reported(store: ObjectStore, ledger: Ledger) -> None:
    docs = archive_documents(store, ledger, count=2)
    victim = docs[1]
    _tamper(store, victim.signed_key, b"%PDF-1.4 forged signature\n")
    report = check_fixity(store, ledger.archived_documents())
    assert not report.ok
    assert [(p.sha256, p.key, p.problem) for p in report.problems] == [
        (victim.sha256, victim.signed_key, CHANGED)
    ]
    if victim.signed_version_id:  # S3: the locked version underneath is intact and the report says so
        assert "intact" in report.problems[0].detail
    assert "FAILED" in report_markdown(report)


def test_missing_original_is_reported(store: ObjectStore, ledger: Ledger) -> None:
    docs = archive_documents(store, ledger, count=2)
    _remove(store, docs[0].original_key)
    report = check_fixity(store, ledger.archived_documents())
    assert [(p.key, p.problem) for p in report.problems] == [(docs[0].original_key, MISSING)]


def test_metadata_naming_another_document_is_reported(store: ObjectStore, ledger: Ledger) -> None:
    docs = archive_documents(store, ledger, count=1)
    _tamper(store, docs[0].metadata_key, json.dumps({"sha256": "0" * 64}).encode())
    report = check_fixity(store, ledger.archived_documents())
    assert [(p.key, p.problem) for p in report.problems] == [(docs[0].metadata_key, CHANGED)]


def test_missing_ocr_text_is_reported(store: ObjectStore, ledger: Ledger) -> None:
    docs = archive_documents(store, ledger, count=1)
    key = docs[0].original_key.rsplit("/", 1)[0] + "/ocr.txt"
    _remove(store, key)
    report = check_fixity(store, ledger.archived_documents())
    assert [(p.key, p.problem) for p in report.problems] == [(key, MISSING)]


@pytest.mark.s3
def test_s3_locked_version_destroyed_with_governance_bypass(s3_store: S3Store, ledger: Ledger) -> None:  # noqa: F811
    doc = archive_documents(s3_store, ledger, count=1)[0]
    s3_store._client._execute(
        "DELETE",
        s3_store.bucket,
        doc.original_key,
        query_params={"versionId": doc.original_version_id},
        headers={"x-amz-bypass-governance-retention": "true"},
    )
    report = check_fixity(s3_store, ledger.archived_documents())
    assert [(p.key, p.problem) for p in report.problems] == [(doc.original_key, MISSING)]
    assert doc.original_version_id in report.problems[0].detail


def test_sample_checks_only_that_many(tmp_path: Path, ledger: Ledger) -> None:
    store = LocalFolderStore(tmp_path / "archive")
    docs = archive_documents(store, ledger, count=5)
    report = check_fixity(store, ledger.archived_documents(), sample=2, seed=1)
    assert report.documents_checked == 2
    assert report.documents_in_ledger == 5
    assert report.objects_checked == 8
    # different seeds cover different documents; the whole archive is covered over runs
    seen = {d.sha256 for seed in range(20) for d in choose_sample(docs, 2, seed)}
    assert seen == {d.sha256 for d in docs}
    with pytest.raises(ValueError):
        choose_sample(docs, -1)


def test_unit_filter(tmp_path: Path, ledger: Ledger) -> None:
    store = LocalFolderStore(tmp_path / "archive")
    archive_documents(store, ledger, unit="663", count=2)
    archive_documents(store, ledger, unit="664", count=1, start=10)
    assert len(ledger.archived_documents(unit_code="664")) == 1
    assert len(ledger.archived_documents(unit_code="663", key_year=2024)) == 2
    assert ledger.archived_documents(unit_code="663", key_year=2023) == []
    assert ledger.archived_documents(unit_code="66_") == []  # no LIKE wildcards from unit codes


def test_cli_fixity_exits_1_on_damage(sohoa_home: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.runtime import get_runtime

    rt = get_runtime()
    docs = archive_documents(rt.store, rt.ledger, count=2)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, dict]:
        result = runner.invoke(app, ["fixity", "--json", *args])
        line = [x for x in result.stdout.splitlines() if x.startswith("{")][-1]
        return result.exit_code, json.loads(line)

    code, report = run()
    assert (code, report["ok"], report["documents_checked"]) == (0, True, 2)

    _tamper(rt.store, docs[0].original_key, b"rewritten behind the archive's back")
    code, report = run()
    assert code == 1
    assert [(p["key"], p["problem"]) for p in report["problems"]] == [(docs[0].original_key, CHANGED)]
    assert rt.ledger.events(docs[0].sha256)[-1].kind == "fixity"
    assert [e.kind for e in rt.ledger.events(docs[1].sha256)].count("fixity") == 0
    code, report = run("--unit", "664")  # another unit's documents: nothing to check, nothing wrong
    assert (code, report["documents_checked"]) == (0, 0)
    result = runner.invoke(app, ["fixity"])
    assert result.exit_code == 1
    assert "changed" in result.stdout and docs[0].original_key in result.stdout


@pytest.mark.slow
def test_fixity_flow_fails_the_run_on_damage(sohoa_home: Path, prefect_server: None) -> None:
    from flows.fixity import FixityFailed, fixity
    from flows.runtime import get_runtime

    rt = get_runtime()
    docs = archive_documents(rt.store, rt.ledger, count=2)
    report = fixity(fail=False)
    assert report["ok"] and report["objects_checked"] == 8
    _tamper(rt.store, docs[1].signed_key, b"forged")
    with pytest.raises(FixityFailed):  # the scheduled run ends Failed, so the UI shows it
        fixity()
    assert rt.ledger.events(docs[1].sha256)[-1].kind == "fixity"


def test_scheduled_deployment(sohoa_home: Path) -> None:
    from flows.fixity import SCHEDULE_TZ, deployment

    dep = deployment("0 2 * * *", sample=50)
    assert dep.entrypoint == "flows/fixity.py:fixity"
    assert dep.parameters == {"sample": 50}
    (sched,) = dep.schedules
    assert (sched.schedule.cron, sched.schedule.timezone) == ("0 2 * * *", SCHEDULE_TZ)
    with pytest.raises(ValueError):
        deployment("every night")
