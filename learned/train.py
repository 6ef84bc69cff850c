"""Train the factorized-prior model (or the plain CAE baseline): ``python -m learned.train``.

Rate-distortion training of Ballé et al. 2017 (arXiv:1611.01704) / 2018 (arXiv:1802.01436)
with CompressAI's loss convention, so the lambdas compare with its q1..q4 models:

.. math::

    L = \\lambda \\cdot 255^2 \\cdot \\mathrm{MSE}(x, \\hat x) + \\mathrm{bpp},\\qquad
    \\mathrm{bpp} = \\frac{\\sum -\\log_2 p(\\tilde y)}{B H W}

with the MSE on images in ``[0, 1]`` (``lmbda = 0.0018, 0.0035, 0.0067, 0.0130`` for
CompressAI's q1..q4).  Training adds uniform noise to ``y`` (a differentiable stand-in for
rounding whose density is the same model); validation rounds for real and reports the
estimated bpp (``-log2`` likelihoods of the rounded latent) and the PSNR of the uint8
reconstruction (peak 255, mean over the crops).

Example commands (see ``docs/learned/training.md``)::

    python -m learned.train --data ../shared/data/train --lmbda 0.0067 --steps 100000 --out runs/l0067
    python -m learned.train --data ../shared/data/train --lmbda 0.0067 --steps 150000 --out runs/l0067 --resume
    python -m learned.train --data ../shared/data/train --lmbda 0.0018 --steps 20000 --out runs/l0018 \\
        --init runs/l0067/checkpoint.npz --export learned/weights/factorized-q1.npz

``--model cae`` trains the thesis baseline :class:`learned.model.CAE` instead: the loss is the
plain MSE through its 8-bit latent, with no rate term and no ``lmbda`` (the steps are in
:mod:`learned.train_cae`); the rest of this page applies to it unchanged, and ``--export``
writes the weights file of :mod:`learned.cae_codec`.  ``python -m learned.train --model cae
--data ../shared/data/train --steps 3000 --lr 1e-3 --out runs/cae --export learned/weights/cae.npz``

What a run writes in ``--out``: ``checkpoint.npz`` (atomic: written to a temporary file,
then ``os.replace``), ``log.csv`` (step, loss, bpp, mse, psnr, val_bpp, val_psnr, seconds),
``curves.png`` (loss, rate and PSNR against step).

Checkpoints are one ``.npz`` of arrays: ``model/<path>`` (parameters), ``opt/<path>`` (Adam
state), ``step``, ``seconds``, ``rng_key`` and ``config`` (JSON).  Paths are the ``/``-joined
keys of ``nnx.to_pure_dict(nnx.state(...))``; restoring fills such a dict
(``nnx.replace_by_pure_dict``) and calls ``nnx.update``.  The data and the noise are functions of ``(seed, step)`` (batch ``step`` uses
``numpy.random.default_rng([seed, step])``, the noise ``fold_in(key(seed), step)``), so
``--resume`` continues exactly as an uninterrupted run would.

Data parallelism.  The step is ``nnx.jit``-compiled over a 1-D :class:`jax.sharding.Mesh` of
all devices (axis ``"data"``): the batch is sharded along its first axis, parameters and
optimizer state are replicated, and XLA inserts the gradient all-reduce.  With one device this
is plain single-device training.  Several hosts: start one process per host with the same
command plus ``--distributed``, which calls ``jax.distributed.initialize()`` (coordinator
address, process count and id from the environment, e.g. under SLURM or on Cloud TPU, or set
``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID``).  ``jax.devices()``
then lists every host's devices; each process builds the same global batch from
``(seed, step)`` and hands its own slice to ``jax.make_array_from_process_local_data``; only
process 0 writes the checkpoint, log and plot.  The batch must divide by the device count.

On a CPU the same mechanism makes one machine faster: ``--cpu-devices 4`` splits the host into
four XLA devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``), each running a
quarter of the batch.  XLA's CPU backend leaves cores idle inside one device's step (the
serial parts between convolutions); four shards keep them busy.  Measured on the 2-core
machine of ``learned/weights/README.md`` (N=64, M=96, batch 8 of 128x128): 297 ms per step
with one device, 230-240 with two, 219-235 with four, 260 with eight; in a real run 4.4
steps/s instead of 3.0.  It only applies to the CPU platform (GPUs and TPUs are devices
already) and must be set before JAX starts, so it is a command-line option, not a config field.

Not done here: CompressAI's auxiliary quantile loss (the medians are solved for by bisection,
see :mod:`learned.entropy`), mixed precision, MS-SSIM.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from learned.data import PatchDataset
from learned.model import CAE, FactorizedPrior, ModelConfig, _host, load_arrays, state_arrays

__all__ = ["TrainConfig", "export_weights", "loss_fn", "main", "train_step"]

CSV_FIELDS = ("step", "loss", "bpp", "mse", "psnr", "val_bpp", "val_psnr", "seconds")
MODELS = ("factorized", "cae")
QUANTIZERS = ("noise", "mixed")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (saved in every checkpoint).

    Attributes
    ----------
    model : str
        ``"factorized"`` (:class:`learned.model.FactorizedPrior`) or ``"cae"`` (:class:`learned.model.CAE`).
    lmbda : float
        Rate-distortion trade-off (CompressAI convention: ``lmbda * 255**2 * MSE + bpp``); unused by ``cae``.
    steps : int
        Total number of optimizer steps.
    N, M : int
        Model width (see :class:`learned.model.ModelConfig`).
    upsample : str
        ``"subpixel"`` or ``"transpose"``.
    cae_channels : tuple of int
        The three encoder widths of the CAE (``--model cae`` only).
    batch, crop : int
        Batch size and patch side.
    lr : float
        Adam learning rate; multiplied by ``0.1`` after ``lr_drop * steps`` steps.
    lr_drop : float
        Fraction of the run after which the learning rate drops.
    quantizer : str
        ``"noise"`` (default) or ``"mixed"``: what the decoder sees while training (see
        :meth:`learned.model.FactorizedPrior.__call__`); ``cae`` ignores it.
    clip : float
        Global-norm gradient clipping threshold.
    seed : int
        Seed of the initialisation, the data stream and the noise.
    n_val : int
        Held-out images (one centre crop each) for validation.
    val_every, ckpt_every, log_every : int
        Periods, in steps, of validation, checkpointing and CSV rows.
    """

    lmbda: float = 0.0067
    model: str = "factorized"
    steps: int = 100_000
    N: int = 64
    M: int = 96
    upsample: str = "subpixel"
    cae_channels: tuple[int, int, int] = (32, 64, 16)
    batch: int = 8
    crop: int = 128
    lr: float = 1e-4
    lr_drop: float = 0.85
    clip: float = 1.0
    quantizer: str = "noise"
    seed: int = 0
    n_val: int = 8
    val_every: int = 500
    ckpt_every: int = 500
    log_every: int = 50

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"model={self.model!r} not in {MODELS}")
        object.__setattr__(self, "cae_channels", tuple(int(c) for c in self.cae_channels))  # JSON gives a list
        if len(self.cae_channels) != 3 or min(self.cae_channels) < 1:
            raise ValueError(f"cae_channels={self.cae_channels} must be three widths >= 1")
        if self.quantizer not in QUANTIZERS:
            raise ValueError(f"quantizer={self.quantizer!r} not in {QUANTIZERS}")

    @property
    def model_config(self) -> ModelConfig:
        return ModelConfig(N=self.N, M=self.M, upsample=self.upsample)


