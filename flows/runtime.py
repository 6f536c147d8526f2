"""The composition root: builds the store, ledger and signer from validated settings, once.

Nothing else in sohoa reads settings or constructs clients; flows and the CLI ask here. The
runtime is cached per process and per ``SOHOA_HOME`` so Prefect tasks reuse one ledger engine
and one store client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.errors import ConfigError
from schemas.settings import Settings
from storage.ledger import Ledger
from storage.objectstore import ObjectStore, open_store


def prefect_env(settings: Settings) -> None:
    """Prefect keeps its ephemeral server's database under SOHOA_HOME unless told otherwise.

    Must run before ``prefect`` is imported: Prefect reads its settings at import time.
    """
    os.environ.setdefault("PREFECT_HOME", str(settings.home / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.5")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # The ephemeral server's first start on a new machine creates and migrates its database;
    # Prefect gives it 20 s, and a fresh clone's `make demo` on a 2-core machine once ran out of
    # them ("Timed out while attempting to connect to ephemeral Prefect API server").
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def no_heartbeat_wait() -> bool:
    """Stop Prefect's flow engine from waiting for its heartbeat thread at the end of every run.

    Prefect 3 sends flow-run heartbeats from a thread that sleeps in one-second steps, and the
    sync engine joins it when the run ends: every flow run then idles up to a second (0.5 s on
    average, measured ~1 s for short runs) before returning, which is a third of a one-page
    document's OCR time. Heartbeats are kept; only the join is skipped, as Prefect's own async
    engine does (the thread is a daemon and stops at its next tick). Returns whether the patch is
    in place (False when a Prefect version no longer has this hook; nothing breaks then).
    """
    import contextlib
    import inspect

    from prefect import flow_engine

    current = getattr(flow_engine, "_send_heartbeats", None)
    if current is None or getattr(current, "_sohoa_no_wait", False):
        return current is not None
    if "join_on_exit" not in inspect.signature(current).parameters:
        return False

    @contextlib.contextmanager
    def send_heartbeats(engine: Any, join_on_exit: bool = True) -> Any:
        with current(engine, join_on_exit=False):
            yield

    send_heartbeats._sohoa_no_wait = True  # type: ignore[attr-defined]
    flow_engine._send_heartbeats = send_heartbeats
    return True


@dataclass(frozen=True, eq=False)
class Signer:
    p12: bytes
    password: bytes | None
    agency_name: str
    visible_stamp: bool
    tsa_url: str | None
    level: str | None = None
    pkcs11: Any = None  # signing.sign.Pkcs11Config when the key is on a token
    trust_roots: tuple[bytes, ...] = ()  # for B-LT/B-LTA: the chain's revocation data is collected


@dataclass(frozen=True, eq=False)
class Runtime:
    settings: Settings
    store: ObjectStore
    ledger: Ledger

    @property
    def signer(self) -> Signer:
        return load_signer(self.settings)

    @property
    def trust_roots(self) -> list[bytes]:
        return load_trust_roots(self.settings)


def load_signer(settings: Settings) -> Signer:
    level = settings.sign_level
    roots = tuple(load_trust_roots(settings)) if level in ("B-LT", "B-LTA") else ()
    if settings.pkcs11_module:
        from signing.sign import Pkcs11Config

        if not (settings.pkcs11_token and settings.pkcs11_key_label):
            raise ConfigError(
                "SOHOA_PKCS11_MODULE is set but SOHOA_PKCS11_TOKEN or SOHOA_PKCS11_KEY_LABEL is not",
                message_en="Set SOHOA_PKCS11_TOKEN and SOHOA_PKCS11_KEY_LABEL for the signing token.",
                message_vi="Hãy đặt SOHOA_PKCS11_TOKEN và SOHOA_PKCS11_KEY_LABEL cho thiết bị ký số.",
            )
        pin = settings.pkcs11_pin.get_secret_value() if settings.pkcs11_pin else None
        token = Pkcs11Config(settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_key_label, pin)
        return Signer(
            p12=b"", password=None, agency_name=settings.agency_name, visible_stamp=settings.visible_stamp,
            tsa_url=settings.tsa_url, level=level, pkcs11=token, trust_roots=roots,
        )  # fmt: skip
    path = settings.signer_p12
    if not path.exists():
        raise ConfigError(
            f"no signing key at {path}",
            message_en=f"No agency signing key at {path}. Run `sohoa pki init` (development) "
            "or set SOHOA_SIGN_P12 and SOHOA_SIGN_P12_PASSWORD.",
            message_vi=f"Chưa có khóa ký của cơ quan tại {path}. Chạy `sohoa pki init` (thử nghiệm) "
            "hoặc đặt SOHOA_SIGN_P12 và SOHOA_SIGN_P12_PASSWORD.",
        )
    return Signer(
        p12=path.read_bytes(),
        password=settings.signer_password,
        agency_name=settings.agency_name,
        visible_stamp=settings.visible_stamp,
        tsa_url=settings.tsa_url,
        level=level,
        trust_roots=roots,
    )


CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")


def trust_dir_files(folder: Path, suffixes: tuple[str, ...]) -> list[bytes]:
    """Files of a trust folder with the given suffixes, sorted by name (stable reports)."""
    return [
        p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.suffix.lower() in suffixes and p.is_file()
    ]


def load_crls(settings: Settings) -> list[bytes]:
    """The local CRL cache: ``*.crl`` files in SOHOA_TRUST_DIR (DER)."""
    return trust_dir_files(settings.trust_dir, (".crl",)) if settings.trust_dir else []


def load_trust_roots(settings: Settings) -> list[bytes]:
    if settings.trust_dir is not None:
        roots = trust_dir_files(settings.trust_dir, CERT_SUFFIXES) if settings.trust_dir.is_dir() else []
    else:
        roots = [p.read_bytes() for p in settings.trust_root_paths if Path(p).exists()]
    if not roots:
        raise ConfigError(
            "no trust roots",
            message_en="No trust root certificate configured. Run `sohoa pki init` or set SOHOA_TRUST_ROOTS.",
            message_vi="Chưa cấu hình chứng thư gốc tin cậy. Chạy `sohoa pki init` hoặc đặt SOHOA_TRUST_ROOTS.",
        )
    return roots


_RUNTIMES: dict[str, Runtime] = {}


def _build_runtime(settings: Settings) -> Runtime:
    from flows.redact import protect

    protect(settings)  # before any client exists that could echo a credential in an error
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(
        settings.archive,
        endpoint=settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
        secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
        secure=settings.s3_secure,
        region=settings.s3_region,
        part_size=settings.s3_part_size_mb * 1024 * 1024,
    )
    ledger = Ledger(settings.database)
    ledger.create_all()
    return Runtime(settings=settings, store=store, ledger=ledger)


def get_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings()
    key = settings.model_dump_json()
    if key not in _RUNTIMES:
        _RUNTIMES[key] = _build_runtime(settings)
    return _RUNTIMES[key]
