"""``import neurodecode`` and the command line's argument parsing stay light.

Heavy dependencies load when first used: each check runs in a fresh interpreter and
looks at ``sys.modules`` (never at the clock; ``benchmarks/startup.py`` does the timing).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "pynwb", "matplotlib", "sklearn", "h5py", "neurodecode.decoders")


def loaded_after(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; return which of :data:`HEAVY` it imported."""
    report = (
        "\nimport json, sys\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps([h for h in heavy if any(m == h or m.startswith(h + '.')"
        " for m in sys.modules)]))"
    )
    done = subprocess.run([sys.executable, "-c", code + report], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import neurodecode",
    "import neurodecode; neurodecode.__version__; dir(neurodecode)",
    "import neurodecode.data",
    "from neurodecode.__main__ import main; main(['--help'])",
    "from neurodecode.__main__ import main; main(['--version'])",
    "from neurodecode.__main__ import main; main(['decode', '--help'])",
    "from neurodecode.__main__ import main; main([])",
    "from neurodecode.cli import build_parser; build_parser()",
])
def test_startup_imports_no_heavy_module(code):
    assert loaded_after(code) == set()


def test_recording_does_not_load_file_formats():
    """``Recording`` needs torch (tensors), not the NWB, HDF5 or plotting stacks."""
    loaded = loaded_after("from neurodecode.data import Recording")
    assert not loaded & {"pynwb", "h5py", "matplotlib", "neurodecode.decoders"}


@pytest.mark.parametrize("module", ["neurodecode", "neurodecode.data"])
def test_every_lazy_name_resolves(module):
    """In a fresh interpreter every name of ``__all__`` loads and is listed by ``dir``."""
    code = (
        "import importlib, inspect\n"
        f"mod = importlib.import_module({module!r})\n"
        "for name in mod.__all__:\n"
        "    assert getattr(mod, name) is not None, name\n"
        "    assert name in dir(mod), name\n"
        "assert not hasattr(mod, 'no_such_name')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_lazy_names_are_the_eager_ones():
    import neurodecode
    import neurodecode.data as data
    from neurodecode.data._recording import Recording
    from neurodecode.data.nwb import load_nwb

    assert neurodecode.Recording is data.Recording is Recording
    assert data.load_nwb is load_nwb
    assert neurodecode.data is data
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        data.no_such_name  # noqa: B018
