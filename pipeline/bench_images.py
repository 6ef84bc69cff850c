"""Image benchmarks of ``python -m pipeline.bench``: lossless images, VQ, the thesis table, learned.

Each function takes the shared data folder, a repeat count and an optional limit on
the number of images, measures ours beside the peers in the same run, and returns
Markdown (the caller stamps it with the date and the machine and writes it to
``docs/results/``).  Figures of other people's codecs that are NOT measured here
(CompressAI's published points) are labelled "published".
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np

from fundamentals.imageio import load_image
from fundamentals.metrics import bd_rate, bpp, mse, psnr

__all__ = ["bench_learned", "bench_lossless_images", "bench_seed", "bench_vq"]


def _kodak(data_dir: Path, limit=None):
    return [(p.stem, load_image(p)) for p in sorted((data_dir / "kodak").glob("*.png"))[:limit]]


def _timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def _pillow_bytes(img: np.ndarray, fmt: str, **opts) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt, **opts)
    return buf.getvalue()


# ---- lossless images ----------------------------------------------------------------------------


def _lossless_coders():
    from classical import dpcm, huffman, jpeg_lossless, lzw

    coders = [
        ("ours dpcm (RCT + GAP + adaptive rANS)", dpcm.encode, dpcm.decode),
        ("ours lossless JPEG (SOF3, predictor 7)", lambda x: jpeg_lossless.encode(x, predictor=7),
         jpeg_lossless.decode),
        ("ours lzw (.Z of the planes)", lzw.encode, lzw.decode),
        ("ours huffman (order 0)", huffman.encode, huffman.decode),
        ("PNG (Pillow, optimize)", lambda x: _pillow_bytes(x, "PNG", optimize=True), None),
        ("WebP lossless (Pillow)", lambda x: _pillow_bytes(x, "WEBP", lossless=True, quality=100, method=6), None),
    ]
    try:
        import imagecodecs

        if imagecodecs.JPEGLS.available:
            coders.append(("JPEG-LS (CharLS, no colour transform)", imagecodecs.jpegls_encode, None))
        if imagecodecs.JPEG8.available:
            coders.append(("lossless JPEG (libjpeg-turbo, predictor 7)",
                           lambda x: imagecodecs.jpeg8_encode(x, lossless=True, predictor=7), None))
    except ImportError:
        pass
    return coders


def bench_lossless_images(data_dir: Path, repeat: int = 1, limit=None) -> str:
    """Mean bpp over Kodak of our lossless image codecs and of PNG, WebP-LL, JPEG-LS."""
    images = _kodak(data_dir, limit)
    rows = []
    for name, enc, dec in _lossless_coders():
        rates, t_enc, t_dec, exact = [], 0.0, 0.0, True
        for _, img in images:
            data, te = _timed(enc, img)
            rates.append(bpp(data, img.shape[:2]))
            t_enc += te
            if dec is not None:
                out, td = _timed(dec, data)
                t_dec += td
                exact &= bool(np.array_equal(out, img))
        rows.append((name, float(np.mean(rates)), t_enc / len(images), t_dec / len(images) if dec else None,
                     exact if dec else None))
    lines = [f"Kodak: {len(images)} images, RGB; bpp = 8 x file bytes / pixels, mean over images.", "",
             "| codec | mean bpp | encode s/image | decode s/image | exact |", "|---|---|---|---|---|"]
    for name, rate, te, td, ok in rows:
        lines.append(f"| {name} | {rate:.3f} | {te:.2f} | {'-' if td is None else f'{td:.2f}'} "
                     f"| {'-' if ok is None else ('yes' if ok else 'NO')} |")
    lines += ["", "Published for comparison (DESIGN.md, same 24 images): JPEG XL lossless (effort 7) 8.71 bpp."]
    return "\n".join(lines)


# ---- vq -----------------------------------------------------------------------------------------


def bench_vq(data_dir: Path, repeat: int = 1, limit=None) -> str:
    """k-means quality and speed vs scikit-learn on 4x4 luma blocks of kodim23, and the VQ RD sweep."""
    from classical import vq
    from fundamentals.color import rgb_to_ycbcr

    img = load_image()
    luma = rgb_to_ycbcr(img, as_uint8=True)[..., 0]
    X = vq._to_blocks(luma, 4).astype(np.float64)
    lines = ["k-means on the 4x4 luma blocks of kodim23 (24,576 vectors of 16), mean over 5 seeds.", "",
             "| k | ours inertia / sklearn | ours MSE | sklearn MSE | time ours / sklearn |", "|---|---|---|---|---|"]
    try:
        from sklearn.cluster import KMeans
    except ImportError:
        KMeans = None
    for k in (16, 64, 256):
        ours, theirs, t_o, t_s = [], [], 0.0, 0.0
        for seed in range(5):
            (_, _, inertia), t = _timed(vq.kmeans, X, k, n_init=1, seed=seed)
            ours.append(inertia)
            t_o += t
            if KMeans is not None:
                km, t = _timed(KMeans(n_clusters=k, n_init=1, random_state=seed).fit, X)
                theirs.append(km.inertia_)
                t_s += t
        n = X.size
        if KMeans is None:
            lines.append(f"| {k} | - | {np.mean(ours) / n:.2f} | - | - |")
        else:
            lines.append(f"| {k} | {np.mean(ours) / np.mean(theirs):.4f} | {np.mean(ours) / n:.2f} "
                         f"| {np.mean(theirs) / n:.2f} | {t_o / t_s:.2f} |")
    lines += ["", "VQ codec on kodim23 (RGB blocks, codebook trained on the image, indices Huffman-coded):", "",
              "| k | block | bytes | bpp | PSNR dB | encode s |", "|---|---|---|---|---|---|"]
    for k, b in ((16, 8), (16, 4), (64, 8), (64, 4), (256, 4)):
        data, t = _timed(vq.encode, img, k=k, block=b)
        out = vq.decode(data)
        lines.append(f"| {k} | {b} | {len(data)} | {bpp(data, img.shape[:2]):.3f} | {psnr(img, out):.2f} | {t:.2f} |")
    return "\n".join(lines)


# ---- the thesis table ---------------------------------------------------------------------------

SEED_IMAGES = ("lena", "cameraman", "baboon", "barbara")


def bench_seed(data_dir: Path, repeat: int = 1, limit=None) -> str:
    """The thesis's table (RLE, VQ k=64 n_init=5, RLE+VQ) with real bytes and 8-bit PSNR."""
    from classical import rle, vq
    from pipeline import compose

    lines = [("The course's seed table, redone with our codecs: RLE (PackBits rows), k-means VQ "
              "(k = 64, 4x4 blocks, n_init = 5, codebook trained on the image, Huffman-coded indices) "
              "and RLE+VQ (PackBits on the VQ index map, `vq(k=64,block=4,n_init=5)|rle`: the same codebook). "
              "Sizes are real stream bytes with headers; PSNR with peak 255 on the 8-bit images."), "",
             "| image | size | codec | bytes | bpp | CR | MSE | PSNR dB |", "|---|---|---|---|---|---|---|---|"]
    for name in SEED_IMAGES[:limit]:
        path = data_dir / "classic" / f"{name}.png"
        if not path.is_file():
            continue
        img = load_image(path)
        runs = [("RLE", rle.encode(img), rle.decode),
                ("VQ", vq.encode(img, k=64, block=4, n_init=5), vq.decode),
                ("RLE+VQ", compose.encode(img, "vq(k=64,block=4,n_init=5)|rle"), compose.decode)]
        for codec, data, dec in runs:
            out = dec(data)
            e = mse(img, out)
            p = "inf" if e == 0 else f"{psnr(img, out):.2f}"
            lines.append(f"| {name} | {img.shape[1]}x{img.shape[0]}{'x3' if img.ndim == 3 else ''} | {codec} "
                         f"| {len(data)} | {bpp(data, img.shape[:2]):.3f} | {img.nbytes / len(data):.2f} "
                         f"| {e:.2f} | {p} |")
    return "\n".join(lines)


