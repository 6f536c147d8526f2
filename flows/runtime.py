"""The composition root: builds the store, ledger and signer from validated settings, once.

Nothing else in sohoa reads settings or constructs clients; flows and the CLI ask here. The
runtime is cached per process and per ``SOHOA_HOME`` so Prefect tasks reuse one ledger engine
and one store client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True, eq=False)
class Signer:
    p12: bytes
    password: bytes | None
    agency_name: str
    visible_stamp: bool
    tsa_url: str | None


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
    )


def load_trust_roots(settings: Settings) -> list[bytes]:
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
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(
        settings.archive,
        endpoint=settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
        secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
        secure=settings.s3_secure,
        region=settings.s3_region,
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
