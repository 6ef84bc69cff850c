import pytest

from pipeline import bench


def test_lossless_bytes_on_a_tiny_corpus(tmp_path, capsys):
    corpus = tmp_path / "data" / "canterbury"
    corpus.mkdir(parents=True)
    (corpus / "a.txt").write_bytes(b"TOBEORNOTTOBEORTOBEORNOT" * 50)
    (corpus / "b.bin").write_bytes(bytes(range(256)) * 3)
    (corpus / "SOURCES.md").write_text("not part of the corpus")
    out = tmp_path / "results"
    assert bench.main(["lossless-bytes", "--data", str(tmp_path / "data"), "--out", str(out), "--repeat", "1"]) == 0
    text = (out / "lossless-bytes.md").read_text()
    assert "2 files" in text and "| NO |" not in text
    assert "| huffman | ours |" in text and "| lzw -b16 | ours |" in text


def test_missing_data_is_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COMPRESS_DATA", raising=False)
    assert bench.main(["lossless-bytes", "--out", str(tmp_path)]) == 2
    assert "COMPRESS_DATA" in capsys.readouterr().err


def test_jpeg_target_on_two_small_images(tmp_path):
    import numpy as np

    from fundamentals.imageio import save_image

    kodak = tmp_path / "data" / "kodak"
    kodak.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        smooth = np.add.outer(np.arange(40), np.arange(56))[..., None] * (i + 1)
        save_image(kodak / f"img{i}.png", np.clip(smooth + rng.integers(0, 30, (40, 56, 3)), 0, 255).astype(np.uint8))
    out = tmp_path / "results"
    assert bench.main(["jpeg", "--data", str(tmp_path / "data"), "--out", str(out), "--repeat", "1",
                       "--limit", "2"]) == 0
    text = (out / "jpeg.md").read_text()
    assert "Kodak: 2 images" in text
    rows = [line for line in text.splitlines() if line.startswith("| 75 |")]
    ratio = float(rows[0].split("|")[4])
    assert 0.97 < ratio < 1.03  # our file size tracks Pillow's


def _tiny_data(tmp_path):
    import numpy as np

    from fundamentals.imageio import save_image

    rng = np.random.default_rng(1)
    for folder, names in (("kodak", ["k1", "k2"]), ("classic", ["lena", "cameraman"])):
        (tmp_path / "data" / folder).mkdir(parents=True)
        for i, name in enumerate(names):
            shape = (24, 32, 3) if i == 0 else (24, 32)
            ramp = np.add.outer(np.arange(24), np.arange(32)) * 3
            img = np.clip((ramp if i else ramp[..., None]) + rng.integers(0, 20, shape), 0, 255).astype(np.uint8)
            save_image(tmp_path / "data" / folder / f"{name}.png", img)
    return tmp_path / "data"


def test_lossless_images_and_seed_targets(tmp_path):
    data = _tiny_data(tmp_path)
    out = tmp_path / "results"
    for target in ("lossless-images", "seed-table"):
        assert bench.main([target, "--data", str(data), "--out", str(out), "--repeat", "1"]) == 0
    lossless = (out / "lossless-images.md").read_text()
    assert "| NO |" not in lossless and "ours dpcm" in lossless and "PNG (Pillow, optimize)" in lossless
    seed = (out / "seed-table.md").read_text()
    assert seed.count("| lena |") == 3 and seed.count("| cameraman |") == 3


@pytest.mark.slow
def test_vq_and_learned_targets(tmp_path):
    data = _tiny_data(tmp_path)
    out = tmp_path / "results"
    assert bench.main(["vq", "--data", str(data), "--out", str(out)]) == 0
    assert bench.main(["learned", "--data", str(data), "--out", str(out), "--limit", "1"]) == 0
    assert "CAE baseline" in (out / "learned.md").read_text()
