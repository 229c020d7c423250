"""stage_folder's archive and its unpacking shell command, run for real with this machine's sh and tar."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from ansible_collections.raybook.ray.plugins.action.stage_folder import folder_archive, folder_files, shell_path, unpack_command


@pytest.fixture
def workload(tmp_path):
    folder = tmp_path / "train"
    (folder / "lib").mkdir(parents=True)
    (folder / "train.py").write_text("print('hi')\n")
    (folder / "lib" / "util.py").write_text("X = 1\n")
    (folder / ".env").write_text("A=1\n")
    (folder / "run.sh").write_text("#!/bin/sh\n")
    (folder / "run.sh").chmod(0o755)
    return folder


def unpack(archive, dest, home):
    digest = hashlib.sha256(archive).hexdigest()
    (home / "folder.tar.gz").write_bytes(archive)
    subprocess.run(["sh", "-c", unpack_command(str(home / "folder.tar.gz"), dest, digest)], check=True, env={"HOME": str(home)})
    return digest


def test_the_same_folder_always_gives_the_same_archive(workload):
    first = folder_archive(str(workload))
    (workload / "train.py").touch()  # a newer time alone changes nothing
    assert folder_archive(str(workload)) == first
    (workload / "train.py").write_text("print('bye')\n")
    assert folder_archive(str(workload)) != first


def test_the_staged_copy_mirrors_the_folder_and_drops_what_it_no_longer_has(workload, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    unpack(folder_archive(str(workload)), "~/stage/train", home)
    (workload / "lib" / "util.py").unlink()
    digest = unpack(folder_archive(str(workload)), "~/stage/train", home)
    staged = home / "stage" / "train"
    assert folder_files(str(staged)) == [".env", "run.sh", "train.py"]
    assert (staged / "run.sh").stat().st_mode & 0o777 == 0o755
    assert (home / "stage" / "train.sha256").read_text() == digest


@pytest.mark.parametrize("path, quoted", [
    ("~/.cache/raybook/workloads/a b", "\"$HOME\"/'.cache/raybook/workloads/a b'"),
    ("/srv/it's", "'/srv/it'\"'\"'s'"),
    ("~", "\"$HOME\""),
])
def test_a_path_is_quoted_for_the_shell_with_its_home_left_to_expand(path, quoted):
    assert shell_path(path) == quoted
