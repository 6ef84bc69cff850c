"""Benchmarks against real tools: ``python -m pipeline.bench TARGET``.

Every figure is measured in ONE run beside the peers installed as dev extras, so
the ratios (ours / peer) compare like with like on the same machine and load.
Sizes are ``len()`` of real streams; speeds are MB of input per second, the best
of ``--repeat`` runs.  Results are printed and written as Markdown to
``docs/results/<target>.md`` (``--out``), stamped with the date and the machine.

Targets
-------
``lossless-bytes``
    The byte coders (Huffman, LZW, PackBits, rANS order-0) on the Canterbury
    corpus, beside zlib (Huffman-only and level 9), ncompress, dahuffman, unlzw3
    and imagecodecs' PackBits.

``jpeg``
    Our baseline JPEG beside Pillow (libjpeg-turbo) on Kodak, 4:2:0, standard
    tables: mean bpp and PSNR-RGB at each quality, and the time ratios
    ours / Pillow for encode and decode.

``lossless-images``
    Our DPCM, lossless JPEG, LZW and Huffman image codecs beside PNG, WebP lossless,
    JPEG-LS and libjpeg-turbo's lossless JPEG on Kodak (mean bpp, times).
``vq``
    Our k-means beside scikit-learn's (inertia and time ratios), and the VQ codec's
    rate-distortion points on kodim23.
``seed-table``
    The thesis's table (RLE, VQ, RLE+VQ on lena, cameraman, baboon, barbara) with real
    bytes and 8-bit PSNR, written to ``docs/results/seed-table.md``.
``learned``
    The learned codec beside Pillow JPEG (BD-rate), our JPEG, the CAE baseline and
    CompressAI's published factorized-prior points; also ``learned.png``.

Data come from ``--data`` (default: the ``COMPRESS_DATA`` environment variable).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from classical import ans, huffman, lzw, rle
from pipeline import bench_images

__all__ = ["TARGETS", "main"]


def _best_time(fn, arg, repeat: int):
    """Run ``fn(arg)`` ``repeat`` times; return (last result, best seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(arg)
        best = min(best, time.perf_counter() - t0)
    return out, best


def _machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {np.__version__}")


# ---- lossless-bytes -----------------------------------------------------------------------------


def _coders():
    """(name, kind, encode, decode) for ours and every installed peer."""
    rows = [
        ("huffman", "ours", huffman.compress, huffman.decompress),
        ("lzw -b16", "ours", lzw.compress, lzw.decompress),
        ("packbits", "ours", rle.packbits_encode, rle.packbits_decode),
        ("rANS order-0", "ours", ans.compress, ans.decompress),
        ("zlib huffman-only", "peer",
         lambda d: _zlib(d, zlib.Z_HUFFMAN_ONLY, 9), lambda d: zlib.decompress(d, -15)),
        ("zlib -9", "peer", lambda d: _zlib(d, zlib.Z_DEFAULT_STRATEGY, 9), lambda d: zlib.decompress(d, -15)),
    ]
    rows.append(("naive dict LZW (encode only; size at 16 bits/code)", "peer", naive_lzw_codes, None))
    try:
        import ncompress

        rows.append(("ncompress -b16", "peer", ncompress.compress, ncompress.decompress))
    except ImportError:
        pass
    try:
        import unlzw3

        rows.append(("unlzw3 (decode only)", "peer", None, unlzw3.unlzw))
    except ImportError:
        pass
    try:
        import dahuffman

        def dah_encode(d):
            codec = dahuffman.HuffmanCodec.from_data(d)
            return codec, codec.encode(d)

        rows.append(("dahuffman", "peer", dah_encode, lambda pair: pair[0].decode(pair[1])))
    except ImportError:
        pass
    try:
        import imagecodecs

        rows.append(("imagecodecs packbits", "peer", imagecodecs.packbits_encode, imagecodecs.packbits_decode))
    except ImportError:
        pass
    return rows


def _corpus_files(folder: Path) -> list[Path]:
    """The corpus files of a shared-data folder (its SOURCES.md and MANIFEST.tsv excluded)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name not in ("SOURCES.md", "MANIFEST.tsv"))


def naive_lzw_codes(data: bytes) -> list[int]:
    """The textbook LZW loop (a dict of byte strings, no bit packing, no table limit): the speed yardstick."""
    table = {bytes([i]): i for i in range(256)}
    w, codes = b"", []
    for byte in data:
        wc = w + bytes([byte])
        if wc in table:
            w = wc
        else:
            codes.append(table[w])
            table[wc] = len(table)
            w = bytes([byte])
    if w:
        codes.append(table[w])
    return codes


def _zlib(data: bytes, strategy: int, level: int) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return c.compress(data) + c.flush()


def _size(stream) -> int:
    if isinstance(stream, list):  # naive LZW codes: count 2 bytes each (16-bit codes)
        return 2 * len(stream)
    return len(stream[1]) if isinstance(stream, tuple) else len(stream)


def bench_lossless_bytes(data_dir: Path, repeat: int, limit: int | None = None) -> str:
    """Bits per byte and MB/s of every byte coder over the Canterbury corpus."""
    files = _corpus_files(data_dir / "canterbury")[:limit]
    corpus = [(p.name, p.read_bytes()) for p in files]
    total_in = sum(len(d) for _, d in corpus)
    results = {}
    for name, kind, enc, dec in _coders():
        size = enc_s = dec_s = 0.0
        exact = True
        for fname, data in corpus:
            if enc is None:  # decode-only peer: decode what ncompress wrote
                import ncompress

                stream, e = ncompress.compress(data), float("nan")
            else:
                stream, e = _best_time(enc, data, repeat)
            if dec is None:  # encode-only peer
                out, d = data, float("nan")
            else:
                out, d = _best_time(dec, stream, repeat)
            exact &= bytes(out) == data
            size += _size(stream)
            enc_s += e
            dec_s += d
        results[name] = (kind, 8 * size / total_in, total_in / enc_s / 1e6, total_in / dec_s / 1e6,
                         exact if dec is not None else None)
    lines = [
        f"Canterbury corpus: {len(corpus)} files, {total_in} bytes; best of {repeat} runs per file.",
        "",
        "| coder | ours/peer | bits per byte | encode MB/s | decode MB/s | round trip exact |",
        "|---|---|---|---|---|---|",
    ]
    for name, (kind, bpb, enc, dec, exact) in results.items():
        enc_text = "-" if np.isnan(enc) else f"{enc:.2f}"
        dec_text = "-" if np.isnan(dec) else f"{dec:.2f}"
        lines.append(f"| {name} | {kind} | {bpb:.3f} | {enc_text} | {dec_text} | {'-' if exact is None else ('yes' if exact else 'NO')} |")
    lines += ["", "Ratios (same run):", ""]

    def ratio(a, b, i):
        if a in results and b in results and np.isfinite(results[b][i]) and results[b][i] > 0:
            return results[a][i] / results[b][i]
        return float("nan")

    lines += [
        f"- Huffman size / zlib Huffman-only: {ratio('huffman', 'zlib huffman-only', 1):.4f} (target <= 1.01)",
        (f"- Huffman speed / dahuffman: encode {ratio('huffman', 'dahuffman', 2):.1f}x, "
         f"decode {ratio('huffman', 'dahuffman', 3):.1f}x (target >= 10x each)"),
        f"- LZW size / ncompress: {ratio('lzw -b16', 'ncompress -b16', 1):.4f} (byte-identical streams give 1)",
        (f"- LZW decode / unlzw3: {ratio('lzw -b16', 'unlzw3 (decode only)', 3):.1f}x (target >= 1x); "
         f"LZW encode / naive dict loop: {ratio('lzw -b16', 'naive dict LZW (encode only; size at 16 bits/code)', 2):.2f}x (target >= 2x); "
         f"LZW encode / ncompress (C): {ratio('lzw -b16', 'ncompress -b16', 2):.3f}x"),
        f"- PackBits size / imagecodecs: {ratio('packbits', 'imagecodecs packbits', 1):.4f}",
    ]
    return "\n".join(lines + ["", _rans_throughput(repeat)])


def _rans_throughput(repeat: int, n: int = 1_000_000) -> str:
    """rANS on 10^6 symbols of a skewed 64-symbol source: M symbols/s and size over the ideal."""
    rng = np.random.default_rng(0)
    pmf = 0.9 ** np.arange(64)
    pmf /= pmf.sum()
    symbols = rng.choice(64, size=n, p=pmf)
    cdf = ans.quantize_pmf(pmf, 16)
    ideal = ans.ideal_bits(symbols, cdf) / 8
    lines = [f"rANS, {n:,} symbols of a 64-symbol geometric source, 16-bit table, best of {repeat}:", "",
             "| lanes | encode M symbols/s | decode M symbols/s | bytes over ideal |", "|---|---|---|---|"]
    for lanes in (32, None):
        data, te = _best_time(lambda x, lanes=lanes: ans.encode(x, cdf, lanes=lanes), symbols, repeat)
        out, td = _best_time(lambda d: ans.decode(d, cdf, None, n), data, repeat)
        assert np.array_equal(out, symbols)
        label = "32" if lanes else f"auto ({ans.auto_lanes(n)})"
        lines.append(f"| {label} | {n / te / 1e6:.2f} | {n / td / 1e6:.2f} | {len(data) - ideal:.0f} "
                     f"({100 * (len(data) / ideal - 1):.3f}%) |")
    lines.append("\nTarget: >= 3 M symbols/s encode and decode; size <= ideal + 0.5% + 16 bytes (+ ~3.5 bytes per lane).")
    return "\n".join(lines)


# ---- jpeg ---------------------------------------------------------------------------------------

JPEG_QUALITIES = (10, 20, 30, 50, 75, 90)


def _pillow_jpeg(img: np.ndarray, quality: int) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
    return buf.getvalue()


def _pillow_decode(data: bytes) -> np.ndarray:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _kodak(data_dir: Path, limit: int | None = None) -> list[tuple[str, np.ndarray]]:
    from fundamentals.imageio import load_image

    files = sorted((data_dir / "kodak").glob("*.png"))[:limit]
    return [(p.stem, load_image(p)) for p in files]


def bench_jpeg(data_dir: Path, repeat: int, limit: int | None = None) -> str:
    """Ours vs Pillow on Kodak: bpp, PSNR and time ratios at each quality."""
    from classical import jpeg
    from fundamentals.metrics import bpp, psnr

    images = _kodak(data_dir, limit)
    rows = []
    t_ours = {"enc": 0.0, "dec": 0.0}
    t_pil = {"enc": 0.0, "dec": 0.0}
    for q in JPEG_QUALITIES:
        acc = np.zeros(4)  # bpp ours, psnr ours, bpp pillow, psnr pillow
        enc_ratio, dec_ratio = [], []
        for _, img in images:
            ours, te = _best_time(lambda x, q=q: jpeg.encode(x, quality=q), img, repeat)
            out, td = _best_time(jpeg.decode, ours, repeat)
            theirs, pe = _best_time(lambda x, q=q: _pillow_jpeg(x, q), img, repeat)
            pout, pd = _best_time(_pillow_decode, theirs, repeat)
            acc += [bpp(ours, img.shape[:2]), psnr(img, out), bpp(theirs, img.shape[:2]), psnr(img, pout)]
            enc_ratio.append(te / pe)
            dec_ratio.append(td / pd)
            t_ours["enc"] += te
            t_ours["dec"] += td
            t_pil["enc"] += pe
            t_pil["dec"] += pd
        m = acc / len(images)
        rows.append((q, *m, float(np.median(enc_ratio)), float(np.median(dec_ratio))))
    lines = [
        (f"Kodak: {len(images)} images; 4:2:0, Annex K tables scaled by quality, optimize=False; "
         f"mean of per-image bpp (real file bytes) and PSNR-RGB; times best of {repeat}."),
        "",
        ("| quality | ours bpp | Pillow bpp | size ours/Pillow | ours PSNR dB | Pillow PSNR dB | dPSNR dB "
         "| encode time ours/Pillow (median) | decode time ours/Pillow (median) |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for q, bo, po, bp, pp, er, dr in rows:
        lines.append(f"| {q} | {bo:.4f} | {bp:.4f} | {bo / bp:.4f} | {po:.3f} | {pp:.3f} | {po - pp:+.3f} "
                     f"| {er:.1f}x | {dr:.1f}x |")
    n = len(images) * len(JPEG_QUALITIES)
    lines += ["", (f"Mean time per 768x512 image: ours encode {1000 * t_ours['enc'] / n:.0f} ms, "
                   f"decode {1000 * t_ours['dec'] / n:.0f} ms; Pillow encode {1000 * t_pil['enc'] / n:.1f} ms, "
                   f"decode {1000 * t_pil['dec'] / n:.1f} ms. Targets: encode <= 50x Pillow, decode <= 150x.")]
    return "\n".join(lines)


TARGETS = {
    "lossless-bytes": bench_lossless_bytes,
    "jpeg": bench_jpeg,
    "lossless-images": bench_images.bench_lossless_images,
    "vq": bench_images.bench_vq,
    "seed-table": bench_images.bench_seed,
    "learned": bench_images.bench_learned,
}


def main(argv=None) -> int:
    """Entry point of ``python -m pipeline.bench``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.bench",
        description="Benchmarks of our codecs beside real tools, measured in one run.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("target", choices=[*TARGETS, "all"], help="what to measure")
    parser.add_argument("--data", default=os.environ.get("COMPRESS_DATA"),
                        help="the shared data folder (default: $COMPRESS_DATA)")
    parser.add_argument("--out", default="docs/results", help="folder for the Markdown tables")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (the best is kept)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N files of each set")
    args = parser.parse_args(argv)
    if not args.data or not Path(args.data).is_dir():
        print("error: no data folder: pass --data DIR or set COMPRESS_DATA", file=sys.stderr)
        return 2
    targets = list(TARGETS) if args.target == "all" else [args.target]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for target in targets:
        if target == "learned":  # also draws the RD plot beside the table
            body = bench_images.bench_learned(Path(args.data), max(1, args.repeat), args.limit, out_dir=out)
        else:
            body = TARGETS[target](Path(args.data), max(1, args.repeat), args.limit)
        stamp = f"Measured {datetime.date.today().isoformat()} on {_machine()} by `python -m pipeline.bench {target}`."
        text = f"# {target}\n\n{stamp}\n\n{body}\n"
        (out / f"{target}.md").write_text(text)
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