# ---- learned ------------------------------------------------------------------------------------


def _published(data_dir: Path, codec: str, metric_set: str = "mse", source: str = "compressai-eval-float-cpu"):
    """``[(quality, bpp, psnr)]`` of one published CompressAI evaluation (the tsv holds several per model)."""
    path = data_dir / "reference" / "compressai_kodak.tsv"
    if not path.is_file():
        return []
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:]]
    picked = [(r[2], float(r[3]), float(r[4])) for r in rows
              if len(r) > 9 and r[0] == codec and r[1] == metric_set and r[9] == source]
    return sorted(picked, key=lambda t: t[1])


def bench_learned(data_dir: Path, repeat: int = 1, limit=None, out_dir: Path | None = None) -> str:
    """Our learned codec vs Pillow JPEG on Kodak (BD-rate), with the CAE and published points."""
    from classical import jpeg
    from learned import cae_codec, codec

    images = _kodak(data_dir, limit)
    qualities = codec.available_qualities()

    def curve(enc, dec, settings):
        pts = []
        for s in settings:
            r, p, te, td = [], [], 0.0, 0.0
            for _, img in images:
                data, t1 = _timed(enc, img, s)
                out, t2 = _timed(dec, data)
                r.append(bpp(data, img.shape[:2]))
                p.append(psnr(img, out))
                te, td = te + t1, td + t2
            pts.append((s, float(np.mean(r)), float(np.mean(p)), te / len(images), td / len(images)))
        return pts

    from PIL import Image

    def pil_dec(d):
        with Image.open(io.BytesIO(d)) as im:
            return np.asarray(im.convert("RGB"))

    jq = (5, 10, 20, 30, 50, 75, 90)
    ours = curve(lambda x, q: codec.encode(x, quality=q), codec.decode, qualities)
    pil = curve(lambda x, q: _pillow_bytes(x, "JPEG", quality=q, subsampling=2), pil_dec, jq)
    pil_opt = curve(lambda x, q: _pillow_bytes(x, "JPEG", quality=q, subsampling=2, optimize=True), pil_dec, jq)
    ourjpeg = curve(lambda x, q: jpeg.encode(x, quality=q), jpeg.decode, (10, 30, 75))
    cae = curve(lambda x, _: cae_codec.encode(x), cae_codec.decode, (0,))
    lines = [f"Kodak: {len(images)} images; mean of per-image bpp (real bytes) and PSNR-RGB.", "",
             "| codec | setting | bpp | PSNR dB | encode s | decode s |", "|---|---|---|---|---|---|"]
    for label, pts in (("ours learned (factorized prior)", ours), ("ours CAE baseline", cae),
                       ("ours JPEG", ourjpeg), ("Pillow JPEG 4:2:0", pil), ("Pillow JPEG optimize", pil_opt)):
        for s, r, p, te, td in pts:
            lines.append(f"| {label} | {s} | {r:.4f} | {p:.2f} | {te:.2f} | {td:.2f} |")
    for q, r, p in _published(data_dir, "bmshj2018-factorized")[:4]:  # q1..q4 = our four lambdas
        lines.append(f"| CompressAI bmshj2018-factorized, N=128 M=192 (published) | q{q} | {r:.4f} | {p:.2f} | - | - |")
    lines.append("")
    if len(ours) >= 2:
        for label, ref in (("Pillow JPEG", pil), ("Pillow JPEG optimize", pil_opt)):
            bd = bd_rate([r for _, r, _, _, _ in ref], [p for _, _, p, _, _ in ref],
                         [r for _, r, _, _, _ in ours], [p for _, _, p, _, _ in ours])
            lines.append(f"- BD-rate of ours learned vs {label}: {bd:+.1f}% (negative = fewer bits for the same PSNR)")
    else:
        lines.append(f"- BD-rate needs at least 2 learned rate points; shipped weights: qualities {qualities}.")
        for s, r, p, _, _ in ours:
            ref = sorted((pr, pp) for _, pr, pp, _, _ in pil)
            jr = np.interp(p, [x[1] for x in ref], [x[0] for x in ref])
            lines.append(f"- at {p:.2f} dB ours takes {r:.3f} bpp, Pillow JPEG {jr:.3f} bpp "
                         f"(interpolated): ratio {r / jr:.2f}")
    if out_dir is not None:
        published = [(r, p) for _, r, p in _published(data_dir, "bmshj2018-factorized")[:6]]
        _rd_plot(out_dir / "learned.png", ours, cae, pil, pil_opt, published)
        lines += ["", "![RD plot](learned.png)"]
    return "\n".join(lines)


def _rd_plot(path: Path, ours, cae, pil, pil_opt, published) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    for label, pts, style in (("ours learned", ours, "o-"), ("Pillow JPEG", pil, "s--"),
                              ("Pillow JPEG optimize", pil_opt, "s:"), ("ours CAE baseline", cae, "D")):
        if pts:
            ax.plot([p[1] for p in pts], [p[2] for p in pts], style, label=label, ms=4)
    if published:
        ax.plot(*zip(*published), "^-", color="gray", label="CompressAI factorized (published)", ms=4)
    ax.set(xlabel="bpp (real bytes)", ylabel="PSNR-RGB (dB)", title="Kodak, mean of 24 images", xlim=(0, 2.0))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
