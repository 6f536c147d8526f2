"""A development PKI for the agency signing key, and the one PKCS#12 loader.

Real agencies sign with a certificate from a licensed Vietnamese CA (often on a USB token).
For development, tests and pilots without such a certificate we mint a three-level chain
(root CA → intermediate CA → agency signer) so that chain building, trust decisions and
"wrong root" failures behave exactly as they will with a real CA.

Only the signer's key is kept (inside ``signer.p12``, encrypted with the caller's password).
The CA private keys are discarded on purpose: a leaked dev folder then cannot mint further
signers, and a new dev PKI is one call away.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from schemas.errors import ConfigError, SigningError

KeyType = Literal["rsa3072", "ec-p256"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ROOT_FILE = "root.pem"
INTERMEDIATE_FILE = "intermediate.pem"
SIGNER_FILE = "signer.p12"

# X.520 upper bound for CommonName and OrganizationName (characters).
_UB_NAME = 64


@dataclass(frozen=True)
class DevPki:
    """Where :func:`create_dev_pki` wrote its files, and the signer's identity."""

    out_dir: Path
    root_pem: Path
    intermediate_pem: Path
    signer_p12: Path
    signer_sha256: str
    """SHA-256 fingerprint of the signer certificate (lowercase hex), for the ledger and logs."""
    not_after: dt.datetime


@dataclass(frozen=True)
class SignerKey:
    """Key material from a PKCS#12 bundle (``cryptography`` objects)."""

    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    """The other certificates of the bundle (intermediates, usually the root), signer excluded."""


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ConfigError(f"unknown key type {key_type!r}; use 'rsa3072' or 'ec-p256'")


def _name(common_name: str, organization: str) -> x509.Name:
    # CN and O default to UTF8String in `cryptography`, which keeps Vietnamese letters intact;
    # C is PrintableString as RFC 5280 requires.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    subject: x509.Name,
    key: PrivateKey,
    issuer: x509.Name,
    issuer_key: PrivateKey,
    *,
    path_length: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    issuer_ski: x509.SubjectKeyIdentifier | None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_ski is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write via a temp file + rename so a crash never leaves half a key file behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_dev_pki(
    out_dir: Path,
    *,
    agency_name: str,
    password: bytes,
    valid_days: int = 3650,
    key_type: KeyType = "rsa3072",
) -> DevPki:
    """Mint root CA, intermediate CA and an agency signer; write ``root.pem``,
    ``intermediate.pem`` and ``signer.p12`` (0600, encrypted with ``password``) into ``out_dir``.

    Existing files are replaced. Give the root (``root.pem``) to verifiers as their trust root.
    """
    agency = unicodedata.normalize("NFC", agency_name).strip()
    if not agency or len(agency) > _UB_NAME:
        raise ConfigError(f"agency name must be 1..{_UB_NAME} characters, got {len(agency)}: {agency!r}")
    if not password:
        raise ConfigError("a non-empty password is required to protect signer.p12")
    if valid_days < 1:
        raise ConfigError(f"valid_days must be positive, got {valid_days}")

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # A day back: tolerates clock skew between machines and signing times set a little in the past
    # (tests fix the signing time when their module is collected, minutes before the PKI is made).
    not_before = now - dt.timedelta(days=1)
    ca_not_after = now + dt.timedelta(days=valid_days + 1)
    signer_not_after = now + dt.timedelta(days=valid_days)

    root_key = _new_key(key_type)
    root_name = _name("sohoa Dev Root CA (KHÔNG DÙNG THẬT)", "sohoa development PKI")
    root = _ca_cert(
        root_name,
        root_key,
        root_name,
        root_key,
        path_length=1,
        not_before=not_before,
        not_after=ca_not_after,
        issuer_ski=None,
    )
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    inter_key = _new_key(key_type)
    inter_name = _name("sohoa Dev Intermediate CA", "sohoa development PKI")
    inter = _ca_cert(
        inter_name,
        inter_key,
        root_name,
        root_key,
        path_length=0,
        not_before=not_before,
        not_after=ca_not_after,
        issuer_ski=root_ski,
    )
    inter_ski = inter.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    signer_key = _new_key(key_type)
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(agency, agency))
        .issuer_name(inter_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(signer_not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(inter_ski), critical=False
        )
        .sign(inter_key, hashes.SHA256())
    )

    p12 = pkcs12.serialize_key_and_certificates(
        name=agency.encode("utf-8"),
        key=signer_key,
        cert=signer,
        cas=[inter, root],
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / ROOT_FILE, out_dir / INTERMEDIATE_FILE, out_dir / SIGNER_FILE)
    _write_atomic(paths[0], root.public_bytes(serialization.Encoding.PEM), 0o644)
    _write_atomic(paths[1], inter.public_bytes(serialization.Encoding.PEM), 0o644)
    _write_atomic(paths[2], p12, 0o600)
    return DevPki(
        out_dir=out_dir,
        root_pem=paths[0],
        intermediate_pem=paths[1],
        signer_p12=paths[2],
        signer_sha256=signer.fingerprint(hashes.SHA256()).hex(),
        not_after=signer_not_after,
    )


def load_pkcs12(data: bytes, password: bytes | None) -> SignerKey:
    """Open a PKCS#12 bundle; a wrong password or a damaged file becomes :class:`SigningError`."""
    if not data:
        raise SigningError("the PKCS#12 file is empty")
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError) as e:
        # `cryptography` reports wrong password and corrupt DER with the same ValueError.
        raise SigningError(
            f"cannot open the PKCS#12 file: wrong password or not a PKCS#12 file ({e})",
            message_vi="Không mở được tệp chứng thư số (.p12): sai mật khẩu hoặc tệp hỏng.",
            message_en="The certificate file (.p12) could not be opened: wrong password or damaged file.",
        ) from e
    if key is None or cert is None:
        raise SigningError("the PKCS#12 file holds no private key or no certificate")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(f"unsupported key type in PKCS#12: {type(key).__name__}")
    return SignerKey(key=key, cert=cert, chain=tuple(others))
