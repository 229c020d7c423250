# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""raybook.ray.cluster_token: the cluster's token file on the controller, made in the controller's own process
(no module is sent anywhere: three file tasks on localhost cost a second, this a few milliseconds)."""

from __future__ import annotations

import os
import secrets
import stat
import string

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.raybook.ray.plugins.plugin_utils.action_args import validated_args

ARGUMENT_SPEC = dict(path=dict(type="path", required=True), length=dict(type="int", default=48))
TOKEN_CHARACTERS = string.ascii_letters + string.digits
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def new_token(length):
    return "".join(secrets.choice(TOKEN_CHARACTERS) for _unused in range(length))


def missing_steps(path):
    """What the token file still needs, in order: 'folder', 'token', 'mode' (an empty list: nothing)."""
    folder = os.path.dirname(path) or "."
    if not os.path.exists(folder):
        return ["folder", "token"]
    if not os.path.isdir(folder):
        raise AnsibleActionFail("path: %s is not a folder" % folder)
    if not os.path.exists(path):
        return ["token"]
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise AnsibleActionFail("path: %s is not a file" % path)
    return ["mode"] if stat.S_IMODE(info.st_mode) != FILE_MODE else []


def apply_steps(path, steps, length):
    if "folder" in steps:
        os.makedirs(os.path.dirname(path), mode=FOLDER_MODE)
    if "token" in steps:
        # O_EXCL: a token another run wrote meanwhile is kept, never replaced.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_token(length))
    if "mode" in steps:
        os.chmod(path, FILE_MODE)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        params = validated_args(self._task.args, ARGUMENT_SPEC, "cluster_token")
        path, length = params["path"], params["length"]
        if length < 32:
            raise AnsibleActionFail("length: expected at least 32 characters, got %d" % length)
        try:
            steps = missing_steps(path)
            if steps and not self._task.check_mode:
                apply_steps(path, steps, length)
        except OSError as exc:
            raise AnsibleActionFail("path: cannot write %s (%s)" % (path, exc.strerror or exc)) from None
        result.update(changed=bool(steps), path=path, steps=steps)
        return result
