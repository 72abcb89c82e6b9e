"""The font reports are set in, shipped with the package so that no machine needs a Chinese font.

``NotoSansCJKsc-Regular-subset.otf`` is Noto Sans CJK SC Regular (version 2.004, from Debian's
``fonts-noto-cjk``), licensed under the SIL Open Font License 1.1 (``OFL.txt`` beside it),
cut down with fontTools to what reports write: ASCII and Latin-1, general punctuation and
symbols, CJK punctuation, full-width forms and the 6,763 hanzi of GB 2312 (2.9 MB instead of
16 MB). The subset keeps the font's names; the OFL's reserved name ("Source") is not used.
A character outside the subset (a rare hanzi in a name) is reported by the PDF writer and
shown by the reader's own font in a Word file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPORT_FONT", "REPORT_FONT_FAMILY"]

#: The font file (OpenType, CFF outlines).
REPORT_FONT = Path(__file__).with_name("NotoSansCJKsc-Regular-subset.otf")
#: Its family name, as a Word document names it.
REPORT_FONT_FAMILY = "Noto Sans CJK SC"
