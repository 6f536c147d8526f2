"""A test PKI that behaves like a real one: CAs, signers, a TSA and OCSP/CRL responders on loopback.

Why not the dev PKI (:mod:`signing.pki`)? Its certificates name no revocation service, so
revocation checking, long-term validation (B-LT/B-LTA) and timestamping are never exercised.
Here a root CA and an intermediate CA publish CRLs and answer OCSP, a TSA answers RFC 3161
requests, all over HTTP on ``127.0.0.1`` (never the network), and three agency signers exist:
a good one, a revoked one and an expired one. Tests and ``bench/signing.py`` use it; nothing in
the pipeline does.

The HTTP server is bound before any certificate is minted, because the certificates carry its
URLs (AIA OCSP, CRL distribution points), exactly as a licensed CA's certificates do.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

_UTC = dt.UTC


@dataclass(frozen=True)
class Issued:
    """A certificate with its key (``cryptography`` objects)."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_pkcs8(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass
class _CaState:
    ca: Issued
    revoked: dict[int, dt.datetime] = field(default_factory=dict)


def _name(cn: str, org: str = "sohoa test PKI") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    # RSA 2048 keeps key generation fast; DummyTimeStamper (our TSA) is RSA-only anyway.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ku(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class TestPki:
    """Root → intermediate → {signer, revoked signer, expired signer, TSA}, served on loopback.

    Use as a context manager (or call :meth:`close`): the server thread is a daemon either way.
    ``revoked_at`` is when the revoked signer was revoked (one hour before creation).
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, agency_name: str = "SỞ THỬ NGHIỆM") -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.pki = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.extra_issued: list[x509.Certificate] = []
        """Certificates from :meth:`issue_for_key`, known to the OCSP responder."""
        self.requests: list[str] = []
        """Paths requested so far (tests use it to prove a network call did or did not happen)."""
        now = dt.datetime.now(_UTC).replace(microsecond=0)
        self.created = now
        start = now - dt.timedelta(days=30)
        far = now + dt.timedelta(days=3650)

        root_key = _key()
        root_cert = self._build(
            _name("sohoa Test Root CA"), root_key, _name("sohoa Test Root CA"), root_key, None,
            start, far, ca=True, path_len=1, crl="root",
        )  # fmt: skip
        self.root = Issued(root_cert, root_key)
        inter_key = _key()
        self.intermediate = Issued(
            self._build(
                _name("sohoa Test Intermediate CA"), inter_key, root_cert.subject, root_key, root_cert,
                start, far, ca=True, path_len=0, crl="root", ocsp_url=True,
            ),
            inter_key,
        )  # fmt: skip
        self.signer = self._leaf(agency_name, start, now + dt.timedelta(days=365))
        self.revoked_signer = self._leaf(agency_name + " (thu hồi)", start, now + dt.timedelta(days=365))
        self.expired_signer = self._leaf(agency_name + " (hết hạn)", start, now - dt.timedelta(days=2))
        self.tsa = self._leaf("sohoa Test TSA", start, far - dt.timedelta(days=1), tsa=True)
        self.revoked_at = now - dt.timedelta(hours=1)

        self._cas = {
            "root": _CaState(self.root),
            "inter": _CaState(self.intermediate, {self.revoked_signer.cert.serial_number: self.revoked_at}),
        }
        self._stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(self.tsa.der),
            tsa_key=asn1_keys.PrivateKeyInfo.load(self.tsa.key_pkcs8()),
            certs_to_embed=[asn1_x509.Certificate.load(self.intermediate.der)],
        )
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # --- certificates -----------------------------------------------------------------------

    def _build(
        self,
        subject: x509.Name,
        key: rsa.RSAPrivateKey | rsa.RSAPublicKey,
        issuer: x509.Name,
        issuer_key: rsa.RSAPrivateKey,
        issuer_cert: x509.Certificate | None,
        not_before: dt.datetime,
        not_after: dt.datetime,
        *,
        ca: bool,
        path_len: int | None = None,
        crl: str | None = None,
        ocsp_url: bool = False,
        tsa: bool = False,
    ) -> x509.Certificate:
        public = key if isinstance(key, rsa.RSAPublicKey) else key.public_key()
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None), critical=True)
            .add_extension(_ku(ca=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )
        if issuer_cert is not None:
            b = b.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        if crl:
            b = b.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(f"{self.base_url}/crl/{crl}.crl")],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        if ocsp_url:
            b = b.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(f"{self.base_url}/ocsp"),
                        )
                    ]
                ),
                critical=False,
            )
        if tsa:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        return b.sign(issuer_key, hashes.SHA256())

    def _leaf(self, cn: str, not_before: dt.datetime, not_after: dt.datetime, *, tsa: bool = False) -> Issued:
        key = _key()
        cert = self._build(
            _name(cn, cn if not tsa else "sohoa test PKI"), key,
            self.intermediate.cert.subject, self.intermediate.key, self.intermediate.cert,
            not_before, not_after, ca=False, crl="inter", ocsp_url=True, tsa=tsa,
        )  # fmt: skip
        return Issued(cert, key)

    def issue_for_key(self, public_key: rsa.RSAPublicKey, cn: str) -> x509.Certificate:
        """An agency signer certificate for a key generated elsewhere (on a PKCS#11 token),
        as a CA issues one from the token's certificate request."""
        now = dt.datetime.now(_UTC)
        cert = self._build(
            _name(cn, cn), public_key, self.intermediate.cert.subject, self.intermediate.key,
            self.intermediate.cert, now - dt.timedelta(days=1), now + dt.timedelta(days=365),
            ca=False, crl="inter", ocsp_url=True,
        )  # fmt: skip
        self.extra_issued.append(cert)
        return cert

    def new_signer(self, cn: str) -> Issued:
        """Another agency signer under the intermediate, valid for a year (the responder knows it)."""
        now = dt.datetime.now(_UTC)
        issued = self._leaf(cn, now - dt.timedelta(days=1), now + dt.timedelta(days=365))
        self.extra_issued.append(issued.cert)
        return issued

    def revoke(self, cert: x509.Certificate, when: dt.datetime) -> None:
        """Revoke a certificate issued by the intermediate as of ``when`` (CRL and OCSP both)."""
        self._cas["inter"].revoked[cert.serial_number] = when

    def p12(self, who: Issued, password: bytes) -> bytes:
        """A PKCS#12 bundle of ``who`` with the intermediate and root, as a CA delivers it."""
        return pkcs12.serialize_key_and_certificates(
            name=b"signer",
            key=who.key,
            cert=who.cert,
            cas=[self.intermediate.cert, self.root.cert],
            encryption_algorithm=serialization.BestAvailableEncryption(password),
        )

    def write_trust_dir(self, folder: Path) -> Path:
        """Write the root certificate into ``folder`` (a ``--trust`` / SOHOA_TRUST_DIR folder)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sohoa-test-root.pem").write_bytes(self.root.pem)
        return folder

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/tsa"

    def crl(self, which: str) -> bytes:
        state = self._cas[which]
        now = dt.datetime.now(_UTC)
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(state.ca.cert.subject)
            .last_update(now - dt.timedelta(minutes=1))
            .next_update(now + dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(state.ca.cert.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        for serial, when in state.revoked.items():
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return b.sign(state.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response(self, request_der: bytes) -> bytes:
        req = ocsp.load_der_ocsp_request(request_der)
        for state in self._cas.values():
            ca_key_hash = x509.SubjectKeyIdentifier.from_public_key(state.ca.cert.public_key()).digest
            digest = hashes.Hash(req.hash_algorithm)
            digest.update(
                state.ca.cert.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.PKCS1
                )
            )
            if req.issuer_key_hash in (ca_key_hash, digest.finalize()):
                break
        else:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        leaf = next((c for c in self._issued_by(state) if c.serial_number == req.serial_number), None)
        if leaf is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        now = dt.datetime.now(_UTC).replace(microsecond=0)
        revoked = state.revoked.get(req.serial_number)
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=leaf,
            issuer=state.ca.cert,
            algorithm=hashes.SHA1() if isinstance(req.hash_algorithm, hashes.SHA1) else hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now - dt.timedelta(seconds=5),
            next_update=now + dt.timedelta(days=1),
            revocation_time=revoked,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        )
        b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, state.ca.cert)
        for ext in req.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                b = b.add_extension(ext.value, critical=False)
        return b.sign(state.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def _issued_by(self, state: _CaState) -> list[x509.Certificate]:
        if state.ca is self.root:
            return [self.intermediate.cert]
        return [s.cert for s in (self.signer, self.revoked_signer, self.expired_signer, self.tsa)] + list(
            self.extra_issued
        )

    def timestamp_response(self, request_der: bytes) -> bytes:
        return self._stamper.request_tsa_response(tsp.TimeStampReq.load(request_der)).dump()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> TestPki:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output quiet

    def _reply(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        pki: TestPki = self.server.pki  # type: ignore[attr-defined]
        pki.requests.append(self.path)
        if self.path in ("/crl/root.crl", "/crl/inter.crl"):
            self._reply(pki.crl(self.path.split("/")[-1].removesuffix(".crl")), "application/pkix-crl")
        else:
            self.send_error(404)

    def do_POST(self) -> None:  # noqa: N802
        pki: TestPki = self.server.pki  # type: ignore[attr-defined]
        pki.requests.append(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            if self.path == "/ocsp":
                self._reply(pki.ocsp_response(body), "application/ocsp-response")
            elif self.path == "/tsa":
                self._reply(pki.timestamp_response(body), "application/timestamp-reply")
            else:
                self.send_error(404)
        except Exception:  # noqa: BLE001 - a malformed request gets a 400, like a real responder
            self.send_error(400)
