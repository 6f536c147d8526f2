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


class SohoaError(Exception):
    reason: str = "error"
    transient: bool = False
    message_vi: str = "Đã xảy ra lỗi khi xử lý tệp. Vui lòng báo cho quản trị hệ thống."
    message_en: str = "The file could not be processed. Please tell the system administrator."

    def __init__(self, detail: str = "", *, message_vi: str | None = None, message_en: str | None = None):
        super().__init__(detail or self.message_en)
        self.detail = detail
        if message_vi is not None:
            self.message_vi = message_vi
        if message_en is not None:
            self.message_en = message_en

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
