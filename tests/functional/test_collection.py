"""The collection as `ansible-galaxy collection build` makes it: what a user installs, and nothing of this
workplace (the controller's token and ansible-runner records in .raybook/, lint exceptions, CI files)."""

import subprocess
import tarfile

import pytest

from tests.helpers import PROJECT_DIR, VENV_BIN


@pytest.fixture(scope="module")
def tarball_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(PROJECT_DIR)],
                   check=True, capture_output=True, timeout=300)
    [tarball] = out.glob("raybook-ray-*.tar.gz")
    with tarfile.open(tarball) as archive:
        return set(archive.getnames())


def test_the_tarball_ships_the_docs_the_readme_links_to_and_the_changelog(tarball_names):
    for name in ("README.md", "LICENSE", "CHANGELOG.md", "changelogs/changelog.yaml", "docs/README.md",
                 "docs/security.md", "docs/reference/modules.md", "meta/runtime.yml", "plugins/modules/ray_job_batch.py"):
        assert name in tarball_names


def test_the_tarball_holds_nothing_of_this_workplace(tarball_names):
    tops = {name.split("/")[0] for name in tarball_names}
    assert not tops & {".raybook", ".github", ".ansible-lint", ".ansible-lint-ignore", ".venv", "tests", "results",
                       "raybook", "bench", "collections"}
    assert "docs/generate_reference.py" not in tarball_names
