"""The training loop end to end on a tiny configuration: CLI, logs, checkpoints, resume, export, sharding."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from learned import train
from learned.codec import load_weights
from learned.model import load_arrays, state_arrays

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--N", "8", "--M", "8", "--batch", "2", "--crop", "32", "--n-val", "1", "--val-every", "2",
        "--ckpt-every", "2", "--log-every", "1", "--no-progress"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:48]
    for k in range(3):  # smooth synthetic images with a little noise
        im = np.stack([(xx * 4 + 40 * k) % 256, yy * 6, (xx + yy) * 3], -1) + rng.integers(0, 8, (40, 48, 3))
        Image.fromarray(np.clip(im, 0, 255).astype(np.uint8)).save(folder / f"img{k}.png")
    return str(folder)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _arrays(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def straight(data, tmp_path_factory):
    """An uninterrupted 4-step run."""
    out = tmp_path_factory.mktemp("straight")
    assert train.main(["--data", data, "--out", str(out), "--steps", "4", "--lmbda", "0.01", *TINY]) == 0
    return out


def test_run_writes_log_plot_checkpoint(straight):
    rows = _rows(straight / "log.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert list(rows[0]) == list(train.CSV_FIELDS)
    assert all(np.isfinite(float(r["loss"])) for r in rows)
    assert rows[1]["val_psnr"] and not rows[0]["val_psnr"]
    assert (straight / "curves.png").read_bytes()[:4] == b"\x89PNG"
    ckpt = _arrays(straight / "checkpoint.npz")
    assert int(ckpt["step"]) == 4
    assert json.loads(str(ckpt["config"]))["lmbda"] == 0.01
    assert any(k.startswith("opt/") for k in ckpt) and any(k.startswith("model/g_a/") for k in ckpt)
    assert not list(straight.glob("*.tmp"))


def test_resume_matches_uninterrupted_run(data, straight, tmp_path):
    args = ["--data", data, "--out", str(tmp_path), "--steps", "4", "--lmbda", "0.01", *TINY]
    assert train.main([*args, "--until", "2"]) == 0
    assert int(_arrays(tmp_path / "checkpoint.npz")["step"]) == 2
    assert train.main([*args, "--resume"]) == 0
    a, b = _arrays(straight / "checkpoint.npz"), _arrays(tmp_path / "checkpoint.npz")
    assert int(b["step"]) == 4 and a.keys() == b.keys()
    for k in a:
        if k not in ("seconds", "config"):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    rows = _rows(tmp_path / "log.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]


def test_init_and_export(data, straight, tmp_path):
    export = tmp_path / "w.npz"
    assert train.main(["--data", data, "--out", str(tmp_path / "ft"), "--steps", "4", "--until", "1", "--lmbda", "0.02",
                       "--init", str(straight / "checkpoint.npz"), "--export", str(export), *TINY]) == 0
    ckpt = _arrays(tmp_path / "ft" / "checkpoint.npz")
    assert int(ckpt["step"]) == 1 and json.loads(str(ckpt["config"]))["lmbda"] == 0.02
    _, tables, meta, _ = load_weights(export)
    assert (meta["N"], meta["M"], meta["lmbda"]) == (8, 8, 0.02)
    assert tables.cdf.shape[0] == 8 and (np.diff(tables.cdf, axis=1) >= 1).all()
    assert (tables.cdf[:, -1] == 1 << 16).all()
    assert export.stat().st_size < 1 << 20


def test_resume_without_checkpoint_fails(data, tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        train.main(["--data", data, "--out", str(tmp_path), "--steps", "1", "--resume", *TINY])


def _one_step(devices, start=None):
    """One train step of the tiny model on a fixed batch over ``devices``: (loss, flat params).

    ``start``: an ``.npz`` of the initial model and Adam state (the subprocess loads it instead of
    initialising again); without it, the initial state is created and saved to ``.npz`` here.
    """
    import jax
    import jax.numpy as jnp
    from flax import nnx

    config = train.TrainConfig(N=8, M=8, batch=2, crop=32, lmbda=0.01, steps=4)
    batch = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    if start is None:
        model, optimizer = train.create(config)
        init = {**state_arrays(model, "model/"), **state_arrays(optimizer, "opt/")}
    else:
        model, optimizer = nnx.eval_shape(lambda: train.create(config))  # shapes only
        init = _arrays(start)
        load_arrays(model, init, "model/")
        load_arrays(optimizer, init, "opt/")
    mesh = train.make_mesh(devices)
    train.replicate(mesh, model, optimizer)
    x = train.put_batch(mesh, batch)
    assert len(x.sharding.device_set) == len(devices)
    m = train.train_step(model, optimizer, x, jax.random.key(1), jnp.float32(config.lmbda))
    return float(m["loss"]), state_arrays(model), init


def test_two_devices_match_one(tmp_path):
    """The same step sharded over 2 (forced host) devices in a subprocess equals the 1-device step here."""
    import jax

    loss1, p1, init = _one_step(jax.devices()[:1])  # same shapes as TINY: reuses this process's compiled step
    np.savez(tmp_path / "init.npz", **init)
    script = (f"import sys, json, jax, numpy as np; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
              "from test_train import _one_step\n"
              "assert len(jax.devices()) == 2, jax.devices()\n"
              f"loss, params, _ = _one_step(jax.devices(), {str(tmp_path / 'init.npz')!r})\n"
              f"np.savez({str(tmp_path / 'two.npz')!r}, loss=loss, **params)\n")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = _arrays(tmp_path / "two.npz")
    assert abs(float(two["loss"]) - loss1) <= 1e-5 * abs(loss1)
    for k in p1:
        np.testing.assert_allclose(two[k], p1[k], rtol=1e-5, atol=1e-5 * float(np.abs(p1[k]).max()), err_msg=k)


def test_cpu_devices_option_splits_the_host(data, straight, tmp_path):
    """``--cpu-devices 2`` in a fresh process: 2 CPU devices, and the 4 steps land where 1 device's did."""
    script = ("import sys, jax; from learned import train\n"
              f"code = train.main(['--data', {data!r}, '--out', {str(tmp_path)!r}, '--steps', '4', '--lmbda', '0.01',"
              f" '--cpu-devices', '2', *{TINY!r}])\n"
              "assert len(jax.devices()) == 2, jax.devices()\n"
              "sys.exit(code)\n")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"} | {"JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    one, two = _arrays(straight / "checkpoint.npz"), _arrays(tmp_path / "checkpoint.npz")
    for k in one:
        if k.startswith("model/"):
            np.testing.assert_allclose(two[k], one[k], rtol=1e-4, atol=1e-4 * float(np.abs(one[k]).max()), err_msg=k)


def test_cpu_devices_too_late_is_an_error(data, tmp_path, monkeypatch):
    """In this process JAX has started with one CPU device: the flag cannot apply, and main says so."""
    monkeypatch.setenv("XLA_FLAGS", "")  # main adds the flag to XLA_FLAGS; undone after the test
    with pytest.raises(RuntimeError, match="cpu-devices"):
        train.main(["--data", data, "--out", str(tmp_path), "--steps", "1", "--cpu-devices", "3", *TINY])


def test_mixed_quantizer_run_is_recorded(data, tmp_path):
    """--quantizer mixed trains (finite loss) and the checkpoint's config says so, for --resume to keep it."""
    assert train.main(["--data", data, "--out", str(tmp_path), "--steps", "2", "--lmbda", "0.01",
                       "--quantizer", "mixed", *TINY]) == 0
    config, _ = train.load_checkpoint(tmp_path / "checkpoint.npz")
    assert config.quantizer == "mixed"
    assert all(np.isfinite(float(r["loss"])) for r in _rows(tmp_path / "log.csv"))
    with pytest.raises(ValueError, match="quantizer"):
        train.TrainConfig(quantizer="round")
