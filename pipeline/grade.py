"""Grade a course exercise: ``python -m pipeline.grade docs/exercises/03_lzw.py``.

The grader imports the student's file **by path** (it need not be on ``sys.path``
and its name may start with a digit), finds the exercise from the file name's
``NN_`` prefix, and runs that exercise's properties: Hypothesis property tests
that compare the student's functions with the package's reference
implementation (``classical.lzw.compress`` must be byte-identical,
``classical.huffman.code_lengths`` must give the same total cost, ...).  The
properties live in :mod:`pipeline._grade_properties`, keyed by exercise number.

For every property it prints one line, ``PASS``, ``FAIL`` or ``TODO`` (the
function still raises ``NotImplementedError``), and for a failure the smallest
counter-example Hypothesis found (its *shrunk* falsifying example) and the
message of the failed check::

    Exercise 03: LZW trace (docs/exercises/03_lzw.py)
      FAIL  lzw_codes: the code trace equals classical.lzw's (block mode, first free code 257)
            counter-example: data=b'TOBEORNOTTOBEORTOBEORNOT'
            AssertionError: code #9: yours [256, 258, 260, 265, 259, 261], reference [257, 259, ...]
      PASS  pack_lsb: equals fundamentals.bitio.pack_codes(..., order='lsb')
      TODO  compress: byte-identical to classical.lzw.compress (inputs up to 256 bytes)
            not implemented (exercise 03: write compress)
      ...
    1 of 4 properties pass (1 not implemented yet).

Exit status: 0 if every property passes, 1 if any fails (or is not implemented,
or the file does not import), 2 on a usage error (no such file, a name without
an ``NN_`` prefix, an unknown exercise number).

Grading is deterministic (``derandomize=True``: the same file gets the same
verdict and the same counter-example on every run) and quick: 40 examples per
property by default (``--max-examples``), no deadline, no example database.

What it does NOT do: sandbox the student's code (it runs with your rights), time
out a student function that loops forever (stop it with Ctrl-C), or grade the
written answers of the exercise pages.

Examples
--------
>>> from pipeline.grade import exercise_number
>>> exercise_number("docs/exercises/03_lzw.py")
3
>>> exercise_number("notes.py") is None
True
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Property", "exercise_number", "grade", "load_student", "main", "stub_functions"]

#: Examples per property unless ``--max-examples`` says otherwise.
MAX_EXAMPLES = 40
_PREFIX = re.compile(r"^(\d\d)_")
_module_counter = 0


@dataclass
class Property:
    """One graded check of an exercise.

    Attributes
    ----------
    name : str
        What is checked, printed after PASS/FAIL (starts with the function's name).
    needs : tuple of str
        Functions the student's file must define.
    body : callable
        ``body(student_module, **example)``; raises ``AssertionError`` (with a
        message saying what differs) when the student's answer is wrong.
    strategies : dict
        Keyword -> Hypothesis strategy, one per keyword of ``body``.
    examples : list of dict
        Explicit examples, tried first and outside Hypothesis: the first one is
        the "smoke test" that tells "not implemented" from "wrong".
    max_examples : int or None
        Overrides the grader's default (expensive properties use fewer).
    """

    name: str
    needs: tuple[str, ...]
    body: Callable
    strategies: dict = field(default_factory=dict)
    examples: list = field(default_factory=list)
    max_examples: int | None = None


@dataclass
class Outcome:
    """Result of one property: ``status`` is ``"PASS"``, ``"FAIL"`` or ``"TODO"``."""

    status: str
    name: str
    example: str = ""
    message: str = ""


def exercise_number(path) -> int | None:
    """The exercise number from a file name ``NN_name.py``, or None without such a prefix."""
    m = _PREFIX.match(Path(path).name)
    return int(m.group(1)) if m else None


def load_student(path):
    """Import the file at ``path`` as a fresh module (a new name on every call).

    Its code runs as an import (``__name__`` is not ``"__main__"``), so the demo
    under ``if __name__ == "__main__":`` does not.
    """
    global _module_counter
    _module_counter += 1
    name = f"_graded_exercise_{_module_counter}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    spec.loader.exec_module(module)
    return module


def stub_functions(source: str) -> dict[str, str]:
    r"""Top-level functions whose body still only raises ``NotImplementedError(...)``.

    Returns ``{name: message}``.  The grader reports their properties as "not
    implemented" without running anything (building the reference's inputs can take
    seconds, e.g. a Flax model in exercise 10).

    Examples
    --------
    >>> starter = "def f(x):\n    'Doc.'\n    raise " + "NotImplementedError('exercise: f')\n"
    >>> stub_functions(starter)
    {'f': 'exercise: f'}
    >>> stub_functions("def g(x):\n    return x\n")
    {}
    """
    stubs = {}
    for node in ast.parse(source).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
            continue
        exc = body[0].exc
        call = exc.func if isinstance(exc, ast.Call) else exc
        if isinstance(call, ast.Name) and call.id == "NotImplementedError":
            args = exc.args if isinstance(exc, ast.Call) else []
            message = args[0].value if args and isinstance(args[0], ast.Constant) else ""
            stubs[node.name] = str(message)
    return stubs


def grade(module, properties, *, max_examples: int = MAX_EXAMPLES, stubs=None) -> list[Outcome]:
    """Run every property against the student's ``module``; one :class:`Outcome` each.

    ``stubs`` (from :func:`stub_functions`) names the functions known to be unfinished.
    """
    stubs = stubs or {}
    return [_run_property(module, prop, max_examples, stubs) for prop in properties]


# ---- running one property ----


def _run_property(module, prop: Property, max_examples: int, stubs: dict) -> Outcome:
    missing = [f for f in prop.needs if not callable(getattr(module, f, None))]
    if missing:
        return Outcome("FAIL", prop.name, message=f"function(s) not found in the file: {', '.join(missing)}")
    todo = [f for f in prop.needs if f in stubs]
    if todo:
        return Outcome("TODO", prop.name, message=f"not implemented ({stubs[todo[0]] or todo[0]})")
    # Explicit examples first, without Hypothesis: a starter function fails here at once,
    # and is reported as "not implemented" rather than shrunk.
    for example in prop.examples:
        try:
            prop.body(module, **example)
        except NotImplementedError as e:
            return Outcome("TODO", prop.name, message=f"not implemented ({e})")
        except Exception as e:  # noqa: BLE001 - the student's code may raise anything: report it
            return Outcome("FAIL", prop.name, _format_kwargs(example), _format_error(e))
    if not prop.strategies:
        return Outcome("PASS", prop.name)
    return _run_hypothesis(module, prop, prop.max_examples or max_examples)


def _run_hypothesis(module, prop: Property, max_examples: int) -> Outcome:
    from hypothesis import HealthCheck, Phase, given, settings

    def test(**kwargs):
        prop.body(module, **kwargs)

    test.__name__ = prop.needs[0] if prop.needs else "check"
    run = settings(
        max_examples=max(1, min(max_examples, prop.max_examples or max_examples)),
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )(given(**prop.strategies)(test))
    try:
        run()
    except NotImplementedError as e:
        return Outcome("TODO", prop.name, _example_from_notes(e), f"not implemented for this input ({e})")
    except Exception as e:  # noqa: BLE001 - AssertionError from the check, or anything the student raised
        return Outcome("FAIL", prop.name, _example_from_notes(e), _format_error(e))
    return Outcome("PASS", prop.name)


def _example_from_notes(e: BaseException) -> str:
    """Hypothesis attaches the shrunk example as a note: 'Falsifying example: check(\\n x=...,\\n)'."""
    for note in getattr(e, "__notes__", []):
        m = re.match(r"^(?:Falsifying|Failing)[^:]*:\s*\w+\((.*)\)\s*$", note, re.DOTALL)
        if m:
            return " ".join(m.group(1).split()).rstrip(",")
    return ""


def _format_kwargs(kwargs: dict) -> str:
    return ", ".join(f"{k}={_short_repr(v)}" for k, v in kwargs.items())


def _short_repr(value, limit: int = 300) -> str:
    text = " ".join(repr(value).split())  # one line: numpy breaks array reprs over lines
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _format_error(e: BaseException) -> str:
    if isinstance(e, AssertionError) and str(e):
        return f"AssertionError: {e}"
    frames = traceback.extract_tb(e.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(e).__name__}: {e}{where}"


# ---- CLI ----


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipeline.grade",
        description="Grade a course exercise file against the package's reference implementation.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("path", nargs="?", help="the exercise file, e.g. docs/exercises/03_lzw.py (NN_ prefix)")
    p.add_argument("--exercise", type=int, default=None,
                   help="grade as this exercise number instead of the file name's NN_ prefix")
    p.add_argument("--max-examples", type=int, default=MAX_EXAMPLES, help="Hypothesis examples per property")
    p.add_argument("--list", action="store_true", help="list the exercises and exit")
    return p


def main(argv=None) -> int:
    """Command-line entry point; returns the exit status (0 pass, 1 fail, 2 usage error)."""
    from pipeline._grade_properties import EXERCISES

    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits on --help (0) and on bad arguments (2)
        return int(e.code or 0)
    if args.list:
        for number, ex in sorted(EXERCISES.items()):
            print(f"{number:02d}  {ex.title}  ({len(ex.properties())} properties)")
        return 0
    if args.path is None:
        parser.print_usage(sys.stderr)
        print("error: give the exercise file to grade (or --list)", file=sys.stderr)
        return 2
    path = Path(args.path)
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    number = args.exercise if args.exercise is not None else exercise_number(path)
    if number is None:
        print(f"error: {path.name} does not start with an exercise number NN_ (e.g. 03_lzw.py); "
              "rename it or pass --exercise N", file=sys.stderr)
        return 2
    if number not in EXERCISES:
        print(f"error: unknown exercise {number:02d}; known: {', '.join(f'{n:02d}' for n in sorted(EXERCISES))}",
              file=sys.stderr)
        return 2
    if args.max_examples < 1:
        print(f"error: --max-examples must be >= 1, got {args.max_examples}", file=sys.stderr)
        return 2
    exercise = EXERCISES[number]
    print(f"Exercise {number:02d}: {exercise.title} ({path})")
    try:
        module = load_student(path)
    except Exception as e:  # noqa: BLE001 - a broken student file is a failed exercise, not a crash
        print(f"  FAIL  the file does not import: {_format_error(e)}")
        return 1
    stubs = stub_functions(path.read_text(encoding="utf-8"))
    outcomes = grade(module, exercise.properties(), max_examples=args.max_examples, stubs=stubs)
    for o in outcomes:
        print(f"  {o.status:<4}  {o.name}")
        if o.example:
            print(f"        counter-example: {o.example}")
        if o.message:
            print(f"        {o.message}")
    passed = sum(o.status == "PASS" for o in outcomes)
    todo = sum(o.status == "TODO" for o in outcomes)
    tail = f" ({todo} not implemented yet)" if todo else ""
    print(f"{passed} of {len(outcomes)} properties pass{tail}.")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
