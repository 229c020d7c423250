#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_cluster_info
short_description: Read a Ray cluster's version, nodes and resources
version_added: "0.1.0"
description:
  - Reads the Ray version, the alive nodes and the total and available resources (CPU, GPU, memory) of a
    Ray cluster through its dashboard.
  - Used for readiness waits (with C(until)) and to check that Ray sees a node's GPUs.
  - An unreachable dashboard is retried with backoff until O(timeout), then the task fails naming the address.
  - Needs no Ray package on the host that runs it.
author:
  - raybook developers (@raybook)
options:
  timeout:
    description: Seconds to keep trying an unreachable dashboard.
    type: float
    default: 30
  check_open:
    description:
      - Also ask the dashboard once without any token, and say in RV(open_without_token) whether it answered.
      - A cluster started with token authentication refuses such a request; one that answers lets anyone who
        reaches it submit jobs. The answer is returned even when the task fails.
    type: bool
    default: false
    version_added: "0.2.0"
extends_documentation_fragment:
  - raybook.ray.ray_connection
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
seealso:
  - module: raybook.ray.ray_job
"""

EXAMPLES = r"""
- name: Wait until the head and two workers are alive
  raybook.ray.ray_cluster_info:
    address: http://127.0.0.1:8265
  register: cluster
  until: cluster.nodes_alive >= 3
  retries: 30
  delay: 2

- name: Check that Ray sees the GPUs
  ansible.builtin.assert:
    that: cluster.resources_total.GPU | default(0) == 8
    fail_msg: "Ray sees {{ cluster.resources_total.GPU | default(0) }} GPUs, expected 8"
"""

RETURN = r"""
ray_version:
  description: The cluster's Ray version.
  returned: always
  type: str
  sample: 2.60.0
ray_commit:
  description: The commit the cluster's Ray was built from.
  returned: always
  type: str
nodes_alive:
  description: How many nodes are alive.
  returned: always
  type: int
  sample: 2
nodes:
  description: The alive nodes.
  returned: always
  type: list
  elements: dict
  contains:
    node_id:
      description: Ray's id of the node.
      type: str
    node_ip:
      description: The node's IP address as Ray knows it.
      type: str
    is_head:
      description: Whether this is the head node.
      type: bool
    resources:
      description: The node's resources (C(CPU), C(GPU), C(memory), C(object_store_memory), custom ones).
      type: dict
open_without_token:
  description: Whether the dashboard answered a request without any token (with O(check_open) only).
  returned: when O(check_open) is true
  type: bool
  sample: false
resources_total:
  description: The alive nodes' resources added up.
  returned: always
  type: dict
  sample: {"CPU": 4.0, "memory": 34631716044.0, "object_store_memory": 14842164018.0}
resources_available:
  description: What is not in use right now (empty for a few seconds after the head starts).
  returned: always
  type: dict
  sample: {"CPU": 3.0}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.raybook.ray.plugins.module_utils.ray_dashboard import (
    DashboardError,
    RayDashboard,
    auth_headers,
    available_resources,
    check_connection_options,
    connection_argument_spec,
    fill_from_ray_environment,
    summarize_resources,
)


def cluster_facts(dashboard):
    version = dashboard.version()
    nodes = [
        dict(
            node_id=node.get("node_id"),
            node_ip=node.get("node_ip"),
            is_head=bool(node.get("is_head_node")),
            resources=summarize_resources(node.get("resources_total") or {}),
        )
        for node in dashboard.nodes()
        if node.get("state") == "ALIVE"
    ]
    nodes.sort(key=lambda node: (not node["is_head"], node["node_ip"] or ""))
    total = {}
    for node in nodes:
        for name, value in node["resources"].items():
            total[name] = total.get(name, 0.0) + value
    return dict(
        ray_version=version["ray_version"],
        ray_commit=version.get("ray_commit"),
        nodes_alive=len(nodes),
        nodes=nodes,
        resources_total=dict(sorted(total.items())),
        resources_available=available_resources(dashboard.resource_usage()),
    )


def answers_without_token(params):
    """Whether the dashboard answers one request that carries no token (no retry: an unreachable one does not)."""
    try:
        RayDashboard(params["address"], 0, params["validate_certs"]).version()
    except DashboardError:
        return False
    return True


def main():
    argument_spec = connection_argument_spec(timeout_default=30)
    argument_spec.update(check_open=dict(type="bool", default=False))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    fill_from_ray_environment(module.params)
    error = check_connection_options(module.params)
    if error:
        module.fail_json(msg=error)
    # Asked first: the answer also explains a token file that is missing or refused.
    seen = dict(open_without_token=answers_without_token(module.params)) if module.params["check_open"] else {}
    try:
        headers = auth_headers(module.params)
        facts = cluster_facts(RayDashboard(module.params["address"], module.params["timeout"],
                                           module.params["validate_certs"], headers=headers))
    except DashboardError as exc:
        module.fail_json(msg=str(exc), **seen)
    module.exit_json(changed=False, **facts, **seen)


if __name__ == "__main__":
    main()
