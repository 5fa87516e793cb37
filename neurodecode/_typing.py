"""Type aliases shared across the package."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import torch

ArrayLike = npt.ArrayLike | torch.Tensor
"""Anything convertible to an array: lists, NumPy arrays, torch tensors."""

Tensor = torch.Tensor
NDArray = npt.NDArray[np.generic]
FloatArray = npt.NDArray[np.floating]
StimulusKind = Literal["circular", "linear", "categorical"]
ResponseType = Literal["counts", "continuous"]
