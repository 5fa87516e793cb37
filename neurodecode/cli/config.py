"""Options of the command line, from flags and from a TOML file, checked in one place.

One table (:data:`OPTIONS`) describes every option: its type, default, help text and the
commands that take it. The argument parser is built from it, a ``--config run.toml``
file is read against it, and both go through the same converter, so a bad value gets the
same message whether it came from a flag or from the file. Precedence: defaults, then the
file, then flags given on the command line.

A config file holds the options as top-level keys (``stimulus = "stimCategory"``,
``l2 = [1e-3, 1e-2]``) and, optionally, tables named after a command (``[compare]``)
whose keys apply to that command only. Relative paths in the file are relative to the
file's folder.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "COMMANDS",
    "DECODERS",
    "OPTIONS",
    "Option",
    "UserError",
    "dump_toml",
    "options_for",
    "read_toml",
    "resolve_config",
]

DECODERS = ("linear", "mlp", "logistic", "lda", "perceptron", "bayes")
"""Decoder names accepted by ``--decoder`` and ``--decoders``."""

COMMANDS = ("demo", "inspect", "decode", "decode-many", "compare")


class UserError(Exception):
    """A mistake in the command's input: printed as one line, exit status 2."""


@dataclass(frozen=True)
class Option:
    """One command-line option.

    Attributes
    ----------
    name : str
        Key in the config and in a TOML file; the flag is ``--name``.
    kind : str
        ``str``, ``path``, ``paths``, ``int``, ``float``, ``floats`` (one or more,
        comma-separated on the command line), ``names`` (decoder names), ``window``
        (two floats) or ``flag``.
    default : any
    help : str
    commands : tuple of str
        Commands that take it.
    choices : tuple, optional
    low : float, optional
        Smallest allowed value (inclusive unless ``open_low``).
    high : float, optional
        Values must be below it.
    metavar : str, optional
    """

    name: str
    kind: str
    default: Any
    help: str
    commands: tuple[str, ...]
    choices: tuple[Any, ...] = ()
    low: float | None = None
    open_low: bool = False
    high: float | None = None
    metavar: str | None = None


