"""Assertions shared by the command-line tests."""

from __future__ import annotations

from typing import Any


def assert_one_line_error(run: Any, *fragments: str) -> None:
    """Exit status 2, one line on stderr that names the problem, no traceback."""
    assert run.code == 2, (run.out, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("neurodecode: error: ")
    assert "Traceback" not in run.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
