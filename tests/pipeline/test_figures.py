"""docs/figures.py: the figure script runs, writes PNGs, and skips what it cannot make."""

import pytest

from docs import figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_cheap_figures_are_written(tmp_path):
    assert figures.main(["--out", str(tmp_path), "--only", "dct_energy", "--only", "huffman_lengths"]) == 0
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == ["dct_energy.png", "huffman_lengths.png"]
    for name in made:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert 5_000 < len(data) < 200_000


def test_missing_training_log_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "RUN_LOG", tmp_path / "no-such-run" / "log.csv")
    assert figures.main(["--out", str(tmp_path / "out"), "--only", "learned_curves"]) == 0
    assert list((tmp_path / "out").iterdir()) == []


def test_every_figure_is_listed_and_unknown_names_are_refused(capsys):
    assert figures.main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(figures.FIGURES)
    assert len(listed) == 10
    with pytest.raises(SystemExit):
        figures.main(["--only", "no_such_figure"])
