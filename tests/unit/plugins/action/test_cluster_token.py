"""cluster_token's steps on a real temporary folder: what a token file still needs, and doing it."""

from __future__ import annotations

import os
import stat

import pytest

from ansible.errors import AnsibleActionFail
from ansible_collections.raybook.ray.plugins.action.cluster_token import TOKEN_CHARACTERS, apply_steps, missing_steps


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_project_gets_a_private_folder_and_a_new_token(tmp_path):
    path = str(tmp_path / ".raybook" / "auth_token")
    steps = missing_steps(path)
    assert steps == ["folder", "token"]
    apply_steps(path, steps, 48)
    token = open(path).read()
    assert len(token) == 48 and set(token) <= set(TOKEN_CHARACTERS)
    assert (mode(os.path.dirname(path)), mode(path)) == (0o700, 0o600)
    assert missing_steps(path) == []


def test_two_projects_get_different_tokens(tmp_path):
    tokens = set()
    for name in ("a", "b"):
        path = str(tmp_path / name)
        apply_steps(path, missing_steps(path), 40)
        tokens.add(open(path).read())
    assert len(tokens) == 2


def test_a_token_the_user_brought_is_kept_and_only_made_private(tmp_path):
    path = tmp_path / "auth_token"
    path.write_text("mine" * 10)
    path.chmod(0o644)
    steps = missing_steps(str(path))
    assert steps == ["mode"]
    apply_steps(str(path), steps, 48)
    assert (path.read_text(), mode(path)) == ("mine" * 10, 0o600)


def test_a_token_written_meanwhile_is_never_replaced(tmp_path):
    path = tmp_path / "auth_token"
    steps = missing_steps(str(path))
    path.write_text("x" * 40)
    with pytest.raises(FileExistsError):
        apply_steps(str(path), steps, 48)
    assert path.read_text() == "x" * 40


@pytest.mark.parametrize("make, words", [("file_as_folder", "is not a folder"), ("folder_as_file", "is not a file")])
def test_a_path_that_cannot_hold_the_token_is_named(tmp_path, make, words):
    (tmp_path / "taken").write_text("") if make == "file_as_folder" else (tmp_path / "taken").mkdir()
    path = str(tmp_path / "taken" / "auth_token") if make == "file_as_folder" else str(tmp_path / "taken")
    with pytest.raises(AnsibleActionFail, match=words):
        missing_steps(path)
