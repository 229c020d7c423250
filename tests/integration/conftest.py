"""Integration tests start and stop real Ray clusters on this machine with the project's playbooks."""

import pytest

from tests.helpers import stop_ray


@pytest.fixture(scope="module", autouse=True)
def no_ray_before_or_after():
    """Every test module starts from a machine with no Ray running, and leaves none behind."""
    stop_ray()
    yield
    stop_ray()
