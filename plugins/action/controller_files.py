# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""raybook.ray.controller_files: write a run's records (files and links) under a folder on the controller, in the
controller's own process: one task where a folder and three copies on localhost were four (half a second each)."""

from __future__ import annotations

import os
import stat
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible_collections.raybook.ray.plugins.plugin_utils.action_args import validated_args

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    entries=dict(type="list", elements="dict", required=True, options=dict(
        path=dict(type="str", required=True),
        content=dict(type="str"),
        link=dict(type="str"),
    ), mutually_exclusive=[("content", "link")], required_one_of=[("content", "link")]),
    mode=dict(type="raw", default="0644"),
)
FOLDER_MODE = 0o755


def parse_mode(mode):
    try:
        return int(mode, 8) if isinstance(mode, str) else int(mode)
    except ValueError:
        raise AnsibleActionFail("mode: expected an octal mode such as '0644', got %r" % mode) from None


def checked_path(dest, relative):
    """dest/relative, refused when relative is absolute or climbs out of dest."""
    parts = relative.split("/")
    if not relative or relative.startswith("/") or ".." in parts or "" in parts:
        raise AnsibleActionFail("entries: path %r is not a plain path inside dest" % relative)
    return os.path.join(dest, *parts)


def entry_needed(path, entry, mode):
    """Whether writing the entry would change anything at path."""
    if entry.get("link") is not None:
        return not os.path.islink(path) or os.readlink(path) != entry["link"]
    if os.path.islink(path) or not os.path.isfile(path):
        return True
    with open(path, "rb") as handle:
        if handle.read() != to_bytes(entry["content"]):
            return True
    return stat.S_IMODE(os.stat(path).st_mode) != mode


def write_entry(path, entry, mode):
    os.makedirs(os.path.dirname(path), mode=FOLDER_MODE, exist_ok=True)
    # Written beside, then renamed over: a reader never sees half a file, a link is replaced whole.
    if entry.get("link") is not None:
        temporary = path + ".raybook-new"
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(entry["link"], temporary)
    else:
        descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".raybook-")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(to_bytes(entry["content"]))
        os.chmod(temporary, mode)
    os.replace(temporary, path)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        params = validated_args(self._task.args, ARGUMENT_SPEC, "controller_files")
        mode = parse_mode(params["mode"])
        targets = [(checked_path(params["dest"], entry["path"]), entry) for entry in params["entries"]]
        try:
            changed = [entry["path"] for path, entry in targets if entry_needed(path, entry, mode)]
            if not self._task.check_mode:
                for path, entry in targets:
                    if entry["path"] in changed:
                        write_entry(path, entry, mode)
        except OSError as exc:
            raise AnsibleActionFail("dest: cannot write under %s (%s)" % (params["dest"], exc.strerror or exc)) from None
        result.update(changed=bool(changed), dest=params["dest"], changed_paths=changed)
        return result
