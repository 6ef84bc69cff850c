"""Regenerate the figures of the course pages into ``docs/figures/*.png``.

Run from the repository root::

    python docs/figures.py                          # every figure
    python docs/figures.py --only jpeg_quality      # one (repeat --only for more)
    python docs/figures.py --out /tmp/figs --list

Every figure is computed with the package's own modules on the embedded sample image
(kodim23, 768 x 512) or a crop of it, drawn with matplotlib's object API (``Figure``,
the Agg canvas: no display, no pyplot state) and written as a PNG of at most about
150 KB. All the work happens in :func:`main`; importing this module computes nothing
(pytest imports every ``.py`` under ``docs/``).

``learned_curves`` needs the training log ``runs/l0067/log.csv`` (not in git); without it
the figure is skipped with a message, and the script still succeeds.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Where the figures go by default (the pages link ``../figures/NAME.png``).
OUT_DIR = ROOT / "docs" / "figures"
#: Training log of the learned codec plotted by ``learned_curves`` (skipped if missing).
RUN_LOG = ROOT / "runs" / "l0067" / "log.csv"
#: Text whose byte statistics ``huffman_lengths`` plots: the first that exists.
TEXTS = (
    ROOT / "shared" / "data" / "canterbury" / "alice29.txt",
    ROOT.parent / "shared" / "data" / "canterbury" / "alice29.txt",
    ROOT / "docs" / "classical" / "huffman.md",
)
DPI = 90
#: Time budget of ``rd_curves``: a codec's remaining sweep points are skipped past it.
RD_BUDGET_S = 60.0

# crops (rows, columns) of kodim23
FACE = (slice(192, 272), slice(142, 222))     # left parrot: eye, stripes, beak edge (80 x 80)
RED = (slice(120, 248), slice(404, 532))      # right parrot: red / white / black face
RED96 = (slice(136, 232), slice(428, 524))    # the same, 96 x 96
EDGE = (slice(248, 376), slice(200, 328))     # yellow chest against blue wing and green


# ---- helpers ------------------------------------------------------------------------------------


def _figure(w: float, h: float, **kw):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained", **kw)


def _save(fig, out: Path, name: str) -> Path:
    """Write ``out/NAME.png`` as RGB (no alpha channel: smaller files), zlib at its best."""
    from PIL import Image  # matplotlib depends on Pillow

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    path = out / f"{name}.png"
    Image.open(buf).convert("RGB").save(path, optimize=True)
    return path


def _image(ax, img, title: str = "", **kw) -> None:
    if img.ndim == 2:
        kw.setdefault("cmap", "gray")
        kw.setdefault("vmin", 0)
        kw.setdefault("vmax", 255)
    ax.imshow(img, interpolation="nearest", **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def _luma(img):
    from fundamentals.color import rgb_to_ycbcr

    return rgb_to_ycbcr(img)[..., 0]


def _luma_u8(img):
    from fundamentals.color import rgb_to_ycbcr

    return rgb_to_ycbcr(img, as_uint8=True)[..., 0]


def _mosaic(tiles, cols: int, gap: int = 1, fill=255):
    """Tiles ``(n, h, w[, c])`` in a grid of ``cols`` columns with ``gap``-pixel borders."""
    import numpy as np

    n, h, w = tiles.shape[:3]
    rows = -(-n // cols)
    shape = (rows * (h + gap) + gap, cols * (w + gap) + gap) + tiles.shape[3:]
    out = np.full(shape, fill, dtype=tiles.dtype)
    for i in range(n):
        r, c = divmod(i, cols)
        out[gap + r * (h + gap): gap + r * (h + gap) + h, gap + c * (w + gap): gap + c * (w + gap) + w] = tiles[i]
    return out


# ---- the figures --------------------------------------------------------------------------------


def dpcm_residuals(out: Path) -> Path:
    """Histogram of the green samples and of their MED and GAP residuals, log scale."""
    import numpy as np

    from classical import dpcm
    from fundamentals.imageio import load_image
    from fundamentals.metrics import entropy

    g = load_image()[..., 1]
    fig = _figure(7.5, 3.8)
    ax = fig.subplots()
    curves = [("green samples", g.astype(int), "0.35")]
    for p, col in (("med", "C0"), ("gap", "C3")):
        curves.append((f"{p.upper()} residual $x - \\hat x$", g.astype(int) - dpcm.predict(g, p), col))
    for label, v, col in curves:
        counts = np.bincount(v.ravel() + 255, minlength=511)
        x = np.arange(-255, 256)
        ax.step(x, np.where(counts > 0, counts, np.nan), where="mid", color=col, lw=1.2,
                label=f"{label}: H = {entropy(v):.2f} bits")
    ax.set_yscale("log")
    ax.set_xlim(-130, 260)
    ax.set_xlabel("sample value / residual")
    ax.set_ylabel("count (log scale)")
    ax.set_title("kodim23, green plane (768 x 512): prediction concentrates the values around 0", fontsize=10)
    ax.legend(fontsize=9, title="order-0 entropy", title_fontsize=9)
    ax.grid(alpha=0.3)
    return _save(fig, out, "dpcm_residuals")


def dpcm_drift(out: Path) -> Path:
    """Open-loop vs closed-loop near-lossless DPCM (predictor 1 = left neighbour, near = 2)."""
    import numpy as np

    from classical import dpcm
    from fundamentals.imageio import load_image

    near = 2
    strip = np.ascontiguousarray(load_image()[192:256, :, 1])  # 64 rows x 768 columns, green
    opened = dpcm.open_loop(strip, 1, near=near).astype(int) - strip
    closed = dpcm.decode(dpcm.encode(strip, predictor=1, near=near)).astype(int) - strip
    fig = _figure(8.5, 7.4)
    axes = fig.subplots(3, 1, height_ratios=[1.1, 1.1, 1.2])
    row = 20
    ax = axes[0]
    ax.plot(opened[row], color="C3", lw=1, label="open loop: predict from the ORIGINAL")
    ax.plot(closed[row], color="C0", lw=1, label="closed loop: predict from the RECONSTRUCTION")
    ax.axhspan(-near, near, color="C0", alpha=0.15)
    ax.set_ylabel("error $\\hat x - x$")
    ax.set_title(f"one row (predictor a = left, step 2 near + 1 = {2 * near + 1}): the open-loop error "
                 "is a random walk", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax = axes[1]
    ax.plot(np.sqrt((opened ** 2).mean(0)), color="C3", lw=1, label="open loop")
    ax.plot(np.sqrt((closed ** 2).mean(0)), color="C0", lw=1, label=f"closed loop (|error| <= {near})")
    ax.set_ylabel("RMS error over 64 rows")
    ax.set_xlabel("column (pixels coded so far in the row)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    _image(axes[2], np.vstack([strip[:48, :384], np.full((4, 384), 255, np.uint8),
                               np.clip(strip[:48, :384] + opened[:48, :384], 0, 255).astype(np.uint8)]),
           "top: the original strip; bottom: what the open-loop decoder makes of it (48 rows, 384 columns)")
    return _save(fig, out, "dpcm_drift")


def vq_codebook(out: Path) -> Path:
    """The k = 64, 4 x 4 codebook of kodim23 and a crop of the reconstruction."""
    import numpy as np

    from classical import vq
    from fundamentals.imageio import load_image
    from fundamentals.metrics import bpp, psnr

    img = load_image()
    k, b = 64, 4
    book, labels = vq.quantize_blocks(img, k=k, block=b)
    rec = vq.reconstruct(book, labels, img.shape, b)
    rate = bpp(vq.encode(img, k=k, block=b), img)
    tiles = book.reshape(-1, b, b, 3)
    order = np.argsort(_luma(tiles.astype(float)).mean(axis=(1, 2)), kind="stable")
    use = np.bincount(labels, minlength=len(book))
    mosaic = _mosaic(np.repeat(np.repeat(tiles[order], 4, 1), 4, 2), 8, gap=2)
    fig = _figure(10, 3.9)
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1])
    _image(axes[0], mosaic, f"the {k} codewords ({b} x {b} RGB), darkest first\n"
                            f"most used: {use.max()} blocks, least: {use.min()}")
    _image(axes[1], img[RED], "original (128 x 128 crop)")
    _image(axes[2], rec[RED], f"VQ k = {k}, {b} x {b}: {rate:.3f} bpp, "
                              f"{psnr(img, rec):.1f} dB\n(whole image, codebook included)")
    return _save(fig, out, "vq_codebook")


def dct_energy(out: Path) -> Path:
    """Energy compaction of the 8 x 8 DCT on kodim23's luma, and the 64 basis images."""
    import numpy as np

    from classical.dct import ZIGZAG, dct2, idct2, split_blocks
    from fundamentals.imageio import load_image

    B = split_blocks(_luma(load_image())).reshape(-1, 8, 8) - 128.0
    E = (dct2(B) ** 2).reshape(-1, 64)[:, ZIGZAG]
    P = (B ** 2).reshape(-1, 64)
    k = np.arange(1, 65)
    total = np.cumsum(E.sum(0)) / E.sum()
    live = E.sum(1) > 0
    per_block = (np.cumsum(E[live], 1) / E[live].sum(1, keepdims=True)).mean(0)
    pixels = np.cumsum(P.sum(0)) / P.sum()
    AC = E[:, 1:]
    ac_live = AC.sum(1) > 0
    ac = (np.cumsum(AC[ac_live], 1) / AC[ac_live].sum(1, keepdims=True)).mean(0)  # k = 1..63 AC kept
    fig = _figure(10, 4.3)
    ax, bx = fig.subplots(1, 2, width_ratios=[1.25, 1])
    ax.plot(k, 100 * total, "C0", lw=2, label="DCT: share of the total energy")
    ax.plot(k, 100 * per_block, "C0--", lw=1.2, label="DCT: mean share per block")
    ax.plot(k[:-1], 100 * ac, "C2:", lw=1.5, label="DCT, AC only: mean share of a block's AC energy\n"
            "in its first k AC coefficients")
    ax.plot(k, 100 * pixels, "C3", lw=1.5, label="pixels (raster order), for comparison")
    ax.set_xlabel("coefficients kept (zig-zag order) / pixels kept")
    ax.set_ylabel("energy kept (%)")
    ax.set_xlim(1, 64)
    ax.set_ylim(0, 101)
    ax.set_title(f"kodim23 luma - 128, {len(B)} blocks of 8 x 8", fontsize=10)
    ax.legend(fontsize=8, loc="center right")
    ax.grid(alpha=0.3)
    basis = np.zeros((64, 8, 8))
    basis[np.arange(64), np.arange(64) // 8, np.arange(64) % 8] = 1.0
    tiles = idct2(basis)
    tiles = 0.85 * (0.5 + tiles / (2 * np.abs(tiles).max(axis=(1, 2), keepdims=True)))  # 0..0.85: white = gap
    tiles = np.repeat(np.repeat(tiles, 4, 1), 4, 2)
    _image(bx, _mosaic(tiles, 8, gap=2, fill=1.0), "the 64 basis images: row u (down), column v (across)",
           cmap="gray", vmin=0, vmax=1)
    return _save(fig, out, "dct_energy")


def jpeg_quality(out: Path) -> Path:
    """A crop at JPEG quality 5, 20, 50, 90, and the rate-PSNR curve of the codec."""
    from classical import jpeg
    from fundamentals.imageio import load_image
    from fundamentals.metrics import bpp, psnr

    img = load_image()
    points = {}
    for q in (5, 10, 20, 30, 50, 75, 90, 95):
        data = jpeg.encode(img, quality=q)
        dec = jpeg.decode(data)
        points[q] = (bpp(data, img), psnr(img, dec), dec)
    fig = _figure(10, 6.6)
    axes = fig.subplots(2, 3)
    _image(axes[0, 0], img[FACE], "original (80 x 80 crop)")
    for ax, q in zip(axes.flat[1:5], (5, 20, 50, 90)):
        r, p, dec = points[q]
        _image(ax, dec[FACE], f"quality {q}: {r:.2f} bpp, {p:.1f} dB")
    ax = axes[1, 2]
    rates = [v[0] for v in points.values()]
    ps = [v[1] for v in points.values()]
    ax.plot(rates, ps, "o-", color="C0")
    for q, (r, p, _) in points.items():
        ax.annotate(str(q), (r, p), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("bits per pixel")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title("whole image, quality 5 .. 95", fontsize=9)
    ax.grid(alpha=0.3)
    fig.suptitle("classical.jpeg on kodim23 (4:2:0; bpp and PSNR of the whole 768 x 512 image)", fontsize=10)
    return _save(fig, out, "jpeg_quality")


def huffman_lengths(out: Path) -> Path:
    """Huffman code length of each byte value against its probability, with -log2 p."""
    import numpy as np

    from classical import huffman

    path = next((p for p in TEXTS if p.is_file()), None)
    if path is not None:
        data, name = path.read_bytes(), path.name
    else:
        data, name = (huffman.__doc__ or "").encode(), "classical.huffman's docstring"
    counts = np.bincount(np.frombuffer(data, np.uint8), minlength=256)
    lengths = huffman.code_lengths(counts, 15).astype(int)
    used = counts > 0
    p = counts[used] / counts.sum()
    L = lengths[used]
    H = float(-(p * np.log2(p)).sum())
    fig = _figure(7.5, 4.2)
    ax = fig.subplots()
    grid = np.geomspace(p.min() / 1.5, 1, 100)
    ax.plot(grid, -np.log2(grid), color="0.4", lw=1, label="$-\\log_2 p$ (information content)")
    ax.scatter(p, L, s=14, color="C3", zorder=3, label="Huffman code length")
    for sym, text in ((32, "' '"), (101, "'e'"), (116, "'t'"), (10, "'\\n'"), (122, "'z'"), (113, "'q'")):
        if used[sym]:
            ax.annotate(text, (counts[sym] / counts.sum(), lengths[sym]), xytext=(4, 3),
                        textcoords="offset points", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("probability p of the byte value (log scale)")
    ax.set_ylabel("bits")
    ax.set_title(f"{name}: {len(data):,} bytes, {int(used.sum())} byte values\n"
                 f"entropy {H:.3f} bits/byte, Huffman {float((p * L).sum()):.3f} bits/byte", fontsize=10)
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out, "huffman_lengths")


def quantization(out: Path) -> Path:
    """Uniform vs Lloyd-Max levels on the luma histogram; 2-bit images with and without dither."""
    import numpy as np

    from fundamentals.imageio import load_image
    from fundamentals.quantization import dequantize, lloyd_max, quantize, reduce_bit_depth

    img = load_image()
    y = _luma_u8(img)
    hist = np.bincount(y.ravel(), minlength=256)
    L = 8
    v = np.arange(256)
    uni = dequantize(np.arange(L), levels=L)
    uni_mse = float((hist * (v - dequantize(quantize(v, levels=L), levels=L)) ** 2).sum() / hist.sum())
    t, lm = lloyd_max(hist, L)
    lm_mse = float((hist * (v - lm[np.searchsorted(t, v, side="right")]) ** 2).sum() / hist.sum())
    fig = _figure(10, 6.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.1])
    ax = top.subplots()
    ax.fill_between(v, hist, step="mid", color="0.8", label="luma histogram")
    for i, level in enumerate(uni):
        ax.axvline(level, color="C0", ls="--", lw=1.2, label=f"uniform mid-tread, MSE {uni_mse:.0f}" if i == 0 else None)
    for i, level in enumerate(lm):
        ax.axvline(level, color="C3", lw=1.5, label=f"Lloyd-Max, MSE {lm_mse:.0f}" if i == 0 else None)
    ax.set_xlim(-3, 258)
    ax.set_xlabel("luma value")
    ax.set_ylabel("pixels")
    ax.set_title(f"{L} reconstruction levels for kodim23's luma: Lloyd-Max puts them where the pixels are",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    crop = img[EDGE]
    axes = bottom.subplots(1, 3)
    _image(axes[0], crop, "original (8 bits per sample)")
    _image(axes[1], reduce_bit_depth(crop, 2), "2 bits per sample: bands")
    _image(axes[2], reduce_bit_depth(crop, 2, dither=True), "2 bits, Floyd-Steinberg dither")
    return _save(fig, out, "quantization")


def chroma_subsampling(out: Path) -> Path:
    """A crop at 4:4:4 and with 4:2:0 chroma, and the Cb plane before and after."""
    import numpy as np

    from fundamentals.color import rgb_to_ycbcr, ycbcr_to_rgb
    from fundamentals.imageio import load_image
    from fundamentals.metrics import psnr
    from fundamentals.sampling import subsample, upsample

    img = load_image()
    ycc = rgb_to_ycbcr(img)
    sub = ycc.copy()
    for c in (1, 2):
        sub[..., c] = upsample(subsample(ycc[..., c], "4:2:0"), "4:2:0", ycc.shape[:2])
    rgb = ycbcr_to_rgb(sub, as_uint8=True)
    crop = RED96
    diff = np.abs(rgb[crop].astype(int) - img[crop]).max(-1)
    fig = _figure(8.2, 5.8)
    axes = fig.subplots(2, 3)
    _image(axes[0, 0], img[crop], "4:4:4 (original)")
    _image(axes[0, 1], rgb[crop], f"4:2:0 (chroma 2 x 2 averaged, replicated)\n"
                                  f"whole image: {psnr(img, rgb):.1f} dB")
    _image(axes[0, 2], np.clip(4 * diff, 0, 255).astype(np.uint8), "|difference| x 4 (largest over R, G, B)")
    _image(axes[1, 0], np.clip(ycc[crop][..., 0], 0, 255), "Y (luma): kept at full resolution")
    lo, hi = float(ycc[crop][..., 1].min()), float(ycc[crop][..., 1].max())
    _image(axes[1, 1], ycc[crop][..., 1], "Cb at full resolution", cmap="gray", vmin=lo, vmax=hi)
    _image(axes[1, 2], sub[crop][..., 1], "Cb at 4:2:0: one sample per 2 x 2", cmap="gray", vmin=lo, vmax=hi)
    fig.suptitle("kodim23, 96 x 96 crop: chroma loses 3/4 of its samples, the edges stay in the luma",
                 fontsize=10)
    return _save(fig, out, "chroma_subsampling")


def rd_curves(out: Path) -> Path:
    """PSNR against bpp on kodim23 for the registry's lossy codecs, over each codec's sweep."""
    from fundamentals.imageio import load_image
    from fundamentals.metrics import bpp, psnr
    from pipeline import registry

    img = load_image()
    start = time.perf_counter()
    fig = _figure(8, 5)
    ax = fig.subplots()
    styles = {"jpeg": "o-", "vq": "s-", "dpcm-near": "^-", "quantize": "d-"}
    skipped = []
    for name, style in styles.items():
        codec = registry.get(name)
        pts = []
        for params in codec.sweep:
            if time.perf_counter() - start > RD_BUDGET_S:
                skipped.append(f"{name} {dict(params)}")
                continue
            data = codec.compress(img, **params)
            pts.append((bpp(data, img), psnr(img, codec.decode(data)), params))
        if not pts:
            continue
        pts.sort(key=lambda t: t[0])
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, ms=5,
                label=f"{name} ({', '.join(pts[0][2])})")
        for r, p, params in pts:
            ax.annotate(",".join(str(v) for v in params.values()), (r, p), xytext=(3, -9),
                        textcoords="offset points", fontsize=6, color="0.35")
    if skipped:
        print(f"  rd_curves: time budget spent, skipped {', '.join(skipped)}", file=sys.stderr)
    ax.set_xscale("log")
    ax.set_xlabel("bits per pixel (log scale; the raw image is 24)")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title("kodim23: rate-distortion of the classical lossy codecs (registry sweeps)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", title="codec (swept parameter)", title_fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, out, "rd_curves")


def learned_curves(out: Path) -> Path | None:
    """Training loss, bpp and PSNR of the learned codec against the step (needs ``RUN_LOG``)."""
    if not RUN_LOG.is_file():
        print(f"  learned_curves: {RUN_LOG} not found, skipped", file=sys.stderr)
        return None
    with RUN_LOG.open(newline="") as f:
        rows = list(csv.DictReader(f))

    def col(key):
        pts = [(float(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
        return [p[0] for p in pts], [p[1] for p in pts]

    if not rows or not col("loss")[0]:
        print(f"  learned_curves: {RUN_LOG} has no rows, skipped", file=sys.stderr)
        return None
    fig = _figure(10, 3.6)
    axes = fig.subplots(1, 3)
    axes[0].plot(*col("loss"), lw=1)
    axes[0].set_yscale("log")
    axes[0].set_title("loss = bpp + $\\lambda \\cdot 255^2 \\cdot$ MSE (log scale)", fontsize=9)
    for ax, key, title in ((axes[1], "bpp", "rate (bpp)"), (axes[2], "psnr", "PSNR (dB)")):
        ax.plot(*col(key), lw=1, label="training batch")
        if col(f"val_{key}")[0]:
            ax.plot(*col(f"val_{key}"), "o-", ms=3, lw=1, label="validation")
            ax.legend(fontsize=8)
        ax.set_title(title, fontsize=9)
    for ax in axes:
        ax.set_xlabel("step")
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(f"learned codec training: {RUN_LOG.parent.name}/{RUN_LOG.name}, last step "
                 f"{int(float(rows[-1]['step'])):,}", fontsize=10)
    return _save(fig, out, "learned_curves")


#: Every figure, in the order they are made: name -> function(out_dir) -> path (or None if skipped).
FIGURES = {f.__name__: f for f in (dpcm_residuals, dpcm_drift, vq_codebook, dct_energy, jpeg_quality,
                                   huffman_lengths, quantization, chroma_subsampling, rd_curves,
                                   learned_curves)}


def main(argv=None) -> int:
    """Make the figures; returns the exit status (0 = every requested figure made or skipped)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    parser.add_argument("--only", action="append", choices=list(FIGURES), metavar="NAME",
                        help="make only this figure (repeatable): " + ", ".join(FIGURES))
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, f in FIGURES.items():
            print(f"{name:20s} {(f.__doc__ or '').splitlines()[0]}")
        return 0
    if str(ROOT) not in sys.path:  # run as a script: make the package importable
        sys.path.insert(0, str(ROOT))
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or FIGURES:
        t0 = time.perf_counter()
        path = FIGURES[name](args.out)
        if path is not None:
            print(f"{name:20s} {path.stat().st_size / 1024:6.1f} KB {time.perf_counter() - t0:6.1f} s  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
