#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_access
short_description: Ask the Kubernetes API what the kubeconfig's user may do (RBAC), before anything is made
version_added: "0.3.0"
description:
  - Asks the API server, one SelfSubjectAccessReview per entry of O(checks), whether the kubeconfig's user may do
    each thing in O(namespace), as C(kubectl auth can-i) does.
  - Fails with one line naming what is denied, so that a play stops before it makes half of something.
  - An API server that cannot be reached or that refuses the review fails with one line too.
author:
  - raybook developers (@raybook)
options:
  checks:
    description: What to ask about, each a verb and a resource (C(plural) or C(plural.group), as kubectl spells it).
    type: list
    elements: dict
    required: true
    suboptions:
      verb:
        description: The verb (create, patch, get, list, delete, ...).
        type: str
        required: true
      resource:
        description: The resource, such as C(secrets), C(pods) or C(rayclusters.ray.io).
        type: str
        required: true
  namespace:
    description: The namespace the checks are about.
    type: str
    required: true
  kubeconfig:
    description: The kubeconfig file; the kubernetes client's default when not given.
    type: path
  context:
    description: The kubeconfig's context; its current context when not given.
    type: str
requirements:
  - kubernetes (the Python client kubernetes.core uses)
attributes:
  check_mode:
    support: full
    description: Only asks; runs the same in check mode.
"""

EXAMPLES = r"""
- name: Check that this user may make a RayCluster in its namespace
  raybook.ray.k8s_access:
    namespace: ray
    checks:
      - {verb: create, resource: rayclusters.ray.io}
      - {verb: create, resource: secrets}
"""

RETURN = r"""
allowed:
  description: The checks the API server allowed, as C(verb resource).
  returned: always
  type: list
  elements: str
  sample: ["create rayclusters.ray.io"]
denied:
  description: The checks it denied, as C(verb resource).
  returned: always
  type: list
  elements: str
  sample: ["create secrets"]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException
except ImportError:
    client = None


def review(api, namespace, verb, resource):
    """Whether the API server allows `verb` on `resource` (plural or plural.group) in `namespace`."""
    plural, _dot, group = resource.partition(".")
    body = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace=namespace, verb=verb, resource=plural, group=group)))
    return bool(api.create_self_subject_access_review(body).status.allowed)


def main():
    module = AnsibleModule(
        argument_spec={
            "checks": {"type": "list", "elements": "dict", "required": True, "options": {
                "verb": {"type": "str", "required": True}, "resource": {"type": "str", "required": True}}},
            "namespace": {"type": "str", "required": True},
            "kubeconfig": {"type": "path"},
            "context": {"type": "str"},
        },
        supports_check_mode=True,
    )
    if client is None:
        module.fail_json(msg=missing_required_lib("kubernetes"))
    params = module.params
    where = params["context"] or params["kubeconfig"] or "(default kubeconfig)"
    try:
        api = client.AuthorizationV1Api(config.new_client_from_config(config_file=params["kubeconfig"], context=params["context"]))
        answers = {"%(verb)s %(resource)s" % check: review(api, params["namespace"], check["verb"], check["resource"])
                   for check in params["checks"]}
    except (ApiException, config.ConfigException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or str(error)
        module.fail_json(msg="could not ask the Kubernetes API %s what its user may do: %s" % (where, " ".join(str(reason).split())[:300]))
    allowed = [check for check, yes in answers.items() if yes]
    denied = [check for check, yes in answers.items() if not yes]
    if denied:
        module.fail_json(msg="the kubeconfig's user (%s) may not %s in namespace %s (RBAC)" % (where, ", ".join(denied), params["namespace"]),
                         allowed=allowed, denied=denied)
    module.exit_json(changed=False, allowed=allowed, denied=denied)


if __name__ == "__main__":
    main()
