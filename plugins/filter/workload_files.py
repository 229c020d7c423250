# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The workload_files filter: every file of a folder on the controller, as paths relative to it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: workload_files
short_description: The files of a workload folder, relative to it
version_added: "0.1.0"
description:
  - Lists every file under a folder on the controller (hidden ones included, symbolic links as files), as paths
    relative to the folder, sorted. ray_workloads compares it with the staged copy on the host to remove what the
    workload folder no longer has.
options:
  _input:
    description: The folder.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: List a workload's files
  ansible.builtin.debug:
    msg: "{{ 'workloads/train' | raybook.ray.workload_files }}"
"""

RETURN = r"""
_value:
  description: The relative paths, sorted.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleFilterError


def workload_files(folder):
    if not os.path.isdir(folder):
        raise AnsibleFilterError("workload_files: no such folder on the controller: %s" % folder)
    found = []
    for root, _dirs, files in os.walk(folder, followlinks=True):
        found.extend(os.path.relpath(os.path.join(root, name), folder) for name in files)
    return sorted(found)


class FilterModule:
    def filters(self):
        return {"workload_files": workload_files}
