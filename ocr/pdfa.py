"""The PDF/A-2b parts of the searchable PDF: XMP metadata and the sRGB output intent.

PDF/A-2b (ISO 19005-2, level B: "the pages look the same forever") asks of our files: every font
embedded (the GlyphLessFont is), device colours given meaning by an output intent with an
embedded ICC profile, no transparency, no encryption, a file ``/ID``, and XMP metadata that
declares the conformance (``pdfaid:part`` 2, ``pdfaid:conformance`` B) and repeats the document
information dictionary exactly (title, author, subject, keywords, producer, creator tool, dates).
Only predefined XMP schemas are used (Dublin Core, XMP basic, Adobe PDF, PDF/A id), so no
extension schema is needed. A later incremental update (pyHanko's signature) keeps PDF/A-2b.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from schemas.errors import ConfigError

ICC_PATH = Path(__file__).parent / "icc" / "sRGB.icc"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"


@cache
def srgb_profile() -> bytes:
    """The shipped sRGB ICC profile (v2, zlib licence; see ``ocr/icc/NOTICE.md``)."""
    try:
        return ICC_PATH.read_bytes()
    except OSError as exc:
        raise ConfigError(f"sRGB ICC profile missing: {ICC_PATH} ({exc}); reinstall sohoa") from exc


def pdf_date(when: dt.datetime) -> str:
    """A PDF date string, ``D:YYYYMMDDHHmmSS+HH'mm'`` (a naive time is taken as UTC)."""
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    off = when.utcoffset() or dt.timedelta(0)
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return when.strftime("D:%Y%m%d%H%M%S") + f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def xmp_date(when: dt.datetime) -> str:
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return when.isoformat(timespec="seconds")


def xmp_packet(info: Mapping[str, str], created: dt.datetime | None) -> bytes:
    """The XMP packet mirroring the document information dictionary ``info`` (already final:
    the same strings go in both places, as PDF/A requires)."""
    props = ["<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>"]
    props.append("<dc:format>application/pdf</dc:format>")

    def alt(tag: str, value: str) -> str:
        return f'<{tag}><rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li></rdf:Alt></{tag}>'

    if info.get("Title"):
        props.append(alt("dc:title", info["Title"]))
    if info.get("Subject"):
        props.append(alt("dc:description", info["Subject"]))
    if info.get("Author"):
        props.append(f"<dc:creator><rdf:Seq><rdf:li>{escape(info['Author'])}</rdf:li></rdf:Seq></dc:creator>")
    if info.get("Keywords"):
        props.append(f"<pdf:Keywords>{escape(info['Keywords'])}</pdf:Keywords>")
    if info.get("Producer"):
        props.append(f"<pdf:Producer>{escape(info['Producer'])}</pdf:Producer>")
    if info.get("Creator"):
        props.append(f"<xmp:CreatorTool>{escape(info['Creator'])}</xmp:CreatorTool>")
    if created is not None:
        stamp = xmp_date(created)
        props += [
            f"<xmp:CreateDate>{stamp}</xmp:CreateDate>",
            f"<xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
            f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
        ]
    body = "\n    ".join(props)
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
    {body}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")
