"""Word lists of a page's last part for the signer tests: the body's last line and "Nơi nhận"."""

from __future__ import annotations

from schemas.documents import OcrWord


def word(text: str, left: int, top: int, conf: float = 95.0, block: int = 1, line: int = 0) -> OcrWord:
    """One word box, 20 px a letter and 30 px tall."""
    return OcrWord(text, left, top, 20 * len(text), 30, conf, block=block, paragraph=1, line=line)


def body_and_recipients() -> list[OcrWord]:
    """The body's closing line and the "Nơi nhận" list at the left, as a page's reading holds them."""
    return [
        word("Trên", 230, 200, line=1),
        word("đây", 340, 200, line=1),
        word("là", 430, 200, line=1),
        word("báo", 1200, 200, line=1),
        word("cáo./.", 1300, 200, line=1),
        word("Nơi", 230, 300, line=2),
        word("nhận:", 310, 300, line=2),
        word("-", 230, 350, line=3),
        word("Lưu:", 260, 350, line=3),
        word("VT.", 360, 350, line=3),
    ]
