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
