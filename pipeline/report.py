"""Figures for the main job: reconstructions, error maps and the RD plot.

:func:`write_figure` draws, for one image,

* the original and each codec's reconstruction at its default settings, titled
  with the real bpp and the PSNR, in bands of ``columns`` tiles;
* under each, the absolute error ``|x - x_hat|`` (mean over colour channels), all
  on ONE shared colour scale so they can be compared (clipped at the 99.5th
  percentile of all errors, which the colour bar states);
* at the bottom (when sweeps were run): PSNR and SSIM against bpp for every codec.

Matplotlib runs with the non-interactive Agg backend: no window is opened.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["write_figure"]


def write_figure(path, img: np.ndarray, rows, *, title: str = "", columns: int = 5) -> Path:
    """Draw the report figure and save it to ``path`` (PNG or PDF by suffix).

    Parameters
    ----------
    path : str or Path
        Output file.
    img : ndarray
        The original image.
    rows : list of (Result, ndarray)
        As returned by :func:`pipeline.run.run`.
    title : str
        Figure title (the image name).
    columns : int
        Tiles per row; the original comes first, then each codec at its defaults,
        each tile above the tile of its error map.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    defaults = [(r, x) for r, x in rows if r.default]
    swept = any(not r.default for r, _ in rows)
    tiles = [(None, img)] + defaults
    ncols = min(columns, len(tiles))
    bands = -(-len(tiles) // ncols)  # each band: a row of images above a row of error maps
    nrows = 2 * bands + (1 if swept else 0)
    aspect = img.shape[0] / img.shape[1]
    fig = plt.figure(figsize=(2.7 * ncols, (2.7 * aspect + 0.5) * 2 * bands + (3.2 if swept else 0) + 0.4),
                     layout="constrained")
    grid = fig.add_gridspec(nrows, ncols)
    cmap = None if img.ndim == 3 else "gray"
    errors = [np.abs(img.astype(np.int16) - x.astype(np.int16)) for _, x in defaults]
    errors = [e.mean(axis=2) if e.ndim == 3 else e for e in errors]
    lossy = [e for e in errors if e.max() > 0]
    # one colour scale for every map; the 99.5th percentile keeps a few outliers from hiding the rest
    vmax = max([float(np.percentile(np.concatenate([e.ravel() for e in lossy]), 99.5))] if lossy else [1.0])
    vmax = max(vmax, 1.0)
    shown = None
    for i, (r, x) in enumerate(tiles):
        band, col = divmod(i, ncols)
        ax = fig.add_subplot(grid[2 * band, col])
        ax.imshow(x, cmap=cmap, vmin=0, vmax=255)
        ax.axis("off")
        err_ax = fig.add_subplot(grid[2 * band + 1, col])
        err_ax.axis("off")
        if r is None:
            ax.set_title(f"original\n{img.shape[1]}x{img.shape[0]}, {img.nbytes} bytes", fontsize=8)
            continue
        psnr = "inf (exact)" if math.isinf(r.psnr) else f"{r.psnr:.2f} dB"
        ax.set_title(f"{r.codec} ({r.params})\n{r.bpp:.3f} bpp, {psnr}", fontsize=8)
        err = errors[i - 1]
        shown = err_ax.imshow(err, cmap="magma", vmin=0, vmax=vmax)
        err_ax.set_title(f"|error| {r.codec}, max {err.max():.0f}", fontsize=8)
    if shown is not None:
        fig.colorbar(shown, ax=fig.axes[1], location="left", fraction=0.6,
                     label=f"|x - x_hat|, levels (shared scale, clipped at {vmax:.0f})")
    if swept:
        _rd_axes(fig, grid[nrows - 1, :], rows)
    if title:
        fig.suptitle(title, fontsize=10)
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _rd_axes(fig, cell, rows) -> None:
    """PSNR-vs-bpp and SSIM-vs-bpp curves, one line per codec, side by side in ``cell``."""
    sub = cell.subgridspec(1, 2)
    ax_psnr, ax_ssim = fig.add_subplot(sub[0, 0]), fig.add_subplot(sub[0, 1])
    by_codec: dict[str, list] = {}
    for r, _ in rows:
        if math.isfinite(r.psnr):
            by_codec.setdefault(r.codec, []).append(r)
    for name, points in by_codec.items():
        points.sort(key=lambda r: r.bpp)
        bpp = [r.bpp for r in points]
        ax_psnr.plot(bpp, [r.psnr for r in points], "o-", ms=3, label=name)
        ax_ssim.plot(bpp, [r.ssim for r in points], "o-", ms=3, label=name)
    ax_psnr.set(xlabel="bpp (real bytes)", ylabel="PSNR (dB)", xscale="log")
    ax_ssim.set(xlabel="bpp (real bytes)", ylabel="SSIM", xscale="log")
    for ax in (ax_psnr, ax_ssim):
        ax.grid(alpha=0.3)
    ax_psnr.legend(fontsize=7, ncol=2)


def write_html(out_dir, img: np.ndarray, rows, *, title: str = "", figure: str = "report.png") -> Path:
    """Write ``index.html`` with the table, the figure and every reconstruction.

    The reconstructions at default settings are saved as lossless PNG files under
    ``images/`` beside the page.  A small script in the page counts the images
    that loaded and writes the count into ``<body data-images-loaded=...>``, so a
    headless browser can check that the page shows what it should.
    """
    from html import escape

    from fundamentals.imageio import save_image

    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    save_image(out_dir / "images" / "original.png", img)
    cards = ['<figure><img src="images/original.png" alt="original"><figcaption>original</figcaption></figure>']
    for i, (r, x) in enumerate((r, x) for r, x in rows if r.default):
        name = f"images/{i:02d}_{r.codec}.png"
        save_image(out_dir / name, x)
        psnr = "inf" if math.isinf(r.psnr) else f"{r.psnr:.2f} dB"
        cards.append(f'<figure><img src="{name}" alt="{escape(r.codec)}"><figcaption>{escape(r.codec)} '
                     f"({escape(r.params)})<br>{r.bpp:.3f} bpp, {psnr}</figcaption></figure>")
    head = ["codec", "params", "bytes", "bpp", "CR", "PSNR dB", "SSIM", "enc ms", "dec ms", "H0 bpp"]
    body = []
    for r, _ in rows:
        cells = [r.codec, r.params, str(r.nbytes), f"{r.bpp:.3f}", f"{r.cr:.2f}",
                 "inf" if math.isinf(r.psnr) else f"{r.psnr:.2f}",
                 "" if math.isnan(r.ssim) else f"{r.ssim:.4f}", f"{r.encode_ms:.1f}", f"{r.decode_ms:.1f}",
                 "" if r.h0_bpp is None else f"{r.h0_bpp:.3f}"]
        body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - codec report</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }}
td:nth-child(-n+2), th:nth-child(-n+2) {{ text-align: left; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 1em; }}
figure {{ margin: 0; width: 260px; }} figure img {{ width: 100%; image-rendering: pixelated; }}
figcaption {{ font-size: 0.85em; }}
</style></head>
<body data-images-loaded="0">
<h1>Codec report: {escape(title)}</h1>
<p>{img.shape[1]} x {img.shape[0]} {'RGB' if img.ndim == 3 else 'gray'}. bpp and CR come from the real
stream length (headers included); PSNR with peak 255; H0 is the order-0 entropy of the samples.</p>
<table><thead><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
<h2>Figure</h2><p><img src="{figure}" alt="report figure" style="max-width:100%"></p>
<h2>Reconstructions</h2><div class="grid">{''.join(cards)}</div>
<script>
window.addEventListener("load", () => {{
  const ok = [...document.images].filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.imagesLoaded = ok;
  document.body.dataset.imagesTotal = document.images.length;
}});
</script>
</body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page)
    return path
