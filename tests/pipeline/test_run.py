import csv
import json

import numpy as np

from fundamentals.imageio import save_image
from pipeline import run


def _image(tmp_path, shape=(20, 28, 3)):
    rng = np.random.default_rng(3)
    img = np.clip(np.add.outer(np.arange(shape[0]), np.arange(shape[1]))[..., None] * 4
                  + rng.integers(-9, 10, shape), 0, 255).astype(np.uint8)
    path = tmp_path / "img.png"
    save_image(path, img)
    return path, img


def test_missing_image_is_one_line_and_exit_2(tmp_path, capsys):
    assert run.main(["--image", str(tmp_path / "missing.png"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing.png" in err and "kodim23" in err


def test_unknown_codec_exit_2(capsys):
    assert run.main(["--codecs", "raw,nope", "--no-progress"]) == 2
    assert "nope" in capsys.readouterr().err


def test_table_csv_json_and_figure(tmp_path, capsys):
    path, img = _image(tmp_path)
    out = tmp_path / "out"
    assert run.main(["--image", str(path), "--out", str(out), "--sweep", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "PSNR dB" in text and "raw" in text and "quantize" in text
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    raw = next(r for r in rows if r["codec"] == "raw")
    # bpp and CR come from the real bytes
    assert int(raw["nbytes"]) > img.nbytes
    assert float(raw["bpp"]) == 8 * int(raw["nbytes"]) / (img.shape[0] * img.shape[1])
    assert abs(float(raw["cr"]) - img.nbytes / int(raw["nbytes"])) < 1e-9
    assert raw["exact"] == "True" and raw["psnr"] == "inf"
    doc = json.loads((out / "results.json").read_text())
    assert doc["shape"] == list(img.shape) and len(doc["results"]) == len(rows)
    assert (out / "report.png").stat().st_size > 10_000
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    page = (out / "index.html").read_text()
    assert page.count("<tr>") == len(rows) + 1 and "images/original.png" in page  # + header row
    for name in ["original.png", "00_raw.png", "01_quantize.png"]:
        assert (out / "images" / name).stat().st_size > 100


def test_evaluate_gray_lossless_entropy_column():
    from pipeline import registry

    img = np.tile(np.array([[0, 255]], np.uint8), (4, 4))
    result, recon = run.evaluate(registry.get("raw"), img)
    assert result.exact and result.h0_bpp == 1.0
    np.testing.assert_array_equal(recon, img)


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=5000", "--dump-dom"]


def test_report_page_loads_in_a_real_browser(tmp_path):
    """Debian's chromium opens index.html and every image on it loads (skipped without chromium)."""
    import re
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        import pytest

        pytest.skip("chromium is not installed (apt-get install chromium)")
    path, _ = _image(tmp_path)
    out = tmp_path / "out"
    assert run.main(["--image", str(path), "--out", str(out), "--no-progress"]) == 0
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          (out / "index.html").as_uri()], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    body = re.search(r'<body data-images-loaded="(\d+)" data-images-total="(\d+)"', dom)
    assert body, dom[:500]
    loaded, total = map(int, body.groups())
    assert total >= 3 and loaded == total