# ---- loss and steps ----


def loss_fn(model: FactorizedPrior, x: jax.Array, key: jax.Array, lmbda: jax.Array, quantizer: str = "noise"):
    """Rate-distortion loss of a batch ``x`` (``(B, H, W, 3)`` in ``[0, 1]``); returns ``(loss, (bpp, mse))``.

    ``quantizer``: what the decoder sees while training, see :meth:`learned.model.FactorizedPrior.__call__`.
    """
    out = model(x, training=True, key=key, quantizer=quantizer)
    num_pixels = x.shape[0] * x.shape[1] * x.shape[2]
    bpp = jnp.sum(-jnp.log2(out.likelihoods)) / num_pixels  # rate R: estimated bits per pixel of y + u
    mse = jnp.mean(jnp.square(out.x_hat - x))  # distortion D: MSE on [0, 1] images
    loss = lmbda * 255.0 ** 2 * mse + bpp  # R + lambda * D, with D on the 0..255 scale
    return loss, (bpp, mse)


@functools.partial(nnx.jit, static_argnames="quantizer")
def train_step(model: FactorizedPrior, optimizer: nnx.Optimizer, x_u8: jax.Array, key: jax.Array,
               lmbda: jax.Array, quantizer: str = "noise") -> dict:
    """One Adam step on a ``uint8`` batch ``(B, H, W, 3)``; returns the loss terms."""
    x = x_u8.astype(jnp.float32) / 255.0  # (B, H, W, 3) in [0, 1]
    (loss, (bpp, mse)), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model, x, key, lmbda, quantizer)
    optimizer.update(model, grads)
    return {"loss": loss, "bpp": bpp, "mse": mse}


