#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_gpu_info
short_description: Find a host's NVIDIA GPUs
version_added: "0.1.0"
description:
  - Lists the NVIDIA GPUs on the host's PCI bus (vendor C(0x10de), display or 3D controller class) from sysfs,
    whether the C(nvidia) kernel module is loaded, and, when C(nvidia-smi) is installed, what it reports.
  - Reads only; works on hosts without any GPU (RV(count) is 0) and without a driver.
author:
  - raybook developers (@raybook)
options:
  sysfs_root:
    description: Where sysfs is mounted (another root is for tests).
    type: path
    default: /sys
  nvidia_smi:
    description: The C(nvidia-smi) command; looked up on C(PATH) when not a path. Missing is not an error.
    type: str
    default: nvidia-smi
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
seealso:
  - module: raybook.ray.ray_cluster_info
"""

EXAMPLES = r"""
- name: Find the GPUs
  raybook.ray.nvidia_gpu_info:
  register: gpus

- name: Say how many there are
  ansible.builtin.debug:
    msg: "{{ gpus.count }} NVIDIA GPU(s); driver loaded: {{ gpus.driver_loaded }}"
"""

RETURN = r"""
count:
  description: How many NVIDIA GPUs are on the PCI bus.
  returned: always
  type: int
  sample: 8
pci:
  description: The GPUs on the PCI bus.
  returned: always
  type: list
  elements: dict
  sample: [{"pci_address": "0000:17:00.0", "device_id": "0x2330", "device_class": "0x030200"}]
driver_loaded:
  description: Whether the C(nvidia) kernel module is loaded.
  returned: always
  type: bool
nvidia_smi:
  description: What C(nvidia-smi) reported; C(available) is false when it is not installed or failed (C(error) says why).
  returned: always
  type: dict
  sample: {"available": true, "error": "", "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559,
           "driver_version": "550.90.07", "uuid": "GPU-…", "pci_address": "0000:17:00.0"}]}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.nvidia import (
    NVIDIA_SMI_QUERY,
    driver_loaded,
    parse_nvidia_smi,
    pci_gpus,
)


def query_nvidia_smi(module):
    name = module.params["nvidia_smi"]
    command = module.get_bin_path(name) if "/" not in name else name if os.path.exists(name) else None
    if not command:
        return dict(available=False, error="nvidia-smi not installed", gpus=[])
    rc, out, err = module.run_command([command, "--query-gpu=" + NVIDIA_SMI_QUERY, "--format=csv,noheader,nounits"])
    if rc != 0:
        lines = (err or out).strip().splitlines()
        return dict(available=False, error=lines[0] if lines else "nvidia-smi exited %d" % rc, gpus=[])
    try:
        return dict(available=True, error="", gpus=parse_nvidia_smi(out))
    except ValueError as exc:
        return dict(available=False, error=str(exc), gpus=[])


def main():
    module = AnsibleModule(
        argument_spec=dict(sysfs_root=dict(type="path", default="/sys"), nvidia_smi=dict(type="str", default="nvidia-smi")),
        supports_check_mode=True,
    )
    pci = pci_gpus(module.params["sysfs_root"])
    module.exit_json(
        changed=False,
        count=len(pci),
        pci=pci,
        driver_loaded=driver_loaded(module.params["sysfs_root"]),
        nvidia_smi=query_nvidia_smi(module),
    )


if __name__ == "__main__":
    main()
