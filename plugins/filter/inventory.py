# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The ray_inventory_problems filter: what in a bare-metal inventory would break a cluster, one line each."""

from __future__ import annotations

DOCUMENTATION = r"""
name: ray_inventory_problems
short_description: Find clashes between a bare-metal inventory's Ray hosts
version_added: "0.1.0"
description:
  - Looks at every host of the C(ray_head) and C(ray_workers) groups and returns one line per problem that would
    break the cluster once started, each naming the hosts and the field.
  - Two hosts with the same C(ray_node_ip) (C(ansible_host) when unset), since Ray tells nodes apart by address.
  - A host that pins another Ray release (C(ray_node_version), else C(ray_version)) than the head, since nodes of
    different releases cannot join one cluster.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  groups:
    description: C(groups), to find the head and the workers.
    type: dict
    required: true
  ray_version:
    description:
      - The release a host pins when its host vars set neither C(ray_node_version) nor C(ray_version) (the play's
        C(ray_version), whose default comes from the raybook role and so is not in C(hostvars)).
    type: str
"""

EXAMPLES = r"""
- name: Check the Ray hosts before starting any
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | first }}"
  vars:
    problems: "{{ hostvars | raybook.ray.ray_inventory_problems(groups, ray_version) }}"
"""

RETURN = r"""
_value:
  description: One line per problem; empty when the inventory is fine.
  type: list
  elements: str
"""


def node_ip(host_vars):
    return str(host_vars.get("ray_node_ip") or host_vars.get("ansible_host") or "127.0.0.1")


def ray_release(host_vars, default):
    release = host_vars.get("ray_node_version") or host_vars.get("ray_version") or default
    return None if release is None else str(release)


def ray_inventory_problems(hostvars, groups, ray_version=None):
    """One line per clash between the Ray hosts: a shared ray_node_ip, or a Ray release other than the head's."""
    heads = list(groups.get("ray_head") or [])
    hosts = list(dict.fromkeys(heads + list(groups.get("ray_workers") or [])))
    problems = []
    owners = {}
    for host in hosts:
        owners.setdefault(node_ip(hostvars[host]), []).append(host)
    for address, sharing in owners.items():
        if len(sharing) > 1:
            problems.append("ray_node_ip: %s all use %s; each Ray host needs an address of its own" % (" and ".join(sharing), address))
    if len(heads) == 1:
        head_release = ray_release(hostvars[heads[0]], ray_version)
        for host in hosts[1:]:
            release = ray_release(hostvars[host], ray_version)
            if release != head_release:
                problems.append(
                    "ray_node_version: %s pins Ray %s but the head %s pins %s; every node needs the same release"
                    % (host, release, heads[0], head_release)
                )
    return problems


class FilterModule:
    def filters(self):
        return {"ray_inventory_problems": ray_inventory_problems}
