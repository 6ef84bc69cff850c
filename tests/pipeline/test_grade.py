"""The exercise grader: every reference solution passes, every known-wrong one fails, starters are "not implemented".

``python -m pipeline.grade FILE`` is called in-process through ``main(argv)``, for each of the
ten exercises with its three files: ``docs/exercises/solutions/NN_*.py`` (exit 0),
``docs/exercises/wrong/NN_*.py`` (exit 1, a FAIL line with a counter-example) and the
untouched starter ``docs/exercises/NN_*.py`` (exit 1, every property "not implemented",
no crash).  Usage errors exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import grade
from pipeline._grade_properties import EXERCISES

EXERCISE_DIR = Path(__file__).resolve().parents[2] / "docs" / "exercises"
STARTERS = sorted(EXERCISE_DIR.glob("[0-9][0-9]_*.py"))
IDS = [p.stem for p in STARTERS]


def _run(capsys, *argv) -> tuple[int, str]:
    code = grade.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_every_exercise_has_a_starter_a_solution_and_a_wrong_file():
    assert [grade.exercise_number(p) for p in STARTERS] == sorted(EXERCISES)
    assert len(EXERCISES) >= 10
    for p in STARTERS:
        assert (EXERCISE_DIR / "solutions" / p.name).is_file()
        assert (EXERCISE_DIR / "wrong" / p.name).is_file()
        assert (EXERCISE_DIR / f"{p.stem}.md").is_file()


@pytest.mark.parametrize("starter", STARTERS, ids=IDS)
def test_solution_passes(capsys, starter):
    code, out = _run(capsys, EXERCISE_DIR / "solutions" / starter.name)
    assert code == 0, out
    assert "FAIL" not in out and "TODO" not in out
    n = len(EXERCISES[grade.exercise_number(starter)].properties())
    assert f"{n} of {n} properties pass." in out


@pytest.mark.parametrize("starter", STARTERS, ids=IDS)
def test_wrong_solution_fails_with_a_counter_example(capsys, starter):
    code, out = _run(capsys, EXERCISE_DIR / "wrong" / starter.name)
    assert code == 1, out
    assert "  FAIL  " in out
    assert "counter-example: " in out
    assert "Traceback" not in out


@pytest.mark.parametrize("starter", STARTERS, ids=IDS)
def test_untouched_starter_is_not_implemented(capsys, starter):
    code, out = _run(capsys, starter)
    assert code == 1, out
    assert "not implemented" in out
    assert "FAIL" not in out and "Traceback" not in out
    n = len(EXERCISES[grade.exercise_number(starter)].properties())
    assert f"0 of {n} properties pass ({n} not implemented yet)." in out


def test_starter_functions_raise_not_implemented_when_called():
    module = grade.load_student(STARTERS[0])
    stubs = grade.stub_functions(STARTERS[0].read_text())
    assert stubs
    with pytest.raises(NotImplementedError, match="exercise"):
        getattr(module, next(iter(stubs)))(None, None)


def test_not_implemented_at_run_time_is_reported_not_crashed(capsys, tmp_path):
    # A function that raises NotImplementedError after some work is not a stub for the
    # AST check; the run-time check still reports it as "not implemented".
    src = (EXERCISE_DIR / "solutions" / "04_rle.py").read_text()
    src = src.replace('    data = bytes(data)\n    out = bytearray()\n    i = 0\n',
                      '    data = bytes(data)\n    raise NotImplementedError("exercise: later")\n', 1)
    path = tmp_path / "04_rle.py"
    path.write_text(src)
    code, out = _run(capsys, path)
    assert code == 1
    assert "TODO  packbits_decode" in out and "not implemented" in out
    assert "PASS  packbits_encode" in out


def test_a_crashing_function_is_a_failure_with_its_exception(capsys, tmp_path):
    path = tmp_path / "09_rd.py"
    path.write_text("def psnr(a, b):\n    return 1 / 0\n")
    code, out = _run(capsys, path)
    assert code == 1
    assert "ZeroDivisionError" in out and "counter-example" in out
    assert "function(s) not found in the file: bpp" in out


def test_a_file_that_does_not_import_fails(capsys, tmp_path):
    path = tmp_path / "02_huffman.py"
    path.write_text("import no_such_module_for_the_grader\n")
    code, out = _run(capsys, path)
    assert code == 1
    assert "does not import" in out and "ModuleNotFoundError" in out


def test_exercise_option_overrides_the_file_name(capsys, tmp_path):
    path = tmp_path / "my_huffman.py"
    path.write_text((EXERCISE_DIR / "solutions" / "02_huffman.py").read_text())
    assert _run(capsys, path)[0] == 2
    code, out = _run(capsys, path, "--exercise", 2)
    assert code == 0, out


@pytest.mark.parametrize("argv, message", [
    (["no/such/file/03_lzw.py"], "no such file"),
    ([], "give the exercise file"),
    (["--max-examples", "0", str(EXERCISE_DIR / "03_lzw.py")], "--max-examples"),
    (["--bogus"], "unrecognized arguments"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    code, out = _run(capsys, *argv)
    assert code == 2
    assert message in out


def test_unknown_exercise_number_exits_2(capsys, tmp_path):
    path = tmp_path / "99_extra.py"
    path.write_text("")
    code, out = _run(capsys, path)
    assert code == 2
    assert "unknown exercise 99" in out


def test_list(capsys):
    code, out = _run(capsys, "--list")
    assert code == 0
    assert out.count("\n") == len(EXERCISES)
    assert "03  LZW trace" in out


def test_grading_is_deterministic(capsys):
    path = EXERCISE_DIR / "wrong" / "06_dct.py"
    first = _run(capsys, path)
    assert _run(capsys, path) == first
