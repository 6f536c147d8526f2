"""Settings, validated once at start (pydantic-settings).

Every setting comes from an environment variable prefixed ``SOHOA_`` or from an optional
``.env``-style file named by ``SOHOA_CONFIG``. All state lives under ``SOHOA_HOME`` so two
runs with different homes never touch each other.
"""

from __future__ import annotations

import os
import stat
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOHOA_",
        env_file=os.environ.get("SOHOA_CONFIG") or None,
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    home: Path = Field(default=Path("sohoa-data"), description="Folder holding all state.")
    inbox: Path | None = Field(default=None, description="Watched folder; default HOME/inbox.")
    archive_url: str | None = Field(
        default=None, description="A folder path (default HOME/archive) or s3://BUCKET."
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in HOME.")
    s3_endpoint: str | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_part_size_mb: int = Field(
        default=16, ge=5, le=5120, description="Objects larger than this go up in parts of this size."
    )
    retention_mode: str = Field(
        default="GOVERNANCE",
        description="S3 object-lock mode: COMPLIANCE in production (nobody can shorten or remove it), "
        "GOVERNANCE in staging (a privileged user can).",
    )
    retention_class: str = Field(
        default="01",
        description="Thời hạn bảo quản (TT 02/2019 maintenance code 01-07) of documents whose class is not "
        "known; 01 permanent.",
    )
    retention_other_years: int = Field(default=10, ge=1, description="Years kept for maintenance 07.")

    unit: str = Field(
        default="00000", description="Default unit code for files not in an inbox/<unit>/ folder."
    )
    agency_name: str = Field(
        default="ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG", description="Shown on the signature stamp."
    )
    sign_p12: Path | None = Field(
        default=None, description="PKCS#12 with the agency key; default HOME/pki/signer.p12."
    )
    sign_p12_password: SecretStr | None = None
    trust_roots: list[Path] = Field(
        default_factory=list, description="PEM/DER roots; default HOME/pki/root.pem."
    )
    tsa_url: str | None = None
    visible_stamp: bool = True
    sign_level: str | None = Field(
        default=None, description="PAdES level B-B | B-T | B-LT | B-LTA; default B-T with a TSA, else B-B."
    )
    trust_dir: Path | None = Field(
        default=None,
        description="Folder of trusted CA certificates (.pem/.crt/.cer/.der) and cached CRLs (.crl).",
    )
    allow_fetching: bool = Field(
        default=False, description="Let verification fetch OCSP/CRL over the network (off: offline)."
    )
    pkcs11_module: str | None = Field(default=None, description="PKCS#11 library of the signing token/HSM.")
    pkcs11_token: str | None = None
    pkcs11_key_label: str | None = None
    pkcs11_pin: SecretStr | None = None

    ocr_lang: str = "vie"
    ocr_dpi: int = 300
    ocr_timeout_s: int = 180
    ocr_workers: int = 0  # 0: one per core
    max_pages: int = 500
    max_pixels: int = 200_000_000
    # Hostile-input limits (issue 9): extraction runs in a child process killed past these.
    doc_timeout_s: int = Field(default=900, description="Wall time per document (load + OCR); 0: none.")
    max_memory_mb: int = Field(default=4096, description="Address-space limit of the OCR process; 0: none.")
    sandbox: bool = Field(default=True, description="Run extraction in a killable, limited child process.")
    signed_input: str = Field(
        default="quarantine",
        description="An input PDF that is already signed: quarantine | archive_original "
        "(keep it byte for byte beside a separate signed OCR copy).",
    )
    secrets_file: Path | None = Field(
        default=None, description="KEY=VALUE file (mode 0600) with SOHOA_SIGN_P12_PASSWORD, S3 keys."
    )

    done_mode: str = Field(
        default="move", description="What happens to an archived inbox file: move | delete."
    )
    watch_poll: bool = False
    watch_stable_s: float = 2.0
    watch_rescan_s: float = 60.0
    unit_map: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description='Inbox folder -> unit code, JSON ({"Mot cua/Dak Mil": "663"}) or a path to a JSON file.',
    )
    ocr_concurrency: int = Field(default=4, ge=1, description="OCR runs at once across all workers.")
    work_pool: str = Field(default="sohoa", description="Prefect work pool of `sohoa worker`.")
    worker_batch: int = Field(
        default=10, ge=1, description="Claimed files per flow run queued for `sohoa worker`s."
    )
    plan_year: int | None = None

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @field_validator("retention_mode")
    @classmethod
    def _retention_mode(cls, v: str) -> str:
        if v.upper() not in {"GOVERNANCE", "COMPLIANCE"}:
            raise ValueError("SOHOA_RETENTION_MODE must be GOVERNANCE or COMPLIANCE")
        return v.upper()

    @field_validator("retention_class")
    @classmethod
    def _retention_class(cls, v: str) -> str:
        if v not in {"01", "02", "03", "04", "05", "06", "07"}:
            raise ValueError("SOHOA_RETENTION_CLASS must be a maintenance code 01-07")
        return v

    @field_validator("signed_input")
    @classmethod
    def _signed_input(cls, v: str) -> str:
        if v not in {"quarantine", "archive_original"}:
            raise ValueError("SOHOA_SIGNED_INPUT must be 'quarantine' or 'archive_original'")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first, then the ``SOHOA_CONFIG`` file, then the ``SOHOA_SECRETS_FILE``."""
        sources = [init_settings, env_settings, dotenv_settings]
        secrets = os.environ.get("SOHOA_SECRETS_FILE")
        if secrets:
            path = check_secrets_file(Path(secrets))
            sources.append(DotEnvSettingsSource(settings_cls, env_file=path, env_file_encoding="utf-8"))
        return (*sources, file_secret_settings)

    @field_validator("unit_map", mode="before")
    @classmethod
    def _unit_map_file(cls, v: object) -> object:
        if isinstance(v, str):
            import json

            text = v if v.lstrip().startswith("{") else Path(v).expanduser().read_text("utf-8")
            return json.loads(text)
        return v

    @field_validator("sign_level")
    @classmethod
    def _sign_level(cls, v: str | None) -> str | None:
        if v is not None and v.upper() not in {"B-B", "B-T", "B-LT", "B-LTA"}:
            raise ValueError("SOHOA_SIGN_LEVEL must be B-B, B-T, B-LT or B-LTA")
        return v.upper() if v else None

    @field_validator("done_mode")
    @classmethod
    def _done_mode(cls, v: str) -> str:
        if v not in {"move", "delete"}:
            raise ValueError("SOHOA_DONE_MODE must be 'move' or 'delete'")
        return v

    # --- derived paths: everything under HOME unless set --------------------------------------

    @cached_property
    def inbox_dir(self) -> Path:
        return (self.inbox or self.home / "inbox").expanduser().resolve()

    @cached_property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @cached_property
    def duplicates_dir(self) -> Path:
        return self.home / "duplicates"

    @cached_property
    def done_dir(self) -> Path:
        return self.home / "done"

    @cached_property
    def work_dir(self) -> Path:
        """Claimed files are moved here by atomic rename before work starts."""
        return self.home / "work"

    @cached_property
    def pki_dir(self) -> Path:
        return self.home / "pki"

    @cached_property
    def archive(self) -> str:
        return self.archive_url or str(self.home / "archive")

    @cached_property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'ledger.db'}"

    @cached_property
    def signer_p12(self) -> Path:
        return self.sign_p12 or self.pki_dir / "signer.p12"

    @cached_property
    def trust_root_paths(self) -> list[Path]:
        return list(self.trust_roots) or [self.pki_dir / "root.pem"]

    @cached_property
    def signer_password(self) -> bytes | None:
        if self.sign_p12_password is not None:
            return self.sign_p12_password.get_secret_value().encode()
        pw_file = self.pki_dir / "signer.pass"
        if self.sign_p12 is None and pw_file.exists():
            return pw_file.read_bytes().strip()
        return None


def check_secrets_file(path: Path) -> Path:
    """A secrets file must be a regular file of ours that nobody else can read (mode 0600/0400).

    A readable-by-all key password is as good as published, so we refuse to start rather than warn.
    """
    from schemas.errors import ConfigError

    path = path.expanduser()
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError(f"SOHOA_SECRETS_FILE {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"SOHOA_SECRETS_FILE {path} is not a regular file")
    if st.st_mode & 0o077:
        raise ConfigError(
            f"SOHOA_SECRETS_FILE {path} has mode {stat.S_IMODE(st.st_mode):04o}; run `chmod 600 {path}`",
            message_en=f"The secrets file {path} can be read by other users. Run `chmod 600 {path}`.",
            message_vi=f"Tệp bí mật {path} đang để người khác đọc được. Chạy `chmod 600 {path}`.",
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise ConfigError(f"SOHOA_SECRETS_FILE {path} belongs to another user")
    return path


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