_RUN = ("decode", "decode-many", "compare")
_ALL_RUNS = ("demo", "decode", "decode-many", "compare")
_ONE_DECODER = ("decode", "decode-many")
OPTIONS: tuple[Option, ...] = (
    Option("path", "path", None, "the NWB file to decode", ("decode", "inspect")),
    Option("path", "paths", None, "one or more NWB files (each gets its own sweep)",
           ("compare",)),
    Option("path", "paths", None, "NWB files or quoted glob patterns (\"sessions/*.nwb\"), "
           "one session each", ("decode-many",)),
    Option("stimulus", "str", None, "what to decode: a column of the NWB intervals table, "
           "a variable of an HDF5/MATLAB/NPZ file, or for a recognised layout (Park V1, "
           "Peyrache HD, Stevenson M1) one of its targets (default: its own)", _RUN,
           metavar="NAME"),
    Option("responses", "str", None, "HDF5/MATLAB/NPZ: the variable holding the responses "
           "(neurons x trials or trials x neurons)", _RUN, metavar="VAR"),
    Option("neurons_axis", "int", None, "HDF5/MATLAB/NPZ: the axis of --responses that "
           "indexes neurons (default: inferred from the stimulus length)", _RUN, low=0,
           metavar="N"),
    Option("intervals", "str", "trials", "intervals table that defines the trials "
           "(default: trials)", _RUN, metavar="TABLE"),
    Option("window", "window", None, "count in [t+START, t+STOP) seconds around each "
           "row's --align time (default: each row's own start..stop)", _RUN),
    Option("align", "str", "start_time", "column the window is relative to "
           "(default: start_time)", _RUN, metavar="COLUMN"),
    Option("source", "str", "units", "spike counts of units, or mean of an ROI response "
           "series (default: units)", _RUN, choices=("units", "roi")),
    Option("kind", "str", None, "what the stimulus is (default: inferred)", _RUN,
           choices=("circular", "linear", "categorical")),
    Option("period", "float", None, "period of a circular stimulus (e.g. 180 for "
           "orientation in degrees)", _RUN, low=0.0, open_low=True, metavar="P"),
    Option("bins", "int", None, "bin a circular/linear stimulus into N classes (needed by "
           "logistic and perceptron)", _RUN, low=2, metavar="N"),
    Option("bin_size", "float", None, "with --window: count spikes (or average an ROI "
           "series) in bins of S seconds, giving trials x bins x neurons (for --over-time)",
           ("decode",), low=0.0, open_low=True, metavar="S"),
    Option("over_time", "flag", False, "decode at every time bin of the window (needs "
           "--window and --bin-size), with temporal generalisation and a cluster "
           "permutation test", ("decode",)),
    Option("permutations", "int", 100, "label permutations of the --over-time cluster "
           "test (default: 100; 0: none)", ("decode",), low=0, metavar="N"),
    Option("decoder", "str", "auto", "decoder (default: auto: linear for circular or "
           "linear stimuli, logistic for categories)", _ONE_DECODER,
           choices=("auto", *DECODERS)),
    Option("decoders", "names", None, "comma-separated decoders (default: every decoder "
           "that fits the stimulus)", ("compare",), metavar="NAMES"),
    Option("l1", "float", None, "L1 penalty strength (default: the decoder's)",
           _ONE_DECODER, low=0.0, metavar="X"),
    Option("l2", "float", None, "L2 penalty strength (default: the decoder's)",
           _ONE_DECODER, low=0.0, metavar="X"),
    Option("dropout", "float", None, "dropout probability of the ReLU net", _ONE_DECODER,
           low=0.0, high=1.0, metavar="X"),
    Option("scheduler", "str", None, "address of a running Dask scheduler (default: a "
           "local cluster of this machine's free cores)", ("decode-many",),
           metavar="ADDRESS"),
    Option("workers", "int", None, "worker processes of the local cluster (default: the "
           "free cores; 0: no cluster, one session after another)", ("decode-many",),
           low=0, metavar="N"),
    Option("l1", "floats", None, "L1 strengths to sweep, comma-separated", ("compare",),
           low=0.0, metavar="X,Y,..."),
    Option("l2", "floats", None, "L2 strengths to sweep, comma-separated", ("compare",),
           low=0.0, metavar="X,Y,..."),
    Option("dropout", "floats", None, "dropout probabilities to sweep", ("compare",),
           low=0.0, high=1.0, metavar="X,Y,..."),
    Option("cv", "int", 5, "number of cross-validation folds (default: 5)", _RUN,
           low=2, metavar="K"),
    Option("quick", "flag", False, "small sizes: seconds instead of minutes", ("demo",)),
    Option("seed", "int", 0, "random seed of data, splits and decoders (default: 0)",
           _ALL_RUNS, low=0, metavar="S"),
    Option("device", "str", "auto", "torch device (default: auto: CUDA if available)",
           _ALL_RUNS, choices=("auto", "cpu", "cuda")),
    Option("out", "path", "neurodecode-out", "output folder (default: ./neurodecode-out)",
           _ALL_RUNS, metavar="DIR"),
    Option("overwrite", "flag", False, "replace a finished run in the --out folder (without "
           "it, a folder holding one is refused)", _ALL_RUNS),
)


def options_for(command: str) -> dict[str, Option]:
    """The options of one command, by name.

    Parameters
    ----------
    command : str

    Returns
    -------
    dict of str to Option

    Examples
    --------
    >>> list(options_for("demo"))
    ['quick', 'seed', 'device', 'out', 'overwrite']
    """
    return {o.name: o for o in OPTIONS if command in o.commands}


# ---------------------------------------------------------------------------- values
def _available(names: Any) -> str:
    # _validation imports torch: load it only for an error message, not for --help
    from .._validation import format_available

    return format_available(names)


def _number(opt: Option, value: Any, where: str, integer: bool) -> float | int:
    what = "an integer" if integer else "a number"
    if isinstance(value, bool):
        raise UserError(f"{where} must be {what}; got {value!r}.")
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            raise UserError(f"{where} must be {what}; got {value!r}.") from None
    if integer and not isinstance(value, int):
        raise UserError(f"{where} must be {what}; got {value!r}.")
    if not isinstance(value, (int, float)):
        raise UserError(f"{where} must be {what}; got {value!r}.")
    if not math.isfinite(value):
        raise UserError(f"{where} must be a finite number; got {value!r}.")
    _check_range(opt, value, where)
    return value if integer else float(value)


