#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_token
short_description: Make sure the cluster's token file exists on the controller, readable by its owner alone
version_added: "0.2.0"
description:
  - Generates the Ray cluster's token once (letters and digits) into a new file of mode C(0600), in a folder it
    creates with mode C(0700). A file that is already there is kept, its token never read or rewritten; only its
    mode is set back to C(0600) when it is wider.
  - Always acts on the controller, in Ansible's own process, whatever the host of the task; no module is sent.
  - The token is never returned or logged.
author:
  - raybook developers (@raybook)
options:
  path:
    description: The token file on the controller.
    type: path
    required: true
  length:
    description: How many characters a generated token has (at least 32).
    type: int
    default: 48
attributes:
  action:
    support: full
    description: An action plugin that does all its work on the controller.
  check_mode:
    support: full
    description: Says what it would create or change, and writes nothing.
  diff_mode:
    support: none
    description: The token is a secret; no diff is shown.
seealso:
  - module: raybook.ray.ray_cluster_info
"""

EXAMPLES = r"""
- name: Make sure the controller has the cluster's token
  raybook.ray.cluster_token:
    path: "{{ playbook_dir }}/.raybook/auth_token"
  run_once: true
"""

RETURN = r"""
path:
  description: The token file.
  returned: always
  type: str
  sample: /home/me/project/.raybook/auth_token
steps:
  description: What was done (or, in check mode, would be done), in order; empty when the file was already right.
  returned: always
  type: list
  elements: str
  sample: [folder, token]
"""
