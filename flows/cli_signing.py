"""Auditor commands: ``sohoa verify FILE...`` and ``sohoa audit --unit CODE --year YYYY``.

Registered in :mod:`flows.cli`. Exit codes: 0 every file VALID; 1 any file INVALID or
INDETERMINATE (or unreadable); 2 configuration.

Verification is offline unless ``--allow-fetching`` (or SOHOA_ALLOW_FETCHING) is given: it uses
the validation data embedded in the PDF (B-LT/B-LTA) and the CRLs cached in the trust folder.
When the ledger and archive of this installation are reachable, each file is also matched
against them: its SHA-256 must be that of an archived signed copy, and that object must exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import random
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer

_VERDICT_VI = {"VALID": "HỢP LỆ", "INVALID": "KHÔNG HỢP LỆ", "INDETERMINATE": "CHƯA XÁC ĐỊNH"}
_MARK = {True: "✓", False: "✗", None: "?"}


def _cli() -> Any:
    from flows import cli

    return cli


@dataclasses.dataclass(frozen=True)
class ArchiveCheck:
    """How the file matches the archive: ``passed`` None when the ledger was not reachable."""

    passed: bool | None
    en: str
    vi: str
    document_sha256: str | None = None
    signed_key: str | None = None


def _trust(settings: Any, trust_dir: Path | None) -> tuple[list[bytes], list[bytes]]:
    """Trust roots and cached CRLs: from ``--trust DIR`` if given, else from the settings."""
    from flows.runtime import CERT_SUFFIXES, load_crls, load_trust_roots, trust_dir_files

    cli = _cli()
    if trust_dir is not None:
        if not trust_dir.is_dir():
            cli.err.print(f"[red]--trust {trust_dir}: not a folder / không phải thư mục[/red]")
            raise typer.Exit(2)
        roots = trust_dir_files(trust_dir, CERT_SUFFIXES)
        if not roots:
            cli.err.print(
                f"[red]--trust {trust_dir}: no certificates / không có chứng thư (.pem/.crt/.cer/.der)[/red]"
            )
            raise typer.Exit(2)
        return roots, trust_dir_files(trust_dir, (".crl",))
    try:
        return load_trust_roots(settings), load_crls(settings)
    except Exception as exc:  # noqa: BLE001
        cli._fail_on_config(exc)
        raise


def _runtime_if_reachable(settings: Any) -> Any | None:
    """The installation's runtime, but only if its ledger already exists: an auditor's laptop
    must not grow an empty ledger (and then call every file "not archived")."""
    db = settings.database
    if db.startswith("sqlite:///") and not Path(db.removeprefix("sqlite:///")).exists():
        return None
    try:
        from flows.runtime import get_runtime

        return get_runtime(settings)
    except Exception:  # noqa: BLE001 - unreachable database or store: skip the cross-check
        return None


def archive_check(rt: Any, data: bytes) -> ArchiveCheck:
    """Is ``data`` exactly the archived signed copy of a ledger document, and is it still stored?"""
    sha = hashlib.sha256(data).hexdigest()
    try:
        doc = rt.ledger.find_by_signed_sha256(sha)
    except Exception as exc:  # noqa: BLE001
        return ArchiveCheck(None, f"The ledger could not be queried ({exc}).", "Không tra cứu được sổ cái.")
    if doc is None:
        return ArchiveCheck(
            False,
            f"No archived signed copy has this file's SHA-256 ({sha[:16]}…).",
            "Tệp này không trùng với bản đã ký nào được lưu trong kho (khác mã băm SHA-256).",
        )
    try:
        stored = rt.store.exists(doc.signed_key) if doc.signed_key else False
    except Exception as exc:  # noqa: BLE001
        return ArchiveCheck(
            None, f"The archive could not be reached ({exc}).", "Không kết nối được kho lưu trữ."
        )
    if not stored:
        return ArchiveCheck(
            False,
            f"The ledger records this copy as {doc.signed_key}, but that object is missing from the archive.",
            f"Sổ cái ghi nhận bản này tại {doc.signed_key} nhưng kho không còn đối tượng đó.",
            doc.sha256,
            doc.signed_key,
        )
    return ArchiveCheck(
        True,
        f"Matches the archived signed copy {doc.signed_key} (document {doc.sha256[:16]}…).",
        f"Trùng khớp bản đã ký lưu tại {doc.signed_key}.",
        doc.sha256,
        doc.signed_key,
    )


def _verdict(report: Any, archive: ArchiveCheck | None) -> str:
    """The file's verdict: the signature's, lowered to INDETERMINATE when the archive disagrees."""
    if report.verdict == "VALID" and archive is not None and archive.passed is False:
        return "INDETERMINATE"
    return report.verdict


def _as_json(path: str, sha: str, report: Any, archive: ArchiveCheck | None) -> dict[str, Any]:
    verdict = _verdict(report, archive)
    return {
        "file": path,
        "sha256": sha,
        "verdict": verdict,
        "ok": verdict == "VALID",
        "level": report.level,
        "intact": report.intact,
        "valid": report.valid,
        "trusted": report.trusted,
        "covers_whole_file": report.covers_whole_file,
        "revocation": report.revocation,
        "docmdp": report.docmdp,
        "signer": report.signer,
        "signing_time": report.signing_time.isoformat() if report.signing_time else None,
        "timestamped": report.timestamped,
        "timestamp_time": report.timestamp_time.isoformat() if report.timestamp_time else None,
        "bottom_line": report.bottom_line,
        "reasons": list(report.reasons) + ([archive.en] if archive and archive.passed is False else []),
        "reasons_vi": list(report.reasons_vi) + ([archive.vi] if archive and archive.passed is False else []),
        "checks": [dataclasses.asdict(c) for c in report.checks],
        "archive": dataclasses.asdict(archive) if archive else None,
    }


def verify(
    files: Annotated[list[Path], typer.Argument(help="Signed PDFs to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    trust: Annotated[
        Path | None,
        typer.Option("--trust", help="Folder of trusted CA certificates (and cached .crl files)."),
    ] = None,
    allow_fetching: Annotated[
        bool | None, typer.Option("--allow-fetching/--offline", help="Fetch OCSP/CRL over the network.")
    ] = None,
    archive: Annotated[
        bool,
        typer.Option("--archive/--no-archive", help="Cross-check with the ledger and archive if reachable."),
    ] = True,
) -> None:
    """Verdict per file (VALID / INVALID / INDETERMINATE) with its reasons; exit 0 only if all VALID."""
    cli = _cli()
    settings = cli._settings()
    from signing.verify import verify_pdf

    roots, crls = _trust(settings, trust)
    fetch = settings.allow_fetching if allow_fetching is None else allow_fetching
    rt = _runtime_if_reachable(settings) if archive else None
    all_ok = True
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            all_ok = False
            line = {
                "file": str(path),
                "verdict": "INVALID",
                "ok": False,
                "bottom_line": f"cannot read: {exc.strerror}",
            }
            if as_json:
                print(json.dumps(line, ensure_ascii=False))
            else:
                cli.out.print(f"[red]FAIL[/red] {path}: không đọc được tệp / cannot read ({exc.strerror})")
            continue
        report = verify_pdf(data, trust_roots=roots, crls=crls, allow_fetching=fetch)
        check = archive_check(rt, data) if rt is not None else None
        result = _as_json(str(path), hashlib.sha256(data).hexdigest(), report, check)
        all_ok &= result["ok"]
        if as_json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            _print_human(cli.out, path, report, check, result["verdict"])
    raise typer.Exit(0 if all_ok else 1)


def _print_human(out: Any, path: Path, report: Any, check: ArchiveCheck | None, verdict: str) -> None:
    mark = "[green]OK  [/green]" if verdict == "VALID" else "[red]FAIL[/red]"
    level = f" ({report.level})" if report.level else ""
    out.print(f"{mark} {path}: {_VERDICT_VI[verdict]} / {verdict}{level}", highlight=False)
    if report.signer:
        when = report.timestamp_time or report.signing_time
        out.print(
            f"     Người ký / signer: {report.signer}; thời gian / time: {when.isoformat() if when else '—'}",
            highlight=False,
        )
    for c in report.checks:
        out.print(f"     {_MARK[c.passed]} {c.vi}\n       {c.en}", highlight=False)
    if check is not None:
        out.print(f"     {_MARK[check.passed]} {check.vi}\n       {check.en}", highlight=False)


# --- sohoa audit ---------------------------------------------------------------------------------


def audit(
    unit: Annotated[str, typer.Option("--unit", help="Unit code (mã đơn vị) whose documents to audit.")],
    year: Annotated[int, typer.Option("--year", help="Year (of issue, as in the archive layout).")],
    sample: Annotated[
        int | None, typer.Option("--sample", help="Draw N documents at random (default: all).")
    ] = None,
    out_path: Annotated[Path, typer.Option("--out", help="Report file (.html).")] = Path("audit.html"),
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed, to repeat a draw.")] = None,
    trust: Annotated[Path | None, typer.Option("--trust", help="Folder of trusted CA certificates.")] = None,
    allow_fetching: Annotated[
        bool | None, typer.Option("--allow-fetching/--offline", help="Fetch OCSP/CRL over the network.")
    ] = None,
) -> None:
    """Draw archived documents of a unit and year, verify each signed copy, write an HTML report."""
    cli = _cli()
    settings = cli._settings()
    from flows.runtime import get_runtime
    from signing.verify import verify_pdf

    roots, crls = _trust(settings, trust)
    fetch = settings.allow_fetching if allow_fetching is None else allow_fetching
    try:
        rt = get_runtime(settings)
        population = rt.ledger.archived_documents(unit_code=unit.strip(), key_year=year)
    except Exception as exc:  # noqa: BLE001
        cli._fail_on_config(exc)
        raise
    seed = seed if seed is not None else secrets.randbelow(2**31)
    drawn = list(population)
    if sample is not None and sample < len(drawn):
        drawn = sorted(random.Random(seed).sample(drawn, sample), key=lambda d: (d.archived_at, d.sha256))

    rows: list[dict[str, Any]] = []
    for doc in drawn:
        row: dict[str, Any] = {"doc": doc}
        try:
            data = rt.store.get(doc.signed_key) if doc.signed_key else None
        except Exception as exc:  # noqa: BLE001
            data = None
            row["missing"] = str(exc)
        if data is None:
            row.update(
                verdict="INVALID",
                reasons=[
                    (
                        "Không lấy được bản đã ký từ kho.",
                        "The signed copy could not be read from the archive.",
                    )
                ],
            )
            rows.append(row)
            continue
        sha = hashlib.sha256(data).hexdigest()
        report = verify_pdf(data, trust_roots=roots, crls=crls, allow_fetching=fetch)
        reasons = list(zip(report.reasons_vi, report.reasons, strict=True))
        verdict = report.verdict
        if sha != doc.signed_sha256:
            verdict = "INVALID"
            reasons.insert(
                0,
                (
                    "Mã băm bản lưu khác mã băm ghi trong sổ cái.",
                    "The stored copy's SHA-256 differs from the ledger's.",
                ),
            )
        row.update(verdict=verdict, report=report, sha=sha, reasons=reasons)
        rows.append(row)

    meta = {
        "unit": unit,
        "year": year,
        "population": len(population),
        "sample": len(drawn),
        "seed": seed,
        "generated": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "roots": [_fingerprint(r) for r in roots],
        "fetching": fetch,
    }
    out_path.write_text(render_audit_html(meta, rows), encoding="utf-8")
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("VALID", "INVALID", "INDETERMINATE")}
    cli.out.print(
        f"{len(drawn)}/{len(population)} tài liệu / documents: {counts['VALID']} hợp lệ / valid, "
        f"{counts['INVALID']} không hợp lệ / invalid, {counts['INDETERMINATE']} chưa xác định / indeterminate. "
        f"Báo cáo / report: {out_path}",
        highlight=False,
    )
    raise typer.Exit(0 if counts["VALID"] == len(rows) else 1)


def _fingerprint(blob: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        certs = (
            x509.load_pem_x509_certificates(blob)
            if b"-----BEGIN" in blob
            else [x509.load_der_x509_certificate(blob)]
        )
    except ValueError:
        return "(unreadable)"
    return ", ".join(
        f"{c.subject.rfc4514_string()} SHA-256 {c.fingerprint(hashes.SHA256()).hex()}" for c in certs
    )


def render_audit_html(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """A self-contained HTML page (no scripts, no external files) an auditor can file away."""
    e = html.escape
    colour = {"VALID": "#1a7f37", "INVALID": "#b42318", "INDETERMINATE": "#b54708"}
    body: list[str] = []
    for i, row in enumerate(rows, start=1):
        doc = row["doc"]
        report = row.get("report")
        verdict = row["verdict"]
        reasons = "".join(f"<li>{e(vi)}<br><i>{e(en)}</i></li>" for vi, en in row.get("reasons", []))
        body.append(
            "<tr>"
            f"<td>{i}</td><td>{e(doc.so_ky_hieu or '—')}<br><small>{e(doc.file_name)}</small></td>"
            f"<td><code>{e(doc.signed_key or '—')}</code><br><small>SHA-256 {e(row.get('sha', '—'))}</small></td>"
            f"<td style='color:{colour[verdict]};font-weight:bold'>{_VERDICT_VI[verdict]}<br>{verdict}</td>"
            f"<td>{e(report.level or '—') if report else '—'}</td>"
            f"<td>{e(report.signer or '—') if report else '—'}</td>"
            f"<td>{e(_when(report))}</td>"
            f"<td><ul>{reasons}</ul></td>"
            "</tr>"
        )
    counts = {v: sum(r["verdict"] == v for r in rows) for v in colour}
    roots = "".join(f"<li><code>{e(r)}</code></li>" for r in meta["roots"])
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo kiểm tra chữ ký số / Signature audit — {e(meta["unit"])} {meta["year"]}</title>
<style>body{{font-family:serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:4px;vertical-align:top;font-size:90%}}th{{background:#eee}}</style>
</head><body>
<h1>Báo cáo kiểm tra chữ ký số bản số hóa<br><small>Audit of the signatures of digitized copies</small></h1>
<p>Đơn vị / unit: <b>{e(meta["unit"])}</b> — năm / year: <b>{meta["year"]}</b><br>
Lập lúc / generated: {e(meta["generated"])}<br>
Tổng số tài liệu lưu trữ / archived documents: {meta["population"]}; số được chọn kiểm tra / sampled:
{meta["sample"]} (hạt giống ngẫu nhiên / random seed {meta["seed"]}, <code>--seed {meta["seed"]}</code> to repeat)<br>
Tra cứu thu hồi qua mạng / online revocation fetching: {"có / yes" if meta["fetching"] else "không / no (offline)"}</p>
<p>Kết quả / result: <b style="color:{colour["VALID"]}">{counts["VALID"]} hợp lệ / valid</b>,
<b style="color:{colour["INVALID"]}">{counts["INVALID"]} không hợp lệ / invalid</b>,
<b style="color:{colour["INDETERMINATE"]}">{counts["INDETERMINATE"]} chưa xác định / indeterminate</b>.</p>
<p>Chứng thư gốc tin cậy / trust roots:</p><ul>{roots}</ul>
<table><tr><th>#</th><th>Số, ký hiệu / file</th><th>Bản lưu / archived copy</th><th>Kết luận / verdict</th>
<th>Mức / level</th><th>Người ký / signer</th><th>Thời gian ký / signing time</th><th>Lý do / reasons</th></tr>
{"".join(body)}
</table></body></html>
"""


def _when(report: Any) -> str:
    if report is None:
        return "—"
    when = report.timestamp_time or report.signing_time
    return when.isoformat() if when else "—"
