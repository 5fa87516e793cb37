"""Shared fixtures: seeds, a small synthetic recording, the device, the real data folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from neurodecode.data import orientation_population

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SHARED_SHA256 = {
    "human_mtl_units_zheng2022_sub-4_ses-4.nwb":
        "1f6d811347d83d9693ce824bded9d73f5c88d8542e78069211da52381153f046",
    "mouse_adn_headdirection_peyrache2015.mat":
        "4cadf140878e97587631dd343b6a861329e89e9e9d59a7b6a10f23c1d162e62e",
    "mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat":
        "b3935f05ced3dbd4f47a3035afd877d926a9ec8b149362d278b503ee562bcd18",
    "monkey_m1_reaching_stevenson2011.mat":
        "cb1af830e34f5094e5c542ad4adfaca66dea05514680940016173b35fa6aad94",
}


def pytest_configure(config):
    """One BLAS/OpenMP thread per test process: the suite's problems are small, and on a
    shared 2-core machine spinning BLAS threads slow small products by 100x."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    config._neurodecode_blas_limit = threadpool_limits(1)


def pytest_collection_modifyitems(config, items):
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="no CUDA device on this machine")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(params=[0, 1, 2])
def seed(request) -> int:
    """A few seeds; tests that take this fixture must pass for any of them."""
    return int(os.environ.get("NEURODECODE_TEST_SEED", request.param))


@pytest.fixture
def small_population():
    """A small Poisson orientation population (200 neurons x 600 trials) and its truth."""
    return orientation_population(200, 600, random_state=0)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the team's real recordings; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not found at {SHARED_DATA} (a user's own clone)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_file(shared_data):
    """Return a function that gives the path of one real file, checked against its SHA256."""

    def get(name: str) -> Path:
        path = shared_data / name
        if not path.is_file():
            pytest.skip(f"{name} not found in {shared_data}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == SHARED_SHA256[name], f"{name} is not intact (sha256 {digest})"
        return path

    return get


@pytest.fixture
def rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)
