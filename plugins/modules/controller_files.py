#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: controller_files
short_description: Write files and links under a folder on the controller, in order, in one task
version_added: "0.2.0"
description:
  - Writes each entry of O(entries) under O(dest) on the controller, in the order given, creating the folders
    they need (mode C(0755)); an entry that is already as asked is left alone, so C(changed) is honest.
  - A file is written beside its place and renamed over it, so a reader never sees half of it; a link replaces
    what was at its path.
  - Always acts on the controller, in Ansible's own process, whatever the host of the task; no module is sent.
    raybook's ray_workloads role writes each run's records with it (a task per workload instead of four).
author:
  - raybook developers (@raybook)
options:
  dest:
    description: The folder on the controller the entries' paths are relative to.
    type: path
    required: true
  entries:
    description: What to write, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Where, relative to O(dest); no absolute path and no C(..).
        type: str
        required: true
      content:
        description: The file's text. Exactly one of O(entries[].content) and O(entries[].link).
        type: str
      link:
        description: Make a symbolic link to this target instead of a file.
        type: str
  mode:
    description: The files' mode.
    type: raw
    default: "0644"
attributes:
  action:
    support: full
    description: An action plugin that does all its work on the controller.
  check_mode:
    support: full
    description: Says which entries would change, and writes nothing.
  diff_mode:
    support: none
    description: No diff is shown.
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write the run's summary, point latest at the run, then mark it complete
  raybook.ray.controller_files:
    dest: "{{ playbook_dir }}/results"
    entries:
      - path: run-1/summary.json
        content: "{{ summary | to_nice_json }}\n"
      - path: latest
        link: run-1
      - path: run-1/COMPLETE
        content: "run-1\n"
"""

RETURN = r"""
dest:
  description: The folder the entries were written under.
  returned: always
  type: str
changed_paths:
  description: The entries' paths that were written (or, in check mode, would be), in order.
  returned: always
  type: list
  elements: str
  sample: [run-1/summary.json, run-1/COMPLETE]
"""
