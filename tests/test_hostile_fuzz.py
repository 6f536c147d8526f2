"""Property-based fuzzing (hypothesis) of what parses untrusted input: file-type sniffing, page
decoding and the metadata parser. Bounded (example counts and per-example deadlines) so it runs
in CI on every push, with a fixed seed (``derandomize``) so CI is repeatable; set
``HYPOTHESIS_PROFILE=fuzz-long`` for a longer, random hunt.

The property: random or mutated bytes never raise anything but a ``SohoaError`` (so the flow
quarantines the file with a reason), and never hang.
"""

from __future__ import annotations

import dataclasses
import os
import unicodedata

import hostile_corpus as hc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocr.metadata import extract_metadata_from_text
from ocr.pages import PageImage, load_pages, sniff_kind
from schemas.errors import SohoaError

settings.register_profile(
    "fuzz-ci", max_examples=200, deadline=3000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "fuzz-long", max_examples=5000, deadline=10000, suppress_health_check=list(HealthCheck)
)
FUZZ = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci"))
LIMITS = {"max_pages": 20, "max_pixels": 4_000_000}
# Pillow warns about the damage it skips over; what matters here is what it raises.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SEEDS = {
    "png": hc.encode(hc.page_image(60, 80), "PNG"),
    "jpeg": hc.encode(hc.page_image(60, 80), "JPEG", quality=70),
    "tiff": hc.encode(hc.page_image(60, 80), "TIFF", compression="tiff_deflate"),
    "tiff_raw": hc.encode(hc.page_image(40, 40), "TIFF"),
    "pdf": hc.plain_pdf(),
    "pdf_js": hc.javascript_pdf(),
}


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed file with some bytes flipped, a slice cut out or duplicated, or the end cut off."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "cut", "dup", "truncate", "int"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i : i + draw(st.integers(1, 64))]
        elif op == "dup":
            data[i:i] = data[i : i + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[i:]
        else:  # a plausible big number where a size or offset may sit
            data[i : i + 4] = draw(
                st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"9999", b"\x7f\xff"])
            )
    return bytes(data)


def _decode_or_reason(data: bytes) -> list[PageImage] | SohoaError:
    try:
        return load_pages(data, **LIMITS)
    except SohoaError as exc:  # the only thing allowed out
        return exc


@FUZZ
@given(st.binary(max_size=2048))
def test_sniff_kind_on_random_bytes(data: bytes) -> None:
    try:
        kind = sniff_kind(data)
    except SohoaError as exc:
        assert exc.reason in {"empty_file", "unsupported_type"}
        return
    assert kind in {"pdf", "tiff", "jpeg", "png"}


@FUZZ
@given(st.binary(max_size=4096))
def test_load_pages_on_random_bytes(data: bytes) -> None:
    result = _decode_or_reason(data)
    assert isinstance(result, SohoaError | list)


@FUZZ
@given(mutated())
def test_load_pages_on_mutated_files(data: bytes) -> None:
    result = _decode_or_reason(data)
    if isinstance(result, list):
        assert 1 <= len(result) <= LIMITS["max_pages"]
        for page in result:
            assert page.width * page.height <= LIMITS["max_pixels"]
            assert page.image.dtype.name == "uint8"


def test_seeds_decode() -> None:
    """The fuzz seeds are valid files, so mutations start from something that decodes."""
    for name, data in SEEDS.items():
        if name != "pdf_js":
            assert len(load_pages(data, **LIMITS)) == 1, name


# --- the metadata parser: OCR text is attacker-controlled too (it is whatever the scan shows) ---

HEADER_LINES = [
    "ỦY BAN NHÂN DÂN",
    "TỈNH ĐẮK NÔNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 392/KH-UBND",
    "Đắk Nông, ngày 02 tháng 6 năm 2021",
    "QUYẾT ĐỊNH",
    "V/v cấp giấy chứng nhận",
    "KT. CHỦ TỊCH",
    "Trần Xuân Hải",
    "Số:" + " 1/" * 200,
    "ngày " * 300,
    "Ð\u00a0’—\u200b\ufeff",
]
_alphabet = st.characters(codec="utf-8", exclude_categories=["Cs"])
_line = st.one_of(
    st.sampled_from(HEADER_LINES),
    st.text(alphabet=_alphabet, max_size=200),
    st.sampled_from(HEADER_LINES).map(lambda s: unicodedata.normalize("NFD", s)),
    st.text(alphabet="Số:/-.,0123456789 ngàytháng năm QĐKH-UBND\t\r\x00\x1b", max_size=300),
)
_page = st.lists(_line, max_size=40).map("\n".join)


@FUZZ
@given(st.lists(_page, max_size=3))
def test_metadata_parser_on_hostile_text(pages: list[str]) -> None:
    try:
        meta = extract_metadata_from_text(pages)
    except SohoaError:
        return
    for field in dataclasses.fields(meta):
        value = getattr(meta, field.name)
        if isinstance(value, str):
            assert value == unicodedata.normalize("NFC", value), field.name


@pytest.mark.parametrize("n", [10_000, 100_000])
def test_metadata_parser_linear_on_long_lines(n: int) -> None:
    """Pathological input for backtracking regexes finishes (hypothesis' deadline would not see
    a line this long)."""
    import time

    started = time.monotonic()
    extract_metadata_from_text(["Số: " + "1/" * n, "ngày " + "0" * n, "-" * n])
    assert time.monotonic() - started < 20
