from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "pages"
FETCHED_AT = "2026-11-28T03:00:00+00:00"


def page_cases() -> list[Path]:
    """Every saved page that has an expected-JSON file beside it."""
    return sorted(path for path in PAGES.glob("*.json") if path.with_suffix(".html").exists())


def load_case(json_path: Path) -> tuple[dict, bytes]:
    expected = json.loads(json_path.read_text(encoding="utf-8"))
    return expected, json_path.with_suffix(".html").read_bytes()


@pytest.fixture
def fixture_page():
    """Load a saved page by name: returns (expected JSON, html bytes)."""
    return lambda name: load_case(PAGES / f"{name}.json")