@nnx.jit
def eval_step(model: FactorizedPrior, x_u8: jax.Array):
    """Real rounding: per-image estimated bpp ``(B,)`` and the ``uint8`` reconstruction ``(B, H, W, 3)``."""
    x = x_u8.astype(jnp.float32) / 255.0  # (B, H, W, 3)
    out = model(x, training=False)
    bpp = jnp.sum(-jnp.log2(out.likelihoods), axis=(1, 2, 3)) / (x.shape[1] * x.shape[2])  # (B,)
    x_hat = jnp.round(jnp.clip(out.x_hat, 0.0, 1.0) * 255.0).astype(jnp.uint8)  # (B, H, W, 3)
    return bpp, x_hat


def _psnr_u8(x: np.ndarray, x_hat: np.ndarray) -> float:
    """Mean over images of the per-image PSNR (peak 255) of two ``(B, H, W, 3)`` uint8 arrays."""
    mse = np.mean((x.astype(np.float64) - x_hat.astype(np.float64)) ** 2, axis=(1, 2, 3))  # (B,)
    return float(np.mean(10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-10))))


# ---- building, sharding ----


def create(config: TrainConfig):
    """Model and optimizer (Adam after global-norm clipping, step-down learning-rate schedule)."""
    if config.model == "cae":
        model = CAE(config.cae_channels, rngs=nnx.Rngs(config.seed))
    else:
        model = FactorizedPrior(config.model_config, rngs=nnx.Rngs(config.seed))
    tx = _adam(config.lr, max(1, int(config.lr_drop * config.steps)), config.clip)
    return model, nnx.Optimizer(model, tx, wrt=nnx.Param)


@functools.lru_cache(maxsize=16)
def _adam(lr: float, drop_step: int, clip: float) -> optax.GradientTransformation:
    # Cached: the transformation is static data of the optimizer, so reusing the same object for the
    # same settings lets nnx.jit reuse the compiled step (tests run several short runs in one process).
    schedule = optax.piecewise_constant_schedule(lr, {drop_step: 0.1})  # lr, then lr / 10 from drop_step
    return optax.chain(optax.clip_by_global_norm(clip), optax.adam(schedule))


def make_mesh(devices=None) -> Mesh:
    """1-D mesh over ``devices`` (default: all, every host) with axis name ``"data"``."""
    return Mesh(np.array(jax.devices() if devices is None else devices), ("data",))


def replicate(mesh: Mesh, *modules) -> None:
    """Place the state of every module (model, optimizer) on all devices of ``mesh``."""
    replicated = NamedSharding(mesh, PartitionSpec())
    for module in modules:
        nnx.update(module, jax.device_put(nnx.state(module), replicated))


def put_batch(mesh: Mesh, batch: np.ndarray, *, shard: bool = True) -> jax.Array:
    """The global batch as one array sharded along ``"data"`` (or replicated); each process gives its slice."""
    sharding = NamedSharding(mesh, PartitionSpec("data") if shard else PartitionSpec())
    if shard and jax.process_count() > 1:
        per = batch.shape[0] // jax.process_count()
        batch = batch[jax.process_index() * per:(jax.process_index() + 1) * per]
    return jax.make_array_from_process_local_data(sharding, batch)


# ---- checkpoints ----


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)


def save_checkpoint(path: Path, config: TrainConfig, model, optimizer, *, step: int, seconds: float) -> None:
    """Write the whole training state as one ``.npz`` (atomically)."""
    arrays = {**state_arrays(model, "model/"), **state_arrays(optimizer, "opt/")}
    arrays["step"] = np.int64(step)
    arrays["seconds"] = np.float64(seconds)
    arrays["rng_key"] = np.asarray(jax.random.key_data(jax.random.key(config.seed)))
    arrays["config"] = np.array(json.dumps(dataclasses.asdict(config)))
    _atomic_write(path, lambda f: np.savez(f, **arrays))


