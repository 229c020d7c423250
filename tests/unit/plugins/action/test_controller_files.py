"""controller_files' pieces on a real temporary folder: which entries would change, and writing them."""

from __future__ import annotations

import os
import stat

import pytest

from ansible.errors import AnsibleActionFail
from ansible_collections.raybook.ray.plugins.action.controller_files import checked_path, entry_needed, parse_mode, write_entry


def test_a_file_is_written_with_its_folders_then_left_alone(tmp_path):
    path = checked_path(str(tmp_path), "run-1/train/job.json")
    entry = {"path": "run-1/train/job.json", "content": "{}\n"}
    assert entry_needed(path, entry, 0o644)
    write_entry(path, entry, 0o644)
    assert open(path).read() == "{}\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert not entry_needed(path, entry, 0o644)
    assert entry_needed(path, {**entry, "content": "{\"a\": 1}\n"}, 0o644)
    assert entry_needed(path, entry, 0o600)
    assert os.listdir(os.path.dirname(path)) == ["job.json"]  # no temporary file left


def test_a_link_replaces_an_older_one(tmp_path):
    (tmp_path / "run-1").mkdir()
    path = checked_path(str(tmp_path), "latest")
    write_entry(path, {"path": "latest", "link": "run-0"}, 0o644)
    entry = {"path": "latest", "link": "run-1"}
    assert entry_needed(path, entry, 0o644)
    write_entry(path, entry, 0o644)
    assert os.readlink(path) == "run-1" and not entry_needed(path, entry, 0o644)


@pytest.mark.parametrize("relative", ["/etc/passwd", "../outside", "run/../../x", "", "run//x"])
def test_a_path_outside_dest_is_refused(tmp_path, relative):
    with pytest.raises(AnsibleActionFail, match="is not a plain path inside dest"):
        checked_path(str(tmp_path), relative)


def test_a_mode_is_read_as_octal_text_or_a_number():
    assert (parse_mode("0644"), parse_mode(0o600)) == (0o644, 0o600)
    with pytest.raises(AnsibleActionFail, match="mode: expected an octal mode"):
        parse_mode("rw-r--r--")
