"""Signing with a key that lives on a PKCS#11 token: SoftHSM2 (Debian ``softhsm2``), for real.

The token is initialised in a temporary folder (SOFTHSM2_CONF), the RSA key pair is generated
*on* the token, the test PKI issues the agency certificate for its public key, and the
certificate is stored next to the key, as a CA's enrolment software does with a USB token.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image

from schemas.errors import SigningError
from signing.sign import Pkcs11Config, sign_pdf
from signing.testpki import TestPki
from signing.verify import VALID, verify_pdf

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
MODULE = next((m for m in MODULE_CANDIDATES if os.path.exists(m)), None)
AGENCY = unicodedata.normalize("NFC", "ỦY BAN NHÂN DÂN XÃ ĐẮK MIL")
TOKEN, PIN, SO_PIN, LABEL = "sohoa-token", "123456", "654321", "agency-signer"

pytestmark = pytest.mark.skipif(
    MODULE is None or shutil.which("softhsm2-util") is None, reason="softhsm2 not installed (make setup)"
)


@pytest.fixture(scope="module")
def pki() -> Iterator[TestPki]:
    with TestPki(AGENCY) as p:
        yield p


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory, pki: TestPki) -> Iterator[Pkcs11Config]:
    pkcs11 = pytest.importorskip("pkcs11")
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass  # noqa: PLC0415
    from pkcs11.util.rsa import encode_rsa_public_key  # noqa: PLC0415

    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by the module at C_Initialize
    try:
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
            check=True,
            capture_output=True,
        )
        lib = pkcs11.lib(MODULE)
        with lib.get_token(token_label=TOKEN).open(user_pin=PIN, rw=True) as session:
            pub, _priv = session.generate_keypair(KeyType.RSA, 2048, id=b"\x01", label=LABEL, store=True)
            public_key = serialization.load_der_public_key(encode_rsa_public_key(pub))
            cert = pki.issue_for_key(public_key, AGENCY)  # type: ignore[arg-type]
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: LABEL,
                    Attribute.ID: b"\x01",
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
            session.create_object(  # the CA chain, as Vietnamese CAs ship it on the token
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: "intermediate-ca",
                    Attribute.SUBJECT: pki.intermediate.cert.subject.public_bytes(),
                    Attribute.VALUE: pki.intermediate.der,
                }
            )
        yield Pkcs11Config(module=MODULE, token_label=TOKEN, key_label=LABEL, pin=PIN)  # type: ignore[arg-type]
    finally:
        if old is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = old


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (595, 842), "white").save(buf, format="PDF", resolution=72.0)
    return buf.getvalue()


@pytest.mark.parametrize("level", ["B-T", "B-LTA"])
def test_sign_with_softhsm_token(pki: TestPki, token: Pkcs11Config, unsigned_pdf: bytes, level: str) -> None:
    out = sign_pdf(
        unsigned_pdf,
        agency_name=AGENCY,
        pkcs11=token,
        level=level,
        tsa_url=pki.tsa_url,
        trust_roots=[pki.root.pem],
    )
    report = verify_pdf(out, trust_roots=[pki.root.pem], allow_fetching=True)
    assert report.verdict == VALID, report.reasons
    assert report.signer == AGENCY and report.level == level and report.docmdp == "NO_CHANGES"


def test_wrong_pin_is_a_clear_signing_error(token: Pkcs11Config, unsigned_pdf: bytes) -> None:
    bad = Pkcs11Config(
        module=token.module, token_label=token.token_label, key_label=token.key_label, pin="000000"
    )
    with pytest.raises(SigningError) as exc:
        sign_pdf(unsigned_pdf, agency_name=AGENCY, pkcs11=bad)
    assert "PIN" in exc.value.message_en


def test_missing_key_label_fails(token: Pkcs11Config, unsigned_pdf: bytes) -> None:
    bad = Pkcs11Config(
        module=token.module, token_label=token.token_label, key_label="no-such-key", pin=token.pin
    )
    with pytest.raises(SigningError):
        sign_pdf(unsigned_pdf, agency_name=AGENCY, pkcs11=bad)


def test_unknown_token_fails(token: Pkcs11Config, unsigned_pdf: bytes, tmp_path: Path) -> None:
    bad = Pkcs11Config(
        module=token.module, token_label="not-plugged-in", key_label=token.key_label, pin=token.pin
    )
    with pytest.raises(SigningError, match="cannot open PKCS#11 token"):
        sign_pdf(unsigned_pdf, agency_name=AGENCY, pkcs11=bad)


def test_settings_select_the_token(
    token: Pkcs11Config, unsigned_pdf: bytes, pki: TestPki, tmp_path: Path
) -> None:
    """SOHOA_PKCS11_* settings reach sign_pdf through the runtime's Signer, as the pipeline uses it."""
    from flows.runtime import load_signer
    from schemas.errors import ConfigError
    from schemas.settings import Settings

    trust = pki.write_trust_dir(tmp_path / "trust")
    settings = Settings(
        home=tmp_path / "home",
        pkcs11_module=token.module,
        pkcs11_token=token.token_label,
        pkcs11_key_label=token.key_label,
        pkcs11_pin=token.pin,
        sign_level="b-lt",
        tsa_url=pki.tsa_url,
        trust_dir=trust,
    )
    signer = load_signer(settings)
    assert signer.level == "B-LT" and signer.pkcs11 == token and signer.trust_roots == (pki.root.pem,)
    out = sign_pdf(
        unsigned_pdf,
        p12=signer.p12,
        password=signer.password,
        agency_name=signer.agency_name,
        visible_stamp=signer.visible_stamp,
        tsa_url=signer.tsa_url,
        level=signer.level,
        pkcs11=signer.pkcs11,
        trust_roots=signer.trust_roots,
    )
    assert verify_pdf(out, trust_roots=[pki.root.pem]).verdict == VALID  # offline: B-LT data embedded
    with pytest.raises(ConfigError):
        load_signer(Settings(home=tmp_path / "home", pkcs11_module=token.module))
