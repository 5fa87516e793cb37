"""Fixtures of the command-line tests: small synthetic NWB sessions and a CLI runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from neurodecode.__main__ import main
from neurodecode.data import orientation_population, save_nwb


@dataclass
class Run:
    """What one in-process run of the command line returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The test problems are tiny: a second torch thread only adds synchronisation, and on
    a busy machine its spin-waiting makes small fits ten times slower. Restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def cli(capsys):
    """Run ``neurodecode ARGS`` in-process through the real entry point."""

    def run(*args: object) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def orientation_nwb(tmp_path_factory) -> Path:
    """A circular-stimulus session: 40 Poisson neurons x 150 trials, orientation in degrees."""
    rec, _ = orientation_population(40, 150, random_state=0)
    return save_nwb(rec, tmp_path_factory.mktemp("nwb") / "orientation.nwb")


@pytest.fixture(scope="session")
def category_nwb(tmp_path_factory) -> Path:
    """A categorical-stimulus session: the orientation binned into 4 classes."""
    rec, _ = orientation_population(40, 160, random_state=1)
    return save_nwb(rec.bin_stimulus(4), tmp_path_factory.mktemp("nwb") / "category.nwb")
