"""Settings, validated once at start (pydantic-settings).

Every setting comes from an environment variable prefixed ``SOHOA_`` or from an optional
``.env``-style file named by ``SOHOA_CONFIG``. All state lives under ``SOHOA_HOME`` so two
runs with different homes never touch each other.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    ocr_lang: str = "vie"
    ocr_dpi: int = 300
    ocr_timeout_s: int = 180
    ocr_workers: int = 0  # 0: one per core
    max_pages: int = 500
    max_pixels: int = 200_000_000

    done_mode: str = Field(
        default="move", description="What happens to an archived inbox file: move | delete."
    )
    watch_poll: bool = False
    watch_stable_s: float = 2.0
    watch_rescan_s: float = 60.0
    plan_year: int | None = None

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, v: Path) -> Path:
        return v.expanduser().resolve()

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


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
