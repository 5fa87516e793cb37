"""Save and load fitted decoders: tensors in ``weights.pt``, the rest in ``config.json``.

Loading reads the JSON, looks the class name up among the decoder classes already
imported (no import by name, no pickle), and reads the tensors with
``torch.load(..., weights_only=True)``, which refuses anything but tensors and plain
containers.
"""

from __future__ import annotations

import inspect
import json
import numbers
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._base import _REGISTRY, BaseDecoder, resolve_device

__all__ = ["load", "load_decoder", "save_decoder"]

FORMAT = "neurodecode-decoder"
FORMAT_VERSION = 1
CONFIG, WEIGHTS = "config.json", "weights.pt"
_MODULE = "module_"


def _jsonable(value: Any, what: str) -> Any:
    """Plain JSON value, or a TypeError naming what cannot be written."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, what) for k, v in value.items()}
    raise TypeError(
        f"Cannot save {what}: {type(value).__name__} values cannot be written as JSON "
        f"(got {value!r}). Use an int for random_state and plain numbers for parameters."
    )


def save_decoder(decoder: BaseDecoder, path: str | Path) -> Path:
    """Write ``decoder`` to the folder ``path`` (see :meth:`BaseDecoder.save`).

    Parameters
    ----------
    decoder : BaseDecoder
        A fitted decoder.
    path : str or Path
        Folder to create or overwrite.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    NotFittedError
        If the decoder is not fitted.
    TypeError
        If a parameter or fitted value cannot be written.
    """
    check_is_fitted(decoder)
    tensors: dict[str, torch.Tensor] = {}
    state: dict[str, Any] = {}
    arrays: list[str] = []
    for name, value in vars(decoder).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if isinstance(value, torch.nn.Module):
            for key, t in value.state_dict().items():
                tensors[f"{_MODULE}.{key}"] = t.detach().cpu().clone()
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            tensors[name] = torch.from_numpy(np.ascontiguousarray(value).copy())
            arrays.append(name)
        elif isinstance(value, np.ndarray):
            state[name] = {"ndarray": _jsonable(value.tolist(), name),
                           "dtype": value.dtype.str if value.dtype.kind == "U" else "object"}
        else:
            state[name] = _jsonable(value, name)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(decoder).__name__,
        "params": _jsonable(decoder._saved_params(), "the parameters"),
        "state": state,
        "arrays": arrays,
        "module_dims": _jsonable(decoder._module_dims() if hasattr(decoder, _MODULE)
                                 else None, "module_dims"),
    }
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(tensors, folder / WEIGHTS)
    (folder / CONFIG).write_text(json.dumps(config, indent=1))
    return folder


def _decoder_class(name: str, expected: type[BaseDecoder] | None) -> type[BaseDecoder]:
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(
            f"The saved decoder class {name!r} is not a known neurodecode decoder. Known: "
            f"{', '.join(sorted(_REGISTRY))}. Import the module that defines it first."
        )
    if expected is not None and expected is not BaseDecoder and not issubclass(cls, expected):
        raise TypeError(
            f"The folder holds a {name}, not a {expected.__name__}. Load it with "
            f"{name}.load(path) or neurodecode.decoders.load(path)."
        )
    return cls


def _restore_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"ndarray", "dtype"}:
        return np.array(value["ndarray"], dtype=value["dtype"])
    return value


def _malformed(folder: Path, what: str) -> ValueError:
    return ValueError(f"{folder} is not a valid saved decoder: {what}. Save it again with "
                      "decoder.save(path).")


def _fitted_name(cls: type, name: Any) -> bool:
    """Whether ``name`` may be a fitted attribute of ``cls``: a public identifier ending
    in ``_`` that is not a method or property of the class (nothing the file names can
    replace behaviour)."""
    if not (isinstance(name, str) and name.isidentifier() and name.endswith("_")
            and not name.startswith("_")):
        return False
    attr = inspect.getattr_static(cls, name, None)
    return attr is None or not (callable(attr) or isinstance(attr, (property,
                                                                    staticmethod,
                                                                    classmethod)))


def _read_config(folder: Path) -> dict[str, Any]:
    """``config.json``, checked against the schema: its keys and their types."""
    try:
        config = json.loads((folder / CONFIG).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise _malformed(folder, f"{CONFIG} is not readable JSON ({err})") from None
    if not isinstance(config, dict):
        raise _malformed(folder, f"{CONFIG} holds a {type(config).__name__}, not an object")
    if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{folder / CONFIG} is not a neurodecode decoder file of format version "
            f"{FORMAT_VERSION} (format {config.get('format')!r}, version "
            f"{config.get('format_version')!r})."
        )
    expected = {"format": str, "format_version": int, "class": str, "params": dict,
                "state": dict, "arrays": list}
    for key, kind in expected.items():
        if not isinstance(config.get(key), kind):
            raise _malformed(folder, f"{CONFIG} needs {key!r} as a {kind.__name__}")
    unknown = set(config) - set(expected) - {"module_dims"}
    if unknown:
        raise _malformed(folder, f"{CONFIG} has unknown keys {sorted(unknown)}")
    dims = config.get("module_dims")
    if dims is not None and not (isinstance(dims, list) and len(dims) == 2 and all(
            isinstance(d, int) and not isinstance(d, bool) and 0 < d < 2**31 for d in dims)):
        raise _malformed(folder, f"'module_dims' must be two positive ints; got {dims!r}")
    return config


def load_decoder(path: str | Path, *, device: str | torch.device | None = None,
                 expected: type[BaseDecoder] | None = None, module: Any = None
                 ) -> BaseDecoder:
    """Read a decoder written by :func:`save_decoder` (see :func:`load`).

    Everything in the folder is checked before it is used: ``config.json`` against its
    schema, the parameters against the class's constructor, fitted attribute names
    against what a file may set (never a method or property), and the stored weights
    against a copy of the module built on torch's ``meta`` device (no memory), so an
    edited file cannot run code, replace behaviour or make ``load`` allocate more than
    the weights it holds.
    """
    folder = Path(path)
    for name in (CONFIG, WEIGHTS):
        if not (folder / name).is_file():
            raise FileNotFoundError(
                f"{folder} is not a saved decoder: {name} is missing. Save one with "
                "decoder.save(path)."
            )
    config = _read_config(folder)
    cls = _decoder_class(config["class"], expected)
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = set(config["params"]) - accepted
    if unknown:
        raise _malformed(folder, f"{cls.__name__} has no parameter(s) {sorted(unknown)}")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in config["params"].items()}
    params = cls._loaded_params(params, module=module)
    if device is not None:
        params["device"] = device
    for name in [*config["state"], *config["arrays"]]:
        if not _fitted_name(cls, name):
            raise _malformed(folder, f"{name!r} is not a fitted attribute a file may set "
                             f"on a {cls.__name__}")
    try:
        tensors = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise _malformed(folder, f"{WEIGHTS} holds objects other than tensors, which "
                         "neurodecode refuses to unpickle (they could run code)") from None
    except Exception as err:  # noqa: BLE001 - torch raises many kinds for a bad file
        first = " ".join(str(err).split())[:200]
        raise _malformed(folder, f"{WEIGHTS} cannot be read ({type(err).__name__}: "
                         f"{first})") from None
    if not isinstance(tensors, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()):
        raise _malformed(folder, f"{WEIGHTS} must hold a dict of named tensors")
    missing = [name for name in config["arrays"] if name not in tensors]
    if missing:
        raise _malformed(folder, f"{WEIGHTS} lacks the array(s) {missing} that "
                         f"{CONFIG} lists")
    decoder = cls(**params)
    for name, value in config["state"].items():
        setattr(decoder, name, _restore_value(value))
    for name in config["arrays"]:
        setattr(decoder, name, tensors[name].numpy())
    if config.get("module_dims") is not None:
        decoder.module_ = _restore_module(folder, decoder, config, tensors, params)
    return decoder


def _restore_module(folder: Path, decoder: BaseDecoder, config: dict[str, Any],
                    tensors: dict[str, torch.Tensor], params: dict[str, Any]) -> Any:
    """The module of the saved weights, checked on the meta device before it is built."""
    module_state = {k[len(_MODULE) + 1:]: v for k, v in tensors.items()
                    if k.startswith(_MODULE + ".")}
    floats = [v.dtype for v in module_state.values() if v.is_floating_point()]
    if not floats:
        raise _malformed(folder, f"{WEIGHTS} holds no weights of the module")
    n_in, n_out = config["module_dims"]
    try:
        skeleton = decoder._init_module(n_in, n_out, device=torch.device("meta"),
                                        dtype=floats[0], generator=None)
    except Exception as err:  # noqa: BLE001 - a parameter the constructor cannot build
        raise _malformed(folder, f"its parameters do not build a module ({err})") from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    stored = {k: tuple(v.shape) for k, v in module_state.items()}
    if expected != stored:
        wrong = sorted(k for k in set(expected) | set(stored)
                       if expected.get(k) != stored.get(k))[:5]
        raise _malformed(
            folder, "the stored weights do not match the module its parameters describe ("
            + "; ".join(f"{k}: stored {stored.get(k)}, expected {expected.get(k)}"
                        for k in wrong) + ")")
    dev = resolve_device(str(params.get("device", "auto")), type(decoder).__name__)
    module = decoder._init_module(n_in, n_out, device=dev, dtype=floats[0], generator=None)
    module.load_state_dict(module_state)
    module.eval()
    return module


def load(path: str | Path, *, device: str | torch.device | None = None,
         module: Any = None) -> BaseDecoder:
    """Load any decoder saved with ``decoder.save(path)``.

    Parameters
    ----------
    path : str or Path
        Folder holding ``config.json`` and ``weights.pt``.
    device : str or torch.device, optional
        Where to put the weights; defaults to the saved ``device`` parameter.
    module : torch.nn.Module or callable, optional
        For a :class:`~neurodecode.decoders.ModuleDecoder`: the user's module (the saved
        file names it but holds no code). Needed when it was an instance, or when its
        function or class is not importable from an already imported module.

    Returns
    -------
    BaseDecoder
        The fitted decoder, of the class that was saved.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        For a file of another format or an unknown decoder class.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from neurodecode.decoders import LinearDecoder, load
    >>> X = np.arange(12.0).reshape(6, 2); y = X @ [1.0, 0.5]
    >>> dec = LinearDecoder(device="cpu").fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     same = load(dec.save(tmp))
    >>> bool(np.allclose(same.predict(X), dec.predict(X)))
    True
    """
    return load_decoder(path, device=device, expected=None, module=module)
