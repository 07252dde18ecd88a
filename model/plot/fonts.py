"""Fonts for the Chinese pack: a CJK font found by family name, or one given by path."""

from __future__ import annotations

from pathlib import Path

from matplotlib import font_manager

from model.config.errors import ScenarioError

__all__ = ["CJK_FAMILIES", "cjk_font"]

#: File names of the CJK font families below, for a font installed after matplotlib's cache.
CJK_FILE_KEYS = ("notosanscjk", "sourcehansans", "wqy")

#: CJK families tried in order (the first installed one is used).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
)


def cjk_font(path: str | Path | None = None) -> str:
    """The family name of a CJK font: the one at ``path``, else the first installed.

    Raises:
        ScenarioError: No CJK font is installed (naming a package to install), or ``path``
            is not a font file.
    """
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ScenarioError(str(p), "--font", "no such font file")
        font_manager.fontManager.addfont(str(p))
        return font_manager.FontProperties(fname=str(p)).get_name()
    for attempt in range(2):
        installed = {f.name for f in font_manager.fontManager.ttflist}
        for family in CJK_FAMILIES:
            if family in installed:
                return family
        if attempt == 0:
            # matplotlib's font cache may predate the font's installation: look again.
            for file in font_manager.findSystemFonts():
                if any(key in Path(file).name.lower() for key in CJK_FILE_KEYS):
                    font_manager.fontManager.addfont(file)
    raise ScenarioError(
        "--lang zh",
        "font",
        "no CJK font found (tried " + ", ".join(CJK_FAMILIES) + "); install one, e.g. "
        "`apt-get install fonts-noto-cjk`, or give --font PATH",
    )
