"""The two optional modes of :mod:`classical.vq`: universal codebooks and YCbCr 4:2:0.

Kept apart from :mod:`classical.vq` so that the plain codec stays short; the public names
are re-exported there (:func:`train_universal_codebook`, :func:`write_universal_codebooks`,
:func:`load_codebook`).

Universal codebook
    A codebook trained once, on blocks sampled from many photos
    (``/work/shared/data/train``), shipped as ``classical/data/<name>.npz`` (array
    ``codebook``, ``uint8``, shape ``(k, b*b*C)``; scalar ``block``). A stream made with
    it does not carry the codebook: its params name the file (``"codebook"``) and give
    ``"sha"``, the first 16 hex digits of the SHA-256 of the codebook *array* (the
    ASCII text ``"k,dim;"`` then its bytes: unlike the ``.npz`` file's own hash, which
    holds zip timestamps, it does not change when the same codebook is saved again). The
    decoder loads the named file and refuses (``UnsupportedError``) a name it does not
    have or a different codebook under that name.

YCbCr 4:2:0
    The image is converted to JFIF YCbCr (rounded to ``uint8``), Cb and Cr are averaged
    over 2 x 2 (:func:`fundamentals.sampling.subsample`), and the three planes are
    vector-quantized as gray images: Y with its own codebook, Cb and Cr with ONE shared
    chroma codebook (trained on the blocks of both). The decoder upsamples the chroma
    with libjpeg's "fancy" triangle filter and converts back to RGB.

Byte layout of a ``color="ycbcr420"`` payload: the Y codebook (``kY * b*b`` bytes) and the
chroma codebook (``kC * b*b`` bytes), both absent with universal codebooks; then three
sections, Y, Cb, Cr, each a 4-byte big-endian length followed by that many bytes of
:func:`classical.huffman.encode_symbols` indices. Params: ``{"block": b, "color":
"ycbcr420", "k": [kY, kC]}``, plus ``"codebook": [nameY, nameC]`` and ``"sha": [shaY,
shaC]`` with universal codebooks.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import numpy as np

from classical import huffman, vq
from fundamentals.color import rgb_to_ycbcr, ycbcr_to_rgb
from fundamentals.container import pack
from fundamentals.errors import CorruptStreamError, UnsupportedError
from fundamentals.imageio import check_image, load_image
from fundamentals.sampling import subsample, upsample

#: Folder of the shipped codebooks.
DATA_DIR = Path(__file__).resolve().parent / "data"
#: Allowed codebook names (file stems): no path separators, nothing to escape.
NAME = re.compile(r"[a-z0-9_]{1,64}\Z")
COLORS = ("rgb", "ycbcr420")
#: Planes a universal codebook is trained on (``planes=`` of :func:`train_universal_codebook`).
PLANES = ("rgb", "gray", "chroma")
UNIVERSAL_K = 256


def universal_name(planes: str, block: int, k: int = UNIVERSAL_K) -> str:
    """File stem of the shipped universal codebook, e.g. ``vq_universal_rgb_b4_k256``."""
    return f"vq_universal_{planes}_b{block}_k{k}"


def codebook_sha(book: np.ndarray) -> str:
    """First 16 hex digits of the SHA-256 of ``"k,dim;"`` + the codebook bytes."""
    book = np.ascontiguousarray(book, np.uint8)
    return hashlib.sha256(b"%d,%d;" % book.shape + book.tobytes()).hexdigest()[:16]


def load_codebook(source, *, codebook_dir=None):
    """Load a codebook file: ``(name, book, sha)``.

    ``source`` is a name (a file ``<name>.npz`` in ``codebook_dir``, default the shipped
    ``classical/data``) or a path to an ``.npz`` file. Raises ``UnsupportedError`` if the
    file is missing, ``ValueError`` if it is not a valid codebook file.
    """
    if isinstance(source, Path) or "/" in str(source) or str(source).endswith(".npz"):
        path = Path(source)
    else:
        if not NAME.match(str(source)):
            raise ValueError(f"codebook name must match {NAME.pattern}, got {source!r}")
        path = Path(DATA_DIR if codebook_dir is None else codebook_dir) / f"{source}.npz"
    if not NAME.match(path.stem):
        raise ValueError(f"codebook file name must match {NAME.pattern} + '.npz', got {path.name!r}")
    if not path.is_file():
        raise UnsupportedError(f"vq codebook {path.stem!r} is not available: no file {path}")
    st = path.stat()
    book = _read(str(path), st.st_mtime_ns, st.st_size)
    return path.stem, book, codebook_sha(book)


@functools.lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int, size: int) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as f:
            book, block = f["codebook"], int(f["block"])
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:  # zip/npy/key errors: not a codebook
        raise ValueError(f"{path} is not a vq codebook file: {exc}") from None
    dims = [block * block * c for c in (1, 3)]
    if book.dtype != np.uint8 or book.ndim != 2 or not 1 <= book.shape[0] <= vq.MAX_K or book.shape[1] not in dims:
        raise ValueError(f"{path}: codebook must be uint8 (k, b*b*C), got {book.dtype} {book.shape}")
    book = np.ascontiguousarray(book)
    book.flags.writeable = False
    return book


def save_codebook(path, book: np.ndarray, block: int) -> str:
    """Write ``book`` (uint8, ``(k, block*block*C)``) as a codebook file; returns its sha."""
    book = np.ascontiguousarray(book, np.uint8)
    np.savez_compressed(path, codebook=book, block=np.int64(block))
    return codebook_sha(book)


# ---- training -----------------------------------------------------------------------------------


def _training_planes(img, planes: str) -> list[np.ndarray]:
    img = load_image(img) if isinstance(img, (str, Path)) else check_image(img)
    if planes is None:
        return [img]
    if planes == "rgb":
        return [img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)]
    if img.ndim == 2:
        return [img] if planes == "gray" else []
    ycc = rgb_to_ycbcr(img, as_uint8=True)
    if planes == "gray":
        return [ycc[..., 0]]
    return [np.clip(np.rint(subsample(ycc[..., c], "4:2:0")), 0, 255).astype(np.uint8) for c in (1, 2)]


def train_universal_codebook(images, *, k: int = 256, block: int = 4, samples: int = 200_000, seed: int = 0,
                             planes: str | None = None, batch_size: int = 4096, max_iter: int = 500,
                             lloyd_iter: int = 10) -> np.ndarray:
    """Train a codebook on blocks sampled from many images (deterministic).

    Parameters
    ----------
    images : sequence of numpy.ndarray or paths
        ``uint8`` images (``(H, W)`` or ``(H, W, 3)``) or files :func:`load_image` reads.
    k, block : int
        Codebook size and block side.
    samples : int
        About this many blocks: ``samples // len(images)`` random distinct positions per
        image (all the blocks of a smaller image), drawn with ``numpy.random.default_rng(seed)``.
    planes : {None, 'rgb', 'gray', 'chroma'}
        What is cut into blocks: the image as it is (``None``; all images must then have
        the same number of channels), the RGB image (vectors of ``b*b*3``; gray images
        repeated), its JFIF luma Y, or its Cb and Cr planes after 4:2:0 subsampling (both,
        at the same positions).
    batch_size, max_iter : int
        Passed to :func:`classical.vq.minibatch_kmeans`.
    lloyd_iter : int
        Full Lloyd iterations on the sample afterwards (polishing the mini-batch result).

    Returns
    -------
    numpy.ndarray
        ``uint8`` codebook, shape ``(k, b*b*C)``.
    """
    if planes is not None and planes not in PLANES:
        raise ValueError(f"planes must be one of {PLANES}, got {planes!r}")
    if block not in vq.BLOCKS:
        raise ValueError(f"block must be one of {vq.BLOCKS}, got {block!r}")
    images = list(images)
    if not images or samples < 1:
        raise ValueError("need at least one image and samples >= 1")
    rng = np.random.default_rng(seed)
    per = max(1, samples // len(images))
    parts = []
    for img in images:
        blocks = [vq._to_blocks(p, block) for p in _training_planes(img, planes)]
        if blocks:
            n = blocks[0].shape[0]
            idx = np.sort(rng.choice(n, min(n, per), replace=False))
            parts += [b[idx] for b in blocks]
    if len({p.shape[1] for p in parts}) > 1:
        raise ValueError("images mix gray and RGB: pass planes='rgb' or 'gray'")
    X = np.concatenate(parts).astype(np.float64)
    C, labels, _ = vq.minibatch_kmeans(X, k, batch_size=batch_size, max_iter=max_iter, seed=rng)
    d2 = vq._assign(X, None, C)[1]
    XT = np.ascontiguousarray(X.T)
    for _ in range(lloyd_iter):
        C = vq._update(X, labels, d2, C, XT)
        labels, d2 = vq._assign(X, None, C)
    return np.clip(np.rint(C), 0, 255).astype(np.uint8)


def write_universal_codebooks(folder, out_dir=DATA_DIR, *, k: int = UNIVERSAL_K, block: int = 4,
                              samples: int = 200_000, seed: int = 0) -> dict:
    """Train and save the three universal codebooks (rgb, gray, chroma) from ``folder/*.png``.

    Returns ``{name: sha}``. The files are ``out_dir/vq_universal_<planes>_b<block>_k<k>.npz``.
    """
    paths = sorted(Path(folder).glob("*.png"))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    out = {}
    for planes in PLANES:
        book = train_universal_codebook(paths, k=k, block=block, samples=samples, seed=seed, planes=planes)
        name = universal_name(planes, block, k)
        out[name] = save_codebook(Path(out_dir) / f"{name}.npz", book, block)
    return out


# ---- encoding -----------------------------------------------------------------------------------


def _resolve(codebook, planes: str, k, block: int, dim: int):
    """``(name, book, sha)`` of a fixed codebook, checked against ``k``, ``block`` and ``dim``."""
    src = universal_name(planes, block, UNIVERSAL_K if k is None else k) if codebook == "universal" else codebook
    try:
        name, book, sha = load_codebook(src)
    except UnsupportedError as exc:
        if codebook != "universal":
            raise ValueError(str(exc)) from None
        raise ValueError(f"no {planes} universal codebook for block={block}, k={k}: {exc}") from None
    if book.shape[1] != dim or (k is not None and book.shape[0] != k):
        raise ValueError(f"codebook {name!r} has shape {book.shape}; this image needs ({k or 'k'}, {dim}) "
                         f"(block={block})")
    return name, book, sha


def encode(img, *, k, block: int, seed: int, n_init: int, codebook, color: str) -> bytes:
    """:func:`classical.vq.encode` with ``codebook`` not None or ``color`` not ``'rgb'``."""
    img = check_image(img)
    if color not in COLORS:
        raise ValueError(f"color must be one of {COLORS}, got {color!r}")
    if block not in vq.BLOCKS:
        raise ValueError(f"block must be one of {vq.BLOCKS}, got {block!r}")
    if not (codebook is None or codebook == "universal" or isinstance(codebook, (str, Path))):
        raise ValueError(f"codebook must be None, 'universal' or a path, got {codebook!r}")
    if color == "ycbcr420":
        if img.ndim != 3:
            raise ValueError(f"color='ycbcr420' needs an RGB image, got shape {img.shape}")
        if codebook not in (None, "universal"):
            raise ValueError("color='ycbcr420' takes codebook=None or 'universal' (two codebooks), not a path")
        ycc = rgb_to_ycbcr(img, as_uint8=True)
        chroma = [np.clip(np.rint(subsample(ycc[..., c], "4:2:0")), 0, 255).astype(np.uint8) for c in (1, 2)]
        groups = [("gray", [ycc[..., 0]]), ("chroma", chroma)]
    else:
        groups = [("rgb" if img.ndim == 3 else "gray", [img])]
    books, ks, names, shas, streams = [], [], [], [], []
    for planes, imgs in groups:
        V = [vq._to_blocks(p, block) for p in imgs]
        if codebook is None:
            book, labels = vq._quantize_vectors(np.concatenate(V), 64 if k is None else k, seed, n_init)
            books.append(book.tobytes())
        else:
            name, book, sha = _resolve(codebook, planes, k, block, V[0].shape[1])
            labels = vq._assign(np.concatenate(V).astype(np.float64), None, book.astype(np.float64))[0]
            names.append(name)
            shas.append(sha)
        cuts = np.cumsum([v.shape[0] for v in V])[:-1]
        streams += [huffman.encode_symbols(lab, book.shape[0]) for lab in np.split(labels, cuts)]
        ks.append(int(book.shape[0]))
    if color == "ycbcr420":
        params = {"block": int(block), "color": color, "k": ks}
        payload = b"".join(books) + b"".join(len(s).to_bytes(4, "big") + s for s in streams)
    else:  # one group, one plane: the plain layout (no length prefix), scalar params
        params = {"block": int(block), "k": ks[0]}
        payload = b"".join(books) + streams[0]
        names, shas = names[:1], shas[:1]
    if codebook is not None:
        params["codebook"], params["sha"] = (names, shas) if color == "ycbcr420" else (names[0], shas[0])
    return pack(vq.CODEC_ID, payload, shape=img.shape, params=params)


# ---- decoding -----------------------------------------------------------------------------------


def _as_list(value, n: int, kind, what: str) -> list:
    items = value if n > 1 else [value]
    if not (isinstance(items, list) and len(items) == n and all(type(v) is kind for v in items)):
        raise CorruptStreamError(f"bad vq parameter {what}={value!r}")
    return items


def decode(header, payload: bytes, codebook_dir=None) -> np.ndarray:
    """The decoder of :func:`encode` (``header`` already checked by :func:`classical.vq.decode`)."""
    params, shape, b = header.params, tuple(header.shape), header.params["block"]
    color = params.get("color", "rgb")
    if color not in COLORS or (color == "ycbcr420" and len(shape) != 3):
        raise CorruptStreamError(f"bad vq parameters {params}")
    if color == "ycbcr420":
        half = (-(-shape[0] // 2), -(-shape[1] // 2))
        groups = [("gray", [shape[:2]]), ("chroma", [half, half])]
    else:
        groups = [("rgb" if len(shape) == 3 else "gray", [shape])]
    n = len(groups)
    ks = _as_list(params.get("k"), n, int, "k")
    if not all(1 <= k <= vq.MAX_K for k in ks):
        raise CorruptStreamError(f"bad vq parameters {params}")
    universal = "codebook" in params or "sha" in params
    if universal:
        names = _as_list(params.get("codebook"), n, str, "codebook")
        shas = _as_list(params.get("sha"), n, str, "sha")
        if not all(NAME.match(s) for s in names):
            raise CorruptStreamError(f"bad vq codebook name in {params}")
    pos, books = 0, []
    for g, (planes, shapes) in enumerate(groups):
        dim = b * b * (shapes[0][2] if len(shapes[0]) == 3 else 1)
        if universal:
            try:
                name, book, sha = load_codebook(names[g], codebook_dir=codebook_dir)
            except UnsupportedError:
                raise
            except ValueError as exc:  # a file of that name that is no codebook
                raise UnsupportedError(f"vq codebook {names[g]!r} cannot be read: {exc}") from None
            if sha != shas[g]:
                raise UnsupportedError(f"vq codebook {name!r} here has sha {sha}, the stream needs {shas[g]}")
            if book.shape != (ks[g], dim):
                raise CorruptStreamError(f"codebook {name!r} is {book.shape}, params say ({ks[g]}, {dim})")
        else:
            if len(payload) < pos + ks[g] * dim:
                raise CorruptStreamError(f"payload of {len(payload)} bytes cannot hold a {ks[g]} x {dim} codebook")
            book = np.frombuffer(payload, np.uint8, ks[g] * dim, pos).reshape(ks[g], dim)
            pos += ks[g] * dim
        books.append(book)
    out = []
    for g, (planes, shapes) in enumerate(groups):
        for shp in shapes:
            if color == "ycbcr420":
                end = pos + 4 + int.from_bytes(payload[pos : pos + 4], "big")
                if len(payload) < pos + 4 or len(payload) < end:
                    raise CorruptStreamError("truncated vq ycbcr420 section")
                section, pos = payload[pos + 4 : end], end
            else:
                section, pos = payload[pos:], len(payload)
            labels = huffman.decode_symbols(section, alphabet_size=ks[g])
            if labels.size != -(-shp[0] // b) * -(-shp[1] // b):
                raise CorruptStreamError(f"{labels.size} indices for a {shp[:2]} plane of {b} x {b} blocks")
            out.append(vq.reconstruct(books[g], labels, shp, b))
    if pos != len(payload):
        raise CorruptStreamError(f"{len(payload) - pos} bytes left after the vq payload")
    if color == "rgb":
        return out[0]
    chroma = [upsample(c, "4:2:0", shape[:2], method="fancy") for c in out[1:]]
    return ycbcr_to_rgb(np.stack([out[0].astype(np.float64), *chroma], axis=-1), as_uint8=True)
