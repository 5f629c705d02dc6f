"""Every example of the Python guides runs as shown: the ```python blocks of each page, in
order, in one namespace, in a directory holding copies of sample-data/ and pipeline/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGES = ["docs/guide/python.md", "docs/guide/spark.md"]


def blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


@pytest.mark.parametrize("page", PAGES)
def test_every_example_of_the_page_runs(page, tmp_path, monkeypatch):
    found = blocks(ROOT / page)
    assert found, f"{page} has no python examples"
    for d in ("sample-data", "pipeline"):
        shutil.copytree(ROOT / d, tmp_path / d)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, code in enumerate(found, 1):
        exec(compile(code, f"{page} example {i}", "exec"), namespace)
