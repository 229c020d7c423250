"""Fixtures shared by every test folder (the helpers themselves are in tests/helpers.py)."""

import pytest

from tests.helpers import PROJECT_DIR


@pytest.fixture(scope="session")
def project_dir():
    return PROJECT_DIR
