"""Build hook: the wheel carries the shipped scenarios and targets as package data.

The repository keeps ``scenarios/`` and ``calibration/`` at its top (the design card); a
wheel copies them into ``model/_shipped/`` so that an installed package finds them
(``model.config.files``). Everything else is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("scenarios", "calibration")
PATTERNS = ("*.toml", "*.md")


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies the shipped folders into the built package."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for folder in SHIPPED:
            for pattern in PATTERNS:
                for src in sorted((root / folder).rglob(pattern)):
                    dst = Path(self.build_lib) / "model" / "_shipped" / src.relative_to(root)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    self.copy_file(str(src), str(dst))


setup(cmdclass={"build_py": BuildWithShippedFiles})
