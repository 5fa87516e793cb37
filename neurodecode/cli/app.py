"""The argument parser and the dispatcher: exit statuses, one-line errors, Ctrl-C.

Exit status 0 on success, 2 for a mistake in the input (one line on stderr:
``neurodecode: error: ...``, no traceback), 3 for a problem of the environment (a file or
folder the user may not read or write, a full disk: one line naming it), 130 when
interrupted with Ctrl-C. Anything else is a bug and keeps its traceback. ``--debug``
(anywhere on the command line) shows the full traceback of every error instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .. import __version__
from .config import COMMANDS, Option, UserError, options_for, resolve_config

__all__ = ["build_parser", "run"]

_HELP = {
    "demo": "the main job on built-in data: simulate, write and read NWB, decode, report",
    "inspect": "what an NWB, HDF5, MATLAB or NPZ file holds that can be decoded",
    "decode": "cross-validated decoding of one file (NWB, HDF5, MATLAB or NPZ; the shared "
              "recordings' layouts are recognised) with one decoder",
    "decode-many": "decode many NWB sessions, each a task on Dask (a local cluster by "
                   "default), with a table per session and a summary across sessions",
    "compare": "sweep decoders and penalties on NWB files, with paired statistics",
}
_EPILOG = {
    "decode": "examples: neurodecode decode session.nwb --intervals encoding_table "
              "--stimulus stimCategory --decoder logistic --l2 0.01 --cv 5; neurodecode "
              "decode data.h5 --responses resp --stimulus ori --neurons-axis 0 --period "
              "180; neurodecode decode monkey_m1_reaching_stevenson2011.mat",
    "compare": "example: neurodecode compare session.nwb --stimulus ori --kind circular "
               "--period 180 --decoders linear,mlp --l2 1e-3,1e-2,1e-1",
    "decode-many": "example: neurodecode decode-many \"sessions/*.nwb\" --stimulus "
                   "orientation --window 0 0.5 --decoder linear --workers 2 --out many",
    "demo": "outputs: population.nwb, results.json, results.csv, folds.csv, sweep.png, "
            "predictions.png, error_by_stimulus.png, confusion.png, loss_curves.png, "
            "report.html, run.toml",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a UserError (one line, exit status 2)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UserError(f"{message} (see '{self.prog} --help')")


def _add_option(parser: argparse.ArgumentParser, command: str, opt: Option) -> None:
    if opt.name == "path":
        nargs = {"inspect": None, "decode": "?", "compare": "*", "decode-many": "*"}[command]
        parser.add_argument("path", nargs=nargs, metavar="PATH", help=opt.help)
        return
    kwargs: dict[str, Any] = {"default": None, "help": opt.help}
    if opt.kind == "flag":
        kwargs["action"] = "store_true"
    elif opt.kind == "window":
        kwargs.update(nargs=2, metavar=("START", "STOP"))
    else:
        kwargs["metavar"] = opt.metavar or (
            "{" + ",".join(opt.choices) + "}" if opt.choices else opt.name.upper())
    parser.add_argument(f"--{opt.name.replace('_', '-')}", dest=opt.name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """The ``neurodecode`` argument parser, built from the option table.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(prog="neurodecode", description="Decode stimuli from neural population "
                     "recordings: cross-validated decoders, tables, figures and a report.")
    parser.add_argument("--version", action="version", version=f"neurodecode {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        sp = sub.add_parser(command, help=_HELP[command], description=_HELP[command],
                            epilog=_EPILOG.get(command))
        for opt in options_for(command).values():
            _add_option(sp, command, opt)
        if command != "inspect":
            sp.add_argument("--config", metavar="run.toml", default=None,
                            help="read options from a TOML file (flags override it)")
    return parser


@contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Show each warning once, as ``neurodecode: warning: ...`` on stderr."""
    from tqdm.auto import tqdm

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
             line: Any = None) -> None:
        text = " ".join(str(message).split())
        tqdm.write(f"neurodecode: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def _dispatch(command: str, config: dict[str, Any], argv: Sequence[str]) -> None:
    if command == "inspect":
        from .inspection import inspect_file

        print(inspect_file(config["path"]))
    elif command == "demo":
        from .demo import run_demo

        run_demo(config, argv)
    elif command == "decode":
        from .commands import run_decode

        run_decode(config, argv)
    elif command == "decode-many":
        from .many import run_decode_many

        run_decode_many(config, argv)
    else:
        from .commands import run_compare

        run_compare(config, argv)


def _parse(argv: Sequence[str]) -> tuple[str | None, dict[str, Any], str | None]:
    args = vars(build_parser().parse_args(argv))
    command = args.pop("command")
    config_file = args.pop("config", None)
    if args.get("path") == []:  # compare with no PATH on the command line
        args["path"] = None
    return command, args, config_file


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a user error, 130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        try:
            command, flags, config_file = _parse(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code or 0)
        if command is None:
            build_parser().print_help()
            return 0
        config = resolve_config(command, flags, config_file)
        with _warnings_as_lines():
            _dispatch(command, config, argv)
    except UserError as exc:
        if debug:
            raise
        print(f"neurodecode: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neurodecode: interrupted; files already written are complete, no file is "
              "half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `neurodecode inspect f.nwb | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:
        if debug:
            raise
        where = f": '{exc.filename}'" if getattr(exc, "filename", None) else ""
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
            print(f"neurodecode: error: {exc.strerror or exc}{where}", file=sys.stderr)
            return 2  # a path the user gave
        print(f"neurodecode: error: {exc.strerror or exc}{where} (a problem of the "
              "environment: check permissions and free space; --debug shows the "
              "traceback)", file=sys.stderr)
        return 3  # permissions, a full disk, a read-only folder
    return 0
