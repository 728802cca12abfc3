"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPORA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The shared corpora folder (../shared/corpora beside the clone); skips when absent."""
    if not CORPORA_DIR.is_dir():
        pytest.skip(f"shared corpora not found: {CORPORA_DIR}")
    return CORPORA_DIR
