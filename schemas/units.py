"""Administrative units known out of the box (Đắk Nông, 2021), until a full seed is loaded.

GSO codes: province 67; its eight district-level units 660–667 (../shared/DOMAIN.md §5).
Units are data with levels, not an enum: the full seed with communes, validity periods and the
1/7/2025 reorganization is loaded into the ledger's ``Unit`` table.
"""

from __future__ import annotations

from types import MappingProxyType

DAK_NONG_2021 = MappingProxyType(
    {
        "67": ("Tỉnh Đắk Nông", "tinh", None),
        "660": ("Thành phố Gia Nghĩa", "huyen", "67"),
        "661": ("Huyện Đắk Glong", "huyen", "67"),
        "662": ("Huyện Cư Jút", "huyen", "67"),
        "663": ("Huyện Đắk Mil", "huyen", "67"),
        "664": ("Huyện Krông Nô", "huyen", "67"),
        "665": ("Huyện Đắk Song", "huyen", "67"),
        "666": ("Huyện Đắk R'Lấp", "huyen", "67"),
        "667": ("Huyện Tuy Đức", "huyen", "67"),
    }
)
