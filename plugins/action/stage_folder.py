# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""raybook.ray.stage_folder: mirror a folder of the controller on the host in one transfer (a tar.gz made here,
unpacked there by tar), instead of a module call per file and a pass to remove what the folder no longer has."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shlex
import tarfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.raybook.ray.plugins.plugin_utils.action_args import validated_args

ARGUMENT_SPEC = dict(src=dict(type="path", required=True), dest=dict(type="str", required=True))


def folder_files(folder):
    """Every file under folder (hidden ones included, symbolic links followed), relative to it, sorted."""
    found = []
    for root, _dirs, files in os.walk(folder, followlinks=True):
        found.extend(os.path.relpath(os.path.join(root, name), folder) for name in files)
    return sorted(found)


def folder_archive(folder):
    """The folder as tar.gz bytes that depend on its files' names, modes and contents alone (no times, no owners),
    so that the same folder always gives the same digest."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, tarfile.open(fileobj=compressed, mode="w") as archive:
        for name in folder_files(folder):
            path = os.path.join(folder, name)
            info = tarfile.TarInfo(name)
            info.size = os.path.getsize(path)
            info.mode = os.stat(path).st_mode & 0o777
            with open(path, "rb") as handle:
                archive.addfile(info, handle)
    return buffer.getvalue()


def shell_path(path):
    """path quoted for a POSIX shell, with a leading ~/ left for the host's shell to expand."""
    if path == "~" or path.startswith("~/"):
        return '"$HOME"' + (("/" + shlex.quote(path[2:])) if len(path) > 2 else "")
    return shlex.quote(path)


def unpack_command(archive_path, dest, digest):
    """Replace dest by the archive's files, then record the digest beside it (written last: a copy cut short is
    never taken for a complete one)."""
    target, marker = shell_path(dest), shell_path(dest + ".sha256")
    return ("set -e; rm -rf %s %s; mkdir -p %s; tar --no-same-owner -xzf %s -C %s; printf %%s %s > %s"
            % (marker, target, target, shlex.quote(archive_path), target, digest, marker))


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        params = validated_args(self._task.args, ARGUMENT_SPEC, "stage_folder")
        src, dest = params["src"], params["dest"].rstrip("/")
        if not os.path.isdir(src):
            raise AnsibleActionFail("src: no such folder on the controller: %s" % src)
        # dest is replaced whole: a slip such as ~ or /home must not be.
        if len([part for part in dest.split("/") if part not in ("", "~", ".")]) < 2:
            raise AnsibleActionFail("dest: expected a folder at least two levels below / or ~ (it is replaced whole), got %r"
                                    % dest)
        try:
            archive = folder_archive(src)
        except OSError as exc:
            raise AnsibleActionFail("src: cannot read %s (%s)" % (src, exc.strerror or exc)) from None
        digest = hashlib.sha256(archive).hexdigest()
        staged = self._low_level_execute_command("cat %s 2>/dev/null || true" % shell_path(dest + ".sha256"))
        result.update(dest=dest, sha256=digest, changed=staged.get("stdout", "").strip() != digest)
        if not result["changed"] or self._task.check_mode:
            return result
        self._make_tmp_path()
        try:
            remote_archive = self._connection._shell.join_path(self._connection._shell.tmpdir, "folder.tar.gz")
            self._transfer_data(remote_archive, archive)
            # Readable by the become user too, where that is another user.
            self._fixup_perms2([self._connection._shell.tmpdir, remote_archive])
            unpacked = self._low_level_execute_command(unpack_command(remote_archive, dest, digest))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if unpacked["rc"] != 0:
            raise AnsibleActionFail("dest: cannot unpack into %s on the host: %s"
                                    % (dest, (unpacked.get("stderr") or unpacked.get("stdout") or "").strip().splitlines()[-1:]))
        return result
