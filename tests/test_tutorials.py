"""Every tutorial runs top to bottom on small data and writes its figures.

Each ``tutorials/NN_*.py`` lesson is run in this process with :func:`runpy.run_path`
(so ``__file__`` is the lesson's own path), from a temporary working directory, with
``NEURODECODE_QUICK=1``, ``MPLBACKEND=Agg`` and ``NEURODECODE_FIGURES`` pointing into that
directory. Lessons that read the team's real recordings in ``../shared/data`` run twice:
on the real files (marked ``shared_data``, skipped when the folder is absent) and from a
copy placed where the folder cannot be found, to check that their synthetic fallback
works for users who do not have it.
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
LESSONS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))


def reads_shared_data(lesson: Path) -> bool:
    """Whether a lesson looks for the real recordings beside the repository."""
    text = lesson.read_text(encoding="utf-8")
    return '"shared"' in text and '"data"' in text


@pytest.fixture
def lesson_env(tmp_path, monkeypatch):
    """Quick sizes, the Agg backend, figures into tmp_path, cwd = tmp_path.

    Returns the figures folder. Restores torch's thread count and the BLAS thread limits
    and closes every figure afterwards (the lessons run in this process).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import scipy.linalg  # noqa: F401  (load SciPy's BLAS before limiting its threads)
    import torch
    from threadpoolctl import threadpool_limits

    figures = tmp_path / "figures"
    monkeypatch.setenv("NEURODECODE_QUICK", "1")
    monkeypatch.setenv("NEURODECODE_FAST", "1")  # the name STYLE.md uses
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NEURODECODE_FIGURES", str(figures))
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    # The lessons train many small models; one thread avoids oversubscribing a shared
    # machine (results do not depend on it). The same for NumPy's and SciPy's BLAS: with
    # two threads on a busy 2-core machine, the fits of lesson 8 ran 10x slower.
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield figures
    finally:
        torch.set_num_threads(threads)
        plt.close("all")


def run_lesson(path: Path, figures: Path) -> dict:
    """Run one lesson as a script; check it wrote figures; return its globals."""
    namespace = runpy.run_path(str(path), run_name="__main__")
    pngs = sorted(figures.glob("*.png"))
    assert pngs, f"{path.name} wrote no PNG figure to {figures}"
    assert all(p.stat().st_size > 0 for p in pngs), f"{path.name} wrote an empty PNG"
    return namespace


def lesson_params():
    for lesson in LESSONS:
        marks = [pytest.mark.slow]
        if reads_shared_data(lesson):
            marks.append(pytest.mark.shared_data)
        yield pytest.param(lesson, id=lesson.stem, marks=marks)


def test_lessons_are_found():
    assert len(LESSONS) >= 5, f"expected at least 5 lessons in {TUTORIALS}"


@pytest.mark.parametrize("lesson", list(lesson_params()))
def test_tutorial_runs(lesson, lesson_env, request):
    if reads_shared_data(lesson):
        data = request.getfixturevalue("shared_data")  # skips when ../shared/data is absent
        assert data.is_dir()
    namespace = run_lesson(lesson, lesson_env)
    if reads_shared_data(lesson) and "USING_SHARED_DATA" in namespace:
        assert namespace["USING_SHARED_DATA"] is True, (
            f"{lesson.name} did not use the real recordings although they are present")


@pytest.mark.slow
@pytest.mark.parametrize("lesson", [pytest.param(p, id=p.stem) for p in LESSONS
                                    if reads_shared_data(p)])
def test_tutorial_runs_without_shared_data(lesson, lesson_env, tmp_path):
    # tmp_path/copy/tutorials/NN.py: a lesson looks for <parents[2]>/shared/data, that is
    # tmp_path/shared/data, which does not exist
    copy = tmp_path / "copy" / "tutorials" / lesson.name
    copy.parent.mkdir(parents=True)
    shutil.copy(lesson, copy)
    assert not (copy.resolve().parents[2] / "shared" / "data").exists()
    namespace = run_lesson(copy, lesson_env)
    if "USING_SHARED_DATA" in namespace:
        assert namespace["USING_SHARED_DATA"] is False