def _check_range(opt: Option, value: float, where: str) -> None:
    low, high = opt.low, opt.high
    bad_low = low is not None and (value <= low if opt.open_low else value < low)
    if bad_low or (high is not None and value >= high):
        if high is not None:
            want = f"in [{low:g}, {high:g})"
        else:
            want = f"{'>' if opt.open_low else '>='} {low:g}"
        raise UserError(f"{where} must be {want}; got {value!r}.")


def _floats(opt: Option, value: Any, where: str) -> list[float]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        items = [items]
    items = [v.strip() if isinstance(v, str) else v for v in items]
    if not items or any(v == "" for v in items):
        raise UserError(f"{where} must be one or more numbers separated by commas; "
                        f"got {value!r}.")
    return [float(_number(opt, v, where, integer=False)) for v in items]


def _names(value: Any, where: str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise UserError(f"{where} must be decoder names such as 'linear,mlp'; got {value!r}.")
    names = [v.strip() for v in items if v.strip()]
    if not names:
        raise UserError(f"{where} must name at least one decoder. Available: "
                        f"{_available(DECODERS)}.")
    unknown = [n for n in names if n not in DECODERS]
    if unknown:
        raise UserError(f"Unknown decoder {unknown[0]!r} in {where}. Available: "
                        f"{_available(DECODERS)}.")
    if len(set(names)) != len(names):
        raise UserError(f"{where} names a decoder twice: {', '.join(names)}.")
    return names


def _window(opt: Option, value: Any, where: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise UserError(f"{where} must be two numbers START STOP in seconds; got {value!r}.")
    start, stop = (float(_number(opt, v, where, integer=False)) for v in value)
    if not start < stop:
        raise UserError(f"{where} must have START < STOP; got {start:g} {stop:g}.")
    return [start, stop]


def _text(opt: Option, value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise UserError(f"{where} must be a non-empty string; got {value!r}.")
    if opt.choices and value not in opt.choices:
        what = "decoder" if opt.name == "decoder" else "value"
        raise UserError(f"Unknown {what} {value!r} for {where}. Available: "
                        f"{_available(opt.choices)}.")
    return value


def convert(opt: Option, value: Any, where: str, base: Path | None = None) -> Any:
    """Check and convert one option value (a flag's text or a TOML value).

    Parameters
    ----------
    opt : Option
    value : any
        Text from the command line, or a value read from TOML.
    where : str
        How to name the value in messages (``"--cv"`` or ``"'cv' in run.toml"``).
    base : Path, optional
        Folder that relative paths are resolved against (a config file's folder).

    Returns
    -------
    any
        The value in its canonical type.

    Raises
    ------
    UserError
        With a one-line message naming the option, the expectation and the value.
    """
    if value is None:
        return None
    if opt.kind in ("int", "float"):
        return _number(opt, value, where, integer=opt.kind == "int")
    if opt.kind == "floats":
        return _floats(opt, value, where)
    if opt.kind == "names":
        return _names(value, where)
    if opt.kind == "window":
        return _window(opt, value, where)
    if opt.kind == "flag":
        if not isinstance(value, bool):
            raise UserError(f"{where} must be true or false; got {value!r}.")
        return value
    if opt.kind in ("path", "paths"):
        items = value if isinstance(value, (list, tuple)) and opt.kind == "paths" else [value]
        if not items or not all(isinstance(v, (str, Path)) and str(v) for v in items):
            raise UserError(f"{where} must be a file path{'s' * (opt.kind == 'paths')}; "
                            f"got {value!r}.")
        paths = [str(base / v) if base is not None else str(v) for v in items]
        return paths if opt.kind == "paths" else paths[0]
    return _text(opt, value, where)


# ---------------------------------------------------------------------------- TOML
def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise UserError(f"Reading --config needs the 'tomli' package on Python 3.10 "
                            f"(pip install tomli): {exc}") from exc
    return tomllib


def read_toml(path: str | Path, command: str) -> dict[str, Any]:
    """Read the options for ``command`` from a TOML file.

    Parameters
    ----------
    path : str or Path
    command : str
        Top-level keys apply to every command; a table named after the command
        overrides them.

    Returns
    -------
    dict
        Option name to converted value.

    Raises
    ------
    UserError
        For a missing or malformed file, an unknown key (the message lists the valid
        ones), a key of another command, or a bad value.
    """
    path = Path(path)
    try:
        data = _tomllib().loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"Config file '{path}' does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read config file '{path}': {exc}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise UserError(f"Config file '{path}' is not valid TOML: {exc}") from None
    section = data.get(command, {})
    if not isinstance(section, dict):
        raise UserError(f"'{command}' in config file '{path}' must be a table ([{command}]).")
    top = {k: v for k, v in data.items() if not (k in COMMANDS and isinstance(v, dict))}
    merged = {**top, **section}
    valid = options_for(command)
    out = {}
    for key, value in merged.items():
        if key not in valid:
            raise UserError(_unknown_key(key, command, path, valid))
        out[key] = convert(valid[key], value, f"'{key}' in {path.name}",
                           base=path.parent if valid[key].kind in ("path", "paths") else None)
    return out


def _unknown_key(key: str, command: str, path: Path, valid: dict[str, Option]) -> str:
    owners = [c for c in COMMANDS if key in options_for(c)]
    if owners:
        return (f"Option '{key}' in config file '{path}' does not apply to "
                f"'neurodecode {command}' (it is an option of {', '.join(owners)}); move it "
                f"under a [{owners[0]}] table or remove it.")
    return (f"Unknown option '{key}' in config file '{path}'. Options of "
            f"'neurodecode {command}': {_available(valid)}.")


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def dump_toml(config: dict[str, Any], command: str, header: str = "") -> str:
    """Write a resolved configuration as a TOML file that ``--config`` reads back.

    Parameters
    ----------
    config : dict
        Option name to value; None values (unset options) and ``out`` are left out.
        Paths are written absolute, so the file works from any folder (``--config``
        reads relative paths relative to the file's own folder).
    command : str
        Only this command's options are written.
    header : str, optional
        Comment lines at the top.

    Returns
    -------
    str

    Examples
    --------
    >>> print(dump_toml({"stimulus": "ori", "cv": 5, "l2": [0.01, 0.1], "kind": None},
    ...                 "compare"))
    stimulus = "ori"
    cv = 5
    l2 = [0.01, 0.1]
    <BLANKLINE>
    """
    valid = options_for(command)
    lines = [f"# {line}" for line in header.splitlines()]
    for key, value in config.items():
        if key in valid and key != "out" and value is not None:
            if valid[key].kind == "path":
                value = str(Path(value).resolve())
            elif valid[key].kind == "paths":  # files and glob patterns alike
                value = [str(Path(v).resolve()) for v in value]
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- merge
def resolve_config(command: str, flags: dict[str, Any],
                   config_file: str | None = None) -> dict[str, Any]:
    """Merge defaults, a TOML file and command-line flags into one checked config.

    Parameters
    ----------
    command : str
    flags : dict
        Values given on the command line (None for flags that were not given).
    config_file : str, optional
        Path of a TOML file.

    Returns
    -------
    dict
        Every option of the command, in the order of :data:`OPTIONS`.

    Raises
    ------
    UserError
        For a bad value anywhere, or a missing required option.
    """
    valid = options_for(command)
    from_file = read_toml(config_file, command) if config_file else {}
    config = {}
    for name, opt in valid.items():
        given = flags.get(name)
        if given is not None and not (opt.kind == "flag" and given is False):
            config[name] = convert(opt, given, _flag_name(opt))
        elif name in from_file:
            config[name] = from_file[name]
        else:
            config[name] = opt.default
    if "path" in valid and config["path"] is None:
        raise UserError(f"'neurodecode {command}' needs PATH (on the command line or in the "
                        "--config file).")
    return config


def _flag_name(opt: Option) -> str:
    return "PATH" if opt.name == "path" else f"--{opt.name.replace('_', '-')}"
