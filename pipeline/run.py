"""The main job: run every registered codec on one image and show the results.

Usage::

    python -m pipeline.run                         # the embedded sample image
    python -m pipeline.run --image lena.png --out report/
    python -m pipeline.run --codecs raw,quantize --sweep

For each codec (at its default settings, and over its parameter sweep with
``--sweep``) the image is encoded and decoded once, and the table gives

* ``bytes``: ``len()`` of the real stream, headers included;
* ``bpp`` = 8 * bytes / (H * W) and ``CR`` = original bytes / stream bytes,
  both from those real bytes (never from an entropy estimate);
* ``PSNR`` (dB, peak 255) and ``SSIM`` (Wang et al. 2004) against the original;
* encode and decode wall time in ms;
* for lossless codecs, ``H0 bpp``: the order-0 entropy of the samples times the
  samples per pixel, the rate a memoryless code could reach, printed BESIDE the
  real bpp as a yardstick.

With ``--out DIR`` it also writes ``results.csv``, ``results.json``,
``report.png`` / ``report.pdf`` (original, reconstructions, error maps on one
colour scale, RD plot with ``--sweep``) and ``index.html``, a page with the
table, the figure and every reconstruction.

Exit status: 0 on success, 2 on a usage error (unknown codec, missing image),
1 when a codec marked lossless did not reproduce the image exactly.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fundamentals import metrics
from fundamentals.errors import CodecError
from fundamentals.imageio import load_image
from pipeline import registry

__all__ = ["Result", "evaluate", "format_table", "main", "run"]


@dataclass(frozen=True)
class Result:
    """One row of the table: a codec at one parameter setting on one image."""

    codec: str
    params: str
    nbytes: int
    bpp: float
    cr: float
    psnr: float
    ssim: float
    encode_ms: float
    decode_ms: float
    lossless: bool
    exact: bool
    h0_bpp: float | None
    default: bool


def _params_text(params) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(params.items())) or "-"


def evaluate(codec: registry.Codec, img: np.ndarray, params=None, *, default=True):
    """Encode and decode ``img`` once; return ``(Result, reconstruction)``."""
    params = dict(codec.defaults if params is None else {**codec.defaults, **params})
    t0 = time.perf_counter()
    data = codec.encode(img, **params)
    t1 = time.perf_counter()
    out = codec.decode(data)
    t2 = time.perf_counter()
    exact = out.shape == img.shape and bool(np.array_equal(out, img))
    h0 = None
    if codec.lossless:
        channels = img.shape[2] if img.ndim == 3 else 1
        h0 = metrics.entropy(img) * channels
    result = Result(
        codec=codec.name,
        params=_params_text(params),
        nbytes=len(data),
        bpp=metrics.bpp(data, img.shape[:2]),
        cr=metrics.compression_ratio(img, data),
        psnr=metrics.psnr(img, out, data_range=255.0) if out.shape == img.shape else math.nan,
        ssim=_ssim_or_nan(img, out),
        encode_ms=1000 * (t1 - t0),
        decode_ms=1000 * (t2 - t1),
        lossless=codec.lossless,
        exact=exact,
        h0_bpp=h0,
        default=default,
    )
    return result, out


def _ssim_or_nan(img, out) -> float:
    """SSIM needs an 11x11 window: smaller images (or a wrong shape) get NaN in the table."""
    if out.shape != img.shape or min(img.shape[:2]) < 11:
        return math.nan
    return metrics.ssim(img, out, data_range=255.0)


def run(img: np.ndarray, names, *, sweep: bool = False, progress: bool = True):
    """Evaluate the named codecs (defaults, plus sweeps if asked).

    Returns
    -------
    list of (Result, ndarray)
    """
    from tqdm import tqdm

    jobs = []
    for name in names:
        codec = registry.get(name)
        jobs.append((codec, None, True))
        if sweep:
            jobs += [(codec, dict(p), False) for p in codec.sweep]
    rows = []
    bar = tqdm(jobs, desc="codecs", unit="run", file=sys.stderr, disable=not progress, leave=False)
    for codec, params, default in bar:
        bar.set_postfix_str(codec.name)
        rows.append(evaluate(codec, img, params, default=default))
    return rows


def _fmt(value, spec):
    if value is None:
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return format(value, spec)


_COLUMNS = [  # header, attribute, format
    ("codec", "codec", "s"), ("params", "params", "s"), ("bytes", "nbytes", "d"), ("bpp", "bpp", ".3f"),
    ("CR", "cr", ".2f"), ("PSNR dB", "psnr", ".2f"), ("SSIM", "ssim", ".4f"), ("enc ms", "encode_ms", ".1f"),
    ("dec ms", "decode_ms", ".1f"), ("H0 bpp", "h0_bpp", ".3f"),
]


def format_table(results) -> str:
    """Format results as a fixed-width text table (text left-aligned, numbers right-aligned)."""
    cells = [[_fmt(getattr(r, attr), spec) for _, attr, spec in _COLUMNS] for r in results]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, (h, _, _) in enumerate(_COLUMNS)]

    def line(items):
        return "  ".join(f"{t:<{w}}" if spec == "s" else f"{t:>{w}}"
                         for t, w, (_, _, spec) in zip(items, widths, _COLUMNS)).rstrip()

    header = line([h for h, _, _ in _COLUMNS])
    return "\n".join([header, "-" * len(header)] + [line(row) for row in cells])


def _write_csv(path: Path, results) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(results[0])))
        writer.writeheader()
        for r in results:
            writer.writerow(asdict(r))


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _write_json(path: Path, results, image_name: str, shape) -> None:
    doc = {"image": image_name, "shape": list(shape),
           "results": [{k: _json_safe(v) for k, v in asdict(r).items()} for r in results]}
    path.write_text(json.dumps(doc, indent=1) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.run",
        description="Run every registered codec on one image: table of bytes, bpp, CR, PSNR, SSIM, times.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--image", default=None,
                        help="image file (PNG, ...) or embedded sample name; default: the sample kodim23")
    parser.add_argument("--codecs", default=None,
                        help=f"comma-separated codec names (default all: {','.join(registry.available())})")
    parser.add_argument("--sweep", action="store_true", help="also run each codec's RD parameter sweep")
    parser.add_argument("--out", default=None, help="folder for results.csv/.json, report.png/.pdf and index.html")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def main(argv=None) -> int:
    """Entry point of ``python -m pipeline.run``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        img = load_image(args.image)
    except (FileNotFoundError, CodecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = registry.available() if args.codecs is None else [n.strip() for n in args.codecs.split(",") if n.strip()]
    unknown = [n for n in names if n not in registry.codecs]
    if unknown or not names:
        print(f"error: unknown codec {', '.join(unknown) or '(none given)'} "
              f"(available: {', '.join(registry.available())})", file=sys.stderr)
        return 2
    rows = run(img, names, sweep=args.sweep, progress=not args.no_progress)
    results = [r for r, _ in rows]
    label = args.image or "kodim23 (embedded sample)"
    h, w = img.shape[:2]
    print(f"image: {label}, {w}x{h}, {'RGB' if img.ndim == 3 else 'gray'}, {img.nbytes} bytes raw")
    print(format_table(results))
    broken = [r.codec for r in results if r.lossless and not r.exact]
    if args.out:
        from pipeline import report

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(out / "results.csv", results)
        _write_json(out / "results.json", results, label, img.shape)
        report.write_figure(out / "report.png", img, rows, title=label)
        report.write_figure(out / "report.pdf", img, rows, title=label)
        report.write_html(out, img, rows, title=label)
        print(f"wrote {out}/: results.csv, results.json, report.png, report.pdf, index.html")
    if broken:
        print(f"error: lossless codec(s) not exact: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
