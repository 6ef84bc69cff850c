"""Shared test configuration: Hypothesis profiles and the data folder.

Profiles (choose with the environment variable ``HYPOTHESIS_PROFILE``):

* ``ci`` (default): 50 examples per property, no deadline (a busy 2-core
  machine makes per-example deadlines flaky);
* ``dev``: 15 examples, for quick local runs;
* ``thorough``: 2000 examples, for a long run before a release.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=50, **_common)
settings.register_profile("dev", max_examples=15, **_common)
settings.register_profile("thorough", max_examples=2000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder from ``COMPRESS_DATA``; skips the test when unset."""
    path = os.environ.get("COMPRESS_DATA")
    if not path or not Path(path).is_dir():
        pytest.skip("COMPRESS_DATA is not set to the shared data folder")
    return Path(path)
