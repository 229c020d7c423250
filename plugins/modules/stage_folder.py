#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stage_folder
short_description: Mirror a folder of the controller on the host in one transfer
version_added: "0.2.0"
description:
  - Packs O(src) on the controller into one tar.gz (every file, hidden ones included, symbolic links followed; names,
    modes and contents only) and replaces O(dest) on the host with its files, so that O(dest) mirrors O(src)
    exactly, a file deleted from O(src) included.
  - The archive's sha256 is kept beside O(dest) (C(<dest>.sha256)); when it matches, nothing is sent and the task
    reports no change. One read of that file, and when it differs one transfer and one shell command, with no
    module run on the host.
  - Needs a POSIX shell and C(tar) on the host.
author:
  - raybook developers (@raybook)
options:
  src:
    description: The folder on the controller.
    type: path
    required: true
  dest:
    description:
      - The folder on the host that becomes a copy of O(src); what it held before is removed.
      - A leading C(~/) is the home of the user the host is reached as.
      - At least two levels below C(/) or C(~), since it is replaced whole.
    type: str
    required: true
attributes:
  action:
    support: full
    description: An action plugin; it packs on the controller and unpacks with the host's tar.
  check_mode:
    support: full
    description: Reads the sha256 beside O(dest) and says whether the folder would be replaced; sends nothing.
  diff_mode:
    support: none
    description: No diff is shown.
seealso:
  - module: ansible.posix.synchronize
  - module: ansible.builtin.unarchive
"""

EXAMPLES = r"""
- name: Stage the workload folder on the head
  raybook.ray.stage_folder:
    src: "{{ playbook_dir }}/workloads/train"
    dest: ~/.cache/raybook/workloads/train
"""

RETURN = r"""
dest:
  description: The folder on the host.
  returned: always
  type: str
  sample: ~/.cache/raybook/workloads/train
sha256:
  description: The sha256 of the folder's archive, as kept beside O(dest).
  returned: always
  type: str
"""