def load_checkpoint(path) -> tuple[TrainConfig, dict]:
    """``(config, arrays)`` of a checkpoint written by :func:`save_checkpoint`."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return TrainConfig(**json.loads(str(arrays["config"]))), arrays


# ---- export for the codec ----


def export_weights(ckpt, path) -> None:
    """Write the small inference file of a checkpoint (see :func:`learned.codec.save_weights`).

    Parameters
    ----------
    ckpt : str or Path
        A training checkpoint (``checkpoint.npz``).
    path : str or Path
        Output ``.npz``: parameters (float16 kernels), the integer CDF tables, the model config and ``lmbda``
        (a ``cae`` checkpoint: :func:`learned.cae_codec.save_weights`, parameters and channels).
    """
    config, arrays = load_checkpoint(ckpt)
    if config.model == "cae":
        from learned import cae_codec

        model = nnx.eval_shape(lambda: CAE(config.cae_channels, rngs=nnx.Rngs(0)))  # shapes only
        load_arrays(model, arrays, "model/")
        cae_codec.save_weights(model, path, step=int(arrays["step"]))
        return
    from learned.codec import save_weights

    model = nnx.eval_shape(lambda: FactorizedPrior(config.model_config, rngs=nnx.Rngs(0)))  # shapes only
    load_arrays(model, arrays, "model/")
    save_weights(model, path, lmbda=config.lmbda, step=int(arrays["step"]))


# ---- logging ----


def _read_log(path: Path, upto: int) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [row for row in csv.DictReader(f) if int(row["step"]) <= upto]


def _write_log(path: Path, rows: list[dict]) -> None:
    def write(f):
        import io
        text = io.StringIO()
        w = csv.DictWriter(text, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
        f.write(text.getvalue().encode())

    _atomic_write(path, write)


def _plot(path: Path, rows: list[dict], model: str = "factorized") -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def col(name):
        pts = [(int(r["step"]), float(r[name])) for r in rows if r.get(name) not in (None, "")]
        return ([p[0] for p in pts], [p[1] for p in pts])

    cae = model == "cae"
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(*col("loss"))
    axes[0].set(title="loss = MSE (no rate term)" if cae else "loss = lmbda 255^2 MSE + bpp", xlabel="step",
                yscale="log")
    if not cae:
        axes[1].plot(*col("bpp"), label="train (noise)")
    axes[1].plot(*col("val_bpp"), "o-", label="val (order-0 entropy of the 8-bit latent)" if cae
                 else "val (rounded, estimated)")
    axes[1].set(title="rate (bpp)", xlabel="step")
    axes[2].plot(*col("psnr"), label="train (8-bit latent)" if cae else "train (noise)")
    axes[2].plot(*col("val_psnr"), "o-", label="val (uint8)")
    axes[2].set(title="PSNR (dB)", xlabel="step")
    for ax in axes[1:]:
        ax.legend()
    fig.tight_layout()
    _atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=80))
    plt.close(fig)


# ---- the training loop ----


def run(config: TrainConfig, *, data, out, resume: bool = False, init=None, export=None, until=None,
        progress: bool = True) -> dict:
    """Train (or continue training) and return the last logged row; see the module docstring.

    ``until`` stops early (with a checkpoint) at that step, keeping the learning-rate schedule of
    ``config.steps``: a run cut into sessions with ``until`` and ``resume`` is identical to an
    uninterrupted one.
    """
    out = Path(out)
    ckpt_path = out / "checkpoint.npz"
    main_process = jax.process_index() == 0
    start, seconds = 0, 0.0
    arrays = None
    if resume:
        if not ckpt_path.exists():
            raise FileNotFoundError(f"--resume: no checkpoint at {ckpt_path}")
        saved, arrays = load_checkpoint(ckpt_path)
        config = dataclasses.replace(saved, steps=config.steps)  # only the length may change
        start, seconds = int(arrays["step"]), float(arrays["seconds"])
    elif init is not None:
        saved, init_arrays = load_checkpoint(init)
        config = dataclasses.replace(config, model=saved.model, N=saved.N, M=saved.M, upsample=saved.upsample,
                                     cae_channels=saved.cae_channels)
    model, optimizer = create(config)
    if arrays is not None:
        load_arrays(model, arrays, "model/")
        load_arrays(optimizer, arrays, "opt/")
    elif init is not None:
        load_arrays(model, init_arrays, "model/")

    mesh = make_mesh()
    if config.batch % mesh.size:
        raise ValueError(f"batch={config.batch} must be a multiple of the {mesh.size} devices")
    replicate(mesh, model, optimizer)
    dataset = PatchDataset(data, crop=config.crop, n_val=config.n_val, seed=config.seed)
    val = dataset.validation()
    val_x = put_batch(mesh, val, shard=False) if len(val) else None
    lmbda = jnp.float32(config.lmbda)
    if config.model == "cae":
        from learned import train_cae

        step_fn, eval_fn = train_cae.train_step, train_cae.eval_step
    else:
        step_fn, eval_fn = functools.partial(train_step, quantizer=config.quantizer), eval_step
    base_key = jax.random.key(config.seed)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "log.csv"
    rows = _read_log(log_path, start) if resume else []

    from tqdm import tqdm

    bar = tqdm(total=config.steps, initial=start, file=sys.stderr, disable=not (progress and main_process),
               mininterval=1.0 if sys.stderr.isatty() else 60.0, dynamic_ncols=True)
    pending, row = [], rows[-1] if rows else {}
    t0 = time.perf_counter() - seconds
    last = config.steps if until is None else min(until, config.steps)
    for step in range(start + 1, last + 1):
        x = put_batch(mesh, dataset.batch(step, config.batch))  # (B, crop, crop, 3) uint8, sharded
        pending.append(step_fn(model, optimizer, x, jax.random.fold_in(base_key, step), lmbda))
        bar.update(1)
        validate = step % config.val_every == 0 or step == last
        if step % config.log_every == 0 or validate:
            m = {k: float(np.mean([float(p[k]) for p in pending])) for k in pending[0]}  # cae: no "bpp"
            pending = []
            if not math.isfinite(m["loss"]):
                raise FloatingPointError(f"loss is {m['loss']} at step {step}")
            row = {"step": step, "bpp": "", **{k: f"{v:.6g}" for k, v in m.items()},
                   "psnr": f"{10 * math.log10(1.0 / max(m['mse'], 1e-12)):.4f}", "val_bpp": "", "val_psnr": "",
                   "seconds": f"{time.perf_counter() - t0:.1f}"}
            if validate and val_x is not None:
                bpp, x_hat = eval_fn(model, val_x)
                row["val_bpp"] = f"{float(np.mean(_host(bpp))):.5f}"
                row["val_psnr"] = f"{_psnr_u8(val, _host(x_hat)):.4f}"
            rows.append(row)
            bar.set_postfix(bpp=row["bpp"], psnr=row["psnr"], loss=row["loss"], val_psnr=row["val_psnr"] or "-")
        if main_process and (step % config.ckpt_every == 0 or step == last):
            save_checkpoint(ckpt_path, config, model, optimizer, step=step, seconds=time.perf_counter() - t0)
            _write_log(log_path, rows)
            _plot(out / "curves.png", rows, config.model)
    bar.close()
    if main_process and export is not None:
        export_weights(ckpt_path, export)
    return row


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = argparse.ArgumentParser(
        prog="python -m learned.train",
        description="Train the factorized-prior learned codec (Balle et al. 2018) on random crops. "
                    "Loss = lmbda * 255^2 * MSE + bpp; training uses additive uniform noise, validation "
                    "real rounding. --model cae trains the plain autoencoder baseline instead: loss = MSE "
                    "through its 8-bit latent, no rate term.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default=None, help="folder of training images (default: $COMPRESS_DATA/train)")
    p.add_argument("--out", required=True, help="run folder: checkpoint.npz, log.csv, curves.png")
    p.add_argument("--model", choices=MODELS, default=d.model,
                   help="factorized: the rate-distortion model; cae: the plain autoencoder (MSE only, 8-bit "
                        "latent, coded by learned.cae_codec)")
    p.add_argument("--lmbda", type=float, default=d.lmbda,
                   help="rate-distortion trade-off; CompressAI q1..q4: 0.0018 0.0035 0.0067 0.0130")
    p.add_argument("--steps", type=int, default=d.steps, help="total optimizer steps (including resumed ones)")
    p.add_argument("--until", type=int, default=None, metavar="STEP",
                   help="stop at STEP with a checkpoint (schedule still that of --steps); go on later with --resume")
    p.add_argument("--resume", action="store_true",
                   help="continue OUT/checkpoint.npz exactly (its config; only --steps may change)")
    p.add_argument("--init", default=None, metavar="CKPT",
                   help="start a new run from the weights of CKPT (fine-tuning, e.g. to another lmbda); "
                        "model, N, M, upsample and cae channels come from CKPT")
    p.add_argument("--export", default=None, metavar="PATH",
                   help="at the end, write the inference file (weights + integer CDF tables) to PATH")
    p.add_argument("--N", type=int, default=d.N, help="channels inside g_a / g_s")
    p.add_argument("--M", type=int, default=d.M, help="channels of the latent y")
    p.add_argument("--upsample", choices=("subpixel", "transpose"), default=d.upsample,
                   help="synthesis up-sampling: conv + depth-to-space (4x faster on CPU) or transposed conv")
    p.add_argument("--cae-channels", type=_channels, default=d.cae_channels, metavar="C1,C2,C3",
                   help="--model cae: widths of its three encoder convolutions (the latent has C3 channels)")
    p.add_argument("--batch", type=int, default=d.batch, help="global batch size (multiple of the device count)")
    p.add_argument("--crop", type=int, default=d.crop, help="side of the random crops (multiple of 16)")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    p.add_argument("--lr-drop", type=float, default=d.lr_drop, help="fraction of steps after which lr *= 0.1")
    p.add_argument("--clip", type=float, default=d.clip, help="global-norm gradient clipping")
    p.add_argument("--quantizer", choices=QUANTIZERS, default=d.quantizer,
                   help="training: noise for rate and decoder (the paper), or mixed (the decoder sees the "
                        "rounded latent, straight-through)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed of init, data stream and noise")
    p.add_argument("--n-val", type=int, default=d.n_val, help="held-out images for validation (last by name)")
    p.add_argument("--val-every", type=int, default=d.val_every, help="validation period (steps)")
    p.add_argument("--ckpt-every", type=int, default=d.ckpt_every, help="checkpoint period (steps)")
    p.add_argument("--log-every", type=int, default=d.log_every, help="CSV row period (steps)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    p.add_argument("--distributed", action="store_true",
                   help="multi-host: call jax.distributed.initialize() first (one process per host)")
    p.add_argument("--cpu-devices", type=int, default=1, metavar="K",
                   help="split a CPU host into K XLA devices for data parallelism (4 was fastest on 2 cores)")
    return p


def force_cpu_devices(k: int) -> None:
    """Ask XLA for ``k`` host (CPU) devices; must run before JAX initialises its backends.

    Adds ``--xla_force_host_platform_device_count=k`` to ``XLA_FLAGS`` unless that flag is there
    already.  XLA ignores it silently once JAX has started, so :func:`main` checks the count
    afterwards (``RuntimeError`` if it differs).
    """
    if k < 1:
        raise ValueError(f"--cpu-devices {k} must be >= 1")
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={k}".strip()


def _channels(text: str) -> tuple[int, int, int]:
    try:
        channels = tuple(int(c) for c in text.split(","))
    except ValueError:
        channels = ()
    if len(channels) != 3 or min(channels) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not three positive widths such as 32,64,16")
    return channels


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.cpu_devices != 1:
        force_cpu_devices(args.cpu_devices)  # ValueError below 1
    if args.distributed:
        jax.distributed.initialize()
    if args.cpu_devices > 1 and len(jax.devices("cpu")) != args.cpu_devices:
        raise RuntimeError(f"--cpu-devices {args.cpu_devices}: JAX has {len(jax.devices('cpu'))} CPU devices "
                           "(it started before, or XLA_FLAGS sets another count)")
    if args.crop % 16:
        raise SystemExit(f"--crop {args.crop} must be a multiple of 16 (four stride-2 layers)")
    config = TrainConfig(lmbda=args.lmbda, model=args.model, steps=args.steps, N=args.N, M=args.M,
                         upsample=args.upsample, cae_channels=args.cae_channels,
                         batch=args.batch, crop=args.crop, lr=args.lr, lr_drop=args.lr_drop, clip=args.clip,
                         quantizer=args.quantizer,
                         seed=args.seed, n_val=args.n_val, val_every=args.val_every,
                         ckpt_every=args.ckpt_every, log_every=args.log_every)
    row = run(config, data=args.data, out=args.out, resume=args.resume, init=args.init, export=args.export,
              until=args.until, progress=not args.no_progress)
    if jax.process_index() == 0 and row:
        print(f"step {row['step']}: loss {row['loss']} bpp {row['bpp'] or '-'} psnr {row['psnr']} "
              f"val_bpp {row['val_bpp'] or '-'} val_psnr {row['val_psnr'] or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
