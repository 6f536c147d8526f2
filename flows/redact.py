"""Keep secrets out of everything sohoa writes: logs (console and Prefect's API), errors, files.

Secrets enter only from the environment, the 0600 ``SOHOA_SECRETS_FILE`` or Prefect Secret blocks
(:func:`secret_from_block`), as pydantic ``SecretStr`` values that print as ``**********``. That
covers our own code; this module covers what we do not write: a library's exception message or
traceback quoting a password or an access key. The composition root registers every secret value
once (:func:`protect`); from then on

* every :class:`schemas.errors.SohoaError` scrubs its detail when constructed, so quarantine
  ``.error.txt`` files, ledger rows and flow results never hold one;
* a logging filter on the root, ``sohoa`` and Prefect handlers rewrites each record (message,
  arguments, traceback text) before any handler formats it, so neither stderr nor the Prefect
  API's run logs do.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from schemas.errors import REDACTED, InternalError, SohoaError, redact, register_secret
from schemas.settings import Settings

LOGGERS = ("", "sohoa", "prefect", "prefect.flow_runs", "prefect.task_runs", "prefect.workers", "py.warnings")


class RedactingFilter(logging.Filter):
    """Rewrites a record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logged as it is
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, as plain text (for registration only)."""
    values: list[str] = []
    secrets = (
        settings.sign_p12_password,
        settings.s3_access_key,
        settings.s3_secret_key,
        settings.pkcs11_pin,
    )
    for secret in secrets:
        if secret is not None:
            values.append(secret.get_secret_value())
    password = settings.signer_password  # also read from HOME/pki/signer.pass
    if password:
        values.append(password.decode("utf-8", "replace"))
    return values


def install_log_filter() -> None:
    """Attach the filter to the loggers and handlers that exist now (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def protect(settings: Settings) -> None:
    """Register the settings' secrets and install the log filter. Called by the composition root."""
    for value in secret_values(settings):
        register_secret(value)
    install_log_filter()


F = TypeVar("F", bound=Callable[..., Any])


def contain(fn: F) -> F:
    """Task bodies only ever raise our errors: anything else (a bug, an untranslated library error)
    becomes an :class:`InternalError` whose text is scrubbed, because Prefect stores the message of
    a task's exception in the run's state, where no log filter reaches."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SohoaError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated, with the original as __cause__
            raise InternalError(f"{type(exc).__name__}: {exc}") from exc

    return wrapper  # type: ignore[return-value]


def secret_from_block(name: str) -> str:
    """A Prefect ``Secret`` block's value (``prefect block register``-ed by the administrator),
    registered for redaction before it is returned. Only for deployments that keep secrets there."""
    from prefect.blocks.system import Secret

    value: Any = Secret.load(name).get()
    text = value if isinstance(value, str) else str(value)
    register_secret(text)
    return text


__all__ = [
    "REDACTED",
    "RedactingFilter",
    "install_log_filter",
    "protect",
    "secret_from_block",
    "secret_values",
]
