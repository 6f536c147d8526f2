"""The one error tree of sohoa.

Every failure a clerk or archivist can see is a :class:`SohoaError`.  Each carries:

* ``reason`` — a stable quarantine reason code (folder name under ``quarantine/`` and the
  ledger's ``reason`` column), so operators can group and script on it;
* ``transient`` — whether retrying later may succeed (only transient errors are retried);
* ``message_vi`` / ``message_en`` — what is wrong and what the clerk should do, in plain words.

Wrappers around external libraries (Tesseract, pyHanko, MinIO, the database) translate their
exceptions into these, so flows never see a library's own exception types.
"""

from __future__ import annotations

_SECRETS: set[str] = set()
REDACTED = "***"


def register_secret(value: str | bytes | None) -> None:
    """Remember a secret (key password, S3 credential) so no error text can ever carry it.

    Called once by the composition root for every secret setting; values shorter than 4 characters
    are ignored (redacting "a" would shred every message).
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class SohoaError(Exception):
    reason: str = "error"
    transient: bool = False
    message_vi: str = "Đã xảy ra lỗi khi xử lý tệp. Vui lòng báo cho quản trị hệ thống."
    message_en: str = "The file could not be processed. Please tell the system administrator."

    def __init__(self, detail: str = "", *, message_vi: str | None = None, message_en: str | None = None):
        # Library messages quoted in ``detail`` may echo a credential: scrub before anyone sees it.
        detail = redact(detail)
        super().__init__(detail or self.message_en)
        self.detail = detail
        if message_vi is not None:
            self.message_vi = redact(message_vi)
        if message_en is not None:
            self.message_en = redact(message_en)

    def clerk_text(self) -> str:
        """The text of a quarantine ``<file>.error.txt``: Vietnamese first, then English."""
        lines = [
            f"Lý do / Reason: {self.reason}",
            "",
            f"[VI] {self.message_vi}",
            f"[EN] {self.message_en}",
        ]
        if self.detail:
            lines += ["", f"Chi tiết / Detail: {self.detail}"]
        return "\n".join(lines) + "\n"


# --- bad input: never retried, the file goes to quarantine/<reason>/ -------------------------


class InputError(SohoaError):
    reason = "bad_input"


class EmptyFile(InputError):
    reason = "empty_file"
    message_vi = "Tệp rỗng (0 byte). Hãy quét lại tài liệu và đặt lại tệp vào thư mục."
    message_en = "The file is empty (0 bytes). Scan the document again and drop the new file in the folder."


class UnsupportedFileType(InputError):
    reason = "unsupported_type"
    message_vi = (
        "Tệp không phải là PDF, TIFF, JPEG hay PNG (kiểm tra theo nội dung, không theo đuôi tệp). "
        "Hãy lưu bản quét ở một trong các định dạng đó."
    )
    message_en = (
        "The file is not a PDF, TIFF, JPEG or PNG (checked by its content, not its name). "
        "Save the scan in one of those formats."
    )


class CorruptFile(InputError):
    reason = "corrupt_file"
    message_vi = "Tệp bị hỏng hoặc không đọc được. Hãy quét lại hoặc xuất lại tệp từ máy quét."
    message_en = "The file is damaged or cannot be read. Scan it again or export it again from the scanner."


class EncryptedPdf(InputError):
    reason = "encrypted_pdf"
    message_vi = "Tệp PDF có mật khẩu hoặc bị mã hóa. Hãy gỡ mật khẩu rồi đặt lại tệp."
    message_en = "The PDF is password-protected or encrypted. Remove the password and drop the file again."


class SidecarInvalid(InputError):
    reason = "sidecar_invalid"
    message_vi = (
        "Tệp thông tin kèm theo (<tên tệp>.json hoặc bảng kê CSV) không đọc được hoặc có giá trị sai "
        "(ví dụ ngày không đúng dạng DD/MM/YYYY). Hãy sửa tệp đó rồi đặt lại bản quét."
    )
    message_en = (
        "The clerk's data file (<file>.json sidecar or CSV manifest) cannot be read or holds a bad "
        "value (e.g. a date not in DD/MM/YYYY). Fix that file and drop the scan again."
    )


class AlreadySigned(InputError):
    reason = "already_signed"
    message_vi = (
        "Tệp PDF đã có chữ ký số; hệ thống không ghi đè lên chữ ký có sẵn. "
        "Hãy chuyển tệp cho cán bộ lưu trữ xử lý riêng."
    )
    message_en = (
        "The PDF already carries a digital signature, which sohoa will not break. "
        "Hand the file to an archivist to handle separately."
    )


class LimitExceeded(InputError):
    reason = "limit_exceeded"
    message_vi = "Tệp vượt quá giới hạn cho phép (số trang, kích thước ảnh hoặc thời gian xử lý). Hãy tách tệp nhỏ hơn."
    message_en = "The file exceeds a configured limit (pages, image size or processing time). Split it into smaller files."


class TooManyPages(LimitExceeded):
    reason = "too_many_pages"
    message_vi = (
        "Tệp có nhiều trang hơn giới hạn cho phép (SOHOA_MAX_PAGES). Hãy tách thành nhiều tệp nhỏ hơn."
    )
    message_en = (
        "The file has more pages than allowed (SOHOA_MAX_PAGES). Split it into several smaller files."
    )


class DecompressionBomb(LimitExceeded):
    """An image or PDF stream that claims or inflates to far more pixels/bytes than a scan has."""

    reason = "decompression_bomb"
    message_vi = (
        "Tệp khai báo ảnh hoặc dữ liệu nén lớn bất thường (có thể là tệp độc hại). "
        "Hệ thống không giải nén; hãy quét lại tài liệu ở độ phân giải thông thường (200–300 dpi)."
    )
    message_en = (
        "The file declares an abnormally large image or compressed stream (possibly malicious). "
        "It was not decompressed; scan the document again at a normal resolution (200–300 dpi)."
    )


class ProcessingTimeout(LimitExceeded):
    reason = "timeout"
    message_vi = (
        "Xử lý tệp quá thời gian cho phép (SOHOA_DOC_TIMEOUT_S). Hãy tách tệp nhỏ hơn hoặc báo quản trị."
    )
    message_en = "Processing the file took longer than allowed (SOHOA_DOC_TIMEOUT_S). Split it or tell the administrator."


class MemoryLimitExceeded(LimitExceeded):
    reason = "memory_limit"
    message_vi = "Xử lý tệp cần nhiều bộ nhớ hơn giới hạn (SOHOA_MAX_MEMORY_MB). Hãy tách tệp nhỏ hơn hoặc quét ở độ phân giải thấp hơn."
    message_en = "Processing the file needed more memory than allowed (SOHOA_MAX_MEMORY_MB). Split it or scan at a lower resolution."


class PdfActiveContent(InputError):
    """JavaScript, launch actions or embedded files: not a plain scan, and not ours to open."""

    reason = "pdf_active_content"
    message_vi = (
        "Tệp PDF chứa mã lệnh (JavaScript), lệnh chạy chương trình hoặc tệp đính kèm; một bản quét không có "
        "những thành phần này. Hãy quét lại tài liệu giấy hoặc in ra PDF không có đính kèm."
    )
    message_en = (
        "The PDF contains JavaScript, launch actions or embedded files, which a scan never has. "
        "Scan the paper again, or print it to a PDF without attachments."
    )


class UnsafeInput(InputError):
    """A symbolic link or other non-regular file in the inbox: never followed."""

    reason = "unsafe_input"
    message_vi = "Đây là liên kết (symlink) hoặc không phải tệp thông thường; hệ thống không mở. Hãy chép chính tệp vào thư mục."
    message_en = "This is a symbolic link or not a regular file; it is never opened. Copy the file itself into the folder."


class BlankDocument(InputError):
    reason = "no_text"
    message_vi = (
        "Không đọc được chữ nào trên bản quét. Kiểm tra bản quét có đúng mặt giấy và đủ rõ rồi quét lại."
    )
    message_en = "No text could be read from the scan. Check that the right side was scanned and is legible, then scan again."


class InvalidObjectKey(InputError):
    """A key that is not plain ASCII path segments; usually a unit folder with a non-ASCII name."""

    reason = "invalid_archive_key"
    message_vi = (
        "Mã đơn vị hoặc tên tệp có ký tự không dùng được trong kho lưu trữ (chỉ dùng chữ không dấu, "
        "chữ số, '.', '_', '-'). Hãy đặt tệp vào thư mục mang mã đơn vị (ví dụ inbox/663/)."
    )
    message_en = (
        "The unit code or file name has characters the archive cannot use (only ASCII letters, digits, "
        "'.', '_', '-'). Put the file in a folder named by the unit code (e.g. inbox/663/)."
    )


# --- processing failures ------------------------------------------------------------------


class OcrError(SohoaError):
    reason = "ocr_failed"
    message_vi = (
        "Nhận dạng chữ (OCR) thất bại. Tệp được giữ lại để xử lý lại; báo cho quản trị hệ thống nếu lặp lại."
    )
    message_en = "Text recognition (OCR) failed. The file is kept for another try; tell the administrator if it repeats."


class OcrUnavailable(OcrError):
    reason = "ocr_unavailable"
    message_en = "Tesseract or its Vietnamese language data (vie) is not installed. Run `make setup`."
    message_vi = "Chưa cài Tesseract hoặc dữ liệu tiếng Việt (vie). Chạy `make setup`."


class SigningError(SohoaError):
    reason = "signing_failed"
    message_vi = "Không ký số được bản điện tử. Kiểm tra chứng thư số của cơ quan (hết hạn, sai mật khẩu, thiếu token)."
    message_en = "The electronic copy could not be signed. Check the agency certificate (expired, wrong password, token missing)."


class SignatureInvalid(SohoaError):
    reason = "signature_invalid"
    message_vi = "Chữ ký số trên bản điện tử không hợp lệ ngay sau khi ký. Báo cho quản trị hệ thống."
    message_en = (
        "The signature on the electronic copy did not validate right after signing. Tell the administrator."
    )


class StorageError(SohoaError):
    reason = "storage_unavailable"
    transient = True
    message_vi = "Kho lưu trữ tạm thời không truy cập được; tệp sẽ được xử lý lại sau."
    message_en = "The archive store is unreachable for now; the file will be processed again later."


class ObjectNotFound(StorageError):
    """The key is not in the store. Not transient: asking again will not make it appear."""

    reason = "object_missing"
    transient = False
    message_vi = "Không tìm thấy bản lưu trong kho lưu trữ. Báo cho quản trị hệ thống."
    message_en = "The archived object was not found in the store. Tell the administrator."


class ObjectLocked(StorageError):
    """A delete or overwrite of an archived object that its retention or legal hold forbids."""

    reason = "object_locked"
    transient = False
    message_vi = (
        "Bản lưu đang trong thời hạn bảo quản hoặc bị phong tỏa (legal hold) nên không thể xóa hay ghi đè. "
        "Chỉ cán bộ lưu trữ có thẩm quyền mới được hủy tài liệu khi hết thời hạn bảo quản."
    )
    message_en = (
        "The archived object is under retention or legal hold and cannot be deleted or overwritten. "
        "Only an authorised archivist may dispose of it once its retention period has ended."
    )


class IntegrityError(SohoaError):
    reason = "integrity_mismatch"
    transient = True
    message_vi = "Bản lưu trong kho đọc lại không khớp mã băm SHA-256; tệp gốc được giữ lại và sẽ lưu lại."
    message_en = (
        "The archived copy read back with a different SHA-256; the original is kept and will be stored again."
    )


class LedgerError(SohoaError):
    reason = "ledger_unavailable"
    transient = True
    message_vi = "Sổ cái (cơ sở dữ liệu) tạm thời không truy cập được; tệp sẽ được xử lý lại sau."
    message_en = "The ledger database is unreachable for now; the file will be processed again later."


class ConfigError(SohoaError):
    reason = "config_error"
    message_vi = "Cấu hình hệ thống chưa đúng. Báo cho quản trị hệ thống."
    message_en = "sohoa is not configured correctly. Tell the administrator."


class InternalError(SohoaError):
    reason = "internal_error"
    message_vi = "Lỗi nội bộ của hệ thống khi xử lý tệp. Tệp được giữ nguyên; báo cho quản trị hệ thống."
    message_en = (
        "sohoa hit an internal error on this file. The file is kept as it was; tell the administrator."
    )


class RegisterInvalid(InputError):
    """An office register (denominators) with bad rows; nothing of it was imported. ``problems``
    lists every bad row as ``(line, why)``."""

    reason = "bad_register"
    message_vi = (
        "Sổ theo dõi (tệp số kết quả còn hiệu lực) có dòng sai; chưa nhập dòng nào. "
        "Sửa các dòng được liệt kê rồi nhập lại cả tệp."
    )
    message_en = "The register file has bad rows; nothing was imported. Fix the rows listed and import the whole file again."

    def __init__(self, detail: str = "", *, problems: list[tuple[int, str]] | None = None):
        super().__init__(detail)
        self.problems = problems or []


class ReviewError(InputError):
    """A review-queue correction that cannot be applied (unknown document or field, bad value)."""

    reason = "bad_correction"
    message_vi = (
        "Không sửa được trường siêu dữ liệu này; xem chi tiết, kiểm tra mã tài liệu, tên trường và giá trị."
    )
    message_en = "This metadata correction cannot be applied; check the document hash, field name and value."
