"""The README's two commands, as the tests read them (the README is the single source)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_command(marker: str) -> str:
    """The command in the ```bash block after ``<!-- marker -->`` in README.md."""
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", text)
    assert m, f"README.md has no command after <!-- {marker} -->"
    return m.group(1).strip()


def course_lab_arguments() -> list[str]:
    """What the course command passes to ``jupyter lab`` (root folder, first lesson, ...)."""
    last = readme_command("course-command").split("&&")[-1]
    words = shlex.split(last)
    assert words[0].endswith("jupyter") and words[1] == "lab", f"the course command must end in `jupyter lab`: {last}"
    return words[2:]
