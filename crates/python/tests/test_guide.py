"""Every example of the Python guides runs as shown: the ```python blocks of each page, in
order, in one namespace, in a directory holding copies of sample-data/ and pipeline/. Each
page runs in a Python process of its own, started in that directory, as a reader would run
it: Spark's JVM resolves the examples' relative paths from the directory it started in, so a
JVM left from another test would read other files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGES = ["docs/guide/python.md", "docs/guide/spark.md"]


def blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


@pytest.mark.parametrize("page", PAGES)
def test_every_example_of_the_page_runs(page, tmp_path):
    found = blocks(ROOT / page)
    assert found, f"{page} has no python examples"
    for d in ("sample-data", "pipeline"):
        shutil.copytree(ROOT / d, tmp_path / d)
    # The blocks in order, each compiled under its own name so an error names its example.
    script = "\n".join(
        f"exec(compile({code!r}, {f'{page} example {i}'!r}, 'exec'))" for i, code in enumerate(found, 1)
    )
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
