# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The workload_spec filter: a workload.yml's text, parsed and checked, with one-line errors naming the field."""

from __future__ import annotations

DOCUMENTATION = r"""
name: workload_spec
short_description: Parse and check a raybook workload.yml
version_added: "0.1.0"
description:
  - Parses the text of a C(workload.yml) and checks its fields (C(entrypoint), C(timeout), C(resources),
    C(runtime_env), C(serve)); returns the workload as a mapping.
  - A file that is not YAML, or a field of the wrong type, fails with one line naming the file and the field.
options:
  _input:
    description: The text of the workload.yml.
    type: str
    required: true
  source:
    description: The file's name, for error messages.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read a workload
  ansible.builtin.set_fact:
    spec: "{{ lookup('ansible.builtin.file', 'workloads/train/workload.yml') | raybook.ray.workload_spec('workloads/train/workload.yml') }}"
"""

RETURN = r"""
_value:
  description: The workload's fields.
  type: dict
"""

import math

import yaml
from ansible.errors import AnsibleFilterError

MAPPINGS = ("resources", "runtime_env")
RESOURCE_NAMES = ("num_cpus", "num_gpus", "memory")
# Every field a workload.yml may have: a misspelt one (`timout`) would otherwise be silently ignored.
FIELDS = ("name", "description", "entrypoint", "timeout", "resources", "runtime_env", "serve")
SERVE_FIELDS = ("name", "import_path", "route_prefix", "args", "deployments")


def check_workload(spec):
    """Return a one-line error (field: what was expected) for a parsed workload.yml, or None."""
    if not isinstance(spec, dict):
        return "expected a mapping of fields, got %s" % type(spec).__name__
    unknown = sorted(str(field) for field in spec if field not in FIELDS)
    if unknown:
        return "%s: unknown field; expected only %s" % (", ".join(unknown), ", ".join(FIELDS))
    entrypoint = spec.get("entrypoint")
    if not isinstance(entrypoint, str) or not entrypoint.strip():
        return "entrypoint: expected a non-empty command, got %r" % (entrypoint,)
    timeout = spec.get("timeout", 1)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        return "timeout: expected a finite number of seconds > 0, got %r" % (timeout,)
    for field in MAPPINGS:
        if not isinstance(spec.get(field) or {}, dict):
            return "%s: expected a mapping, got %r" % (field, spec[field])
    for name, value in (spec.get("resources") or {}).items():
        if name not in RESOURCE_NAMES:
            return "resources.%s: unknown; expected one of %s" % (name, ", ".join(RESOURCE_NAMES))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return "resources.%s: expected a number >= 0, got %r" % (name, value)
    if "serve" in spec:
        serve = spec["serve"]
        if not isinstance(serve, dict):
            return "serve: expected a mapping with name and import_path, got %r" % (serve,)
        unknown = sorted("serve." + str(field) for field in serve if field not in SERVE_FIELDS)
        if unknown:
            return "%s: unknown field; expected only %s" % (", ".join(unknown), ", ".join(SERVE_FIELDS))
        for field in ("name", "import_path"):
            if not isinstance(serve.get(field), str) or not serve[field].strip():
                return "serve.%s: expected a non-empty string, got %r" % (field, serve.get(field))
    return None


def workload_spec(text, source):
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " (line %d, column %d)" % (mark.line + 1, mark.column + 1) if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise AnsibleFilterError("%s: not valid YAML%s: %s" % (source, where, problem)) from None
    error = check_workload(spec)
    if error:
        raise AnsibleFilterError("%s: %s" % (source, error))
    return spec


class FilterModule:
    def filters(self):
        return {"workload_spec": workload_spec}
