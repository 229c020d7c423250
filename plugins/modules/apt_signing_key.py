#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_signing_key
short_description: Install an apt repository's signing key only when its fingerprint is the pinned one
version_added: "0.1.0"
description:
  - Fetches an OpenPGP public key from O(url) (or takes it from O(content)), computes the fingerprint of each
    primary key in it, and writes it to O(dest) for a repository's C(Signed-By) only when every one of them is in
    O(fingerprints).
  - A key that differs (a tampered mirror, a hijacked URL, a rotated key not yet pinned) fails the task in one line
    naming the fingerprint found and the ones expected, and nothing is written.
  - Needs neither gpg nor apt-key on the host. Honours the task's proxy environment.
author:
  - raybook developers (@raybook)
options:
  url:
    description: Where the key is served (ASCII-armored or binary).
    type: str
  content:
    description: The key itself, as text (ASCII armor), instead of O(url).
    type: str
  dest:
    description: Where the key is written, such as C(/etc/apt/keyrings/docker.asc); its folder is created.
    type: path
    required: true
  fingerprints:
    description:
      - The fingerprints the key may have (40 hex digits for v4 keys, 64 for v6), as gpg prints them, spaces allowed.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for O(url).
    type: float
    default: 30
  validate_certs:
    description: Verify the TLS certificate of O(url).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Fetches and checks the key, and reports whether O(dest) would change without writing it.
seealso:
  - module: ansible.builtin.deb822_repository
"""

EXAMPLES = r"""
- name: Install Docker's signing key, checked against its published fingerprint
  raybook.ray.apt_signing_key:
    url: https://download.docker.com/linux/debian/gpg
    dest: /etc/apt/keyrings/docker.asc
    fingerprints: ["9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88"]

- name: Add Docker's repository, signed by that key
  ansible.builtin.deb822_repository:
    name: docker
    types: [deb]
    uris: [https://download.docker.com/linux/debian]
    suites: [bookworm]
    components: [stable]
    signed_by: /etc/apt/keyrings/docker.asc
"""

RETURN = r"""
fingerprints:
  description: The fingerprints of the primary keys in the key, uppercase hex.
  returned: always
  type: list
  elements: str
  sample: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
dest:
  description: Where the key is (or would be) written.
  returned: always
  type: str
  sample: /etc/apt/keyrings/docker.asc
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

from ansible_collections.raybook.ray.plugins.module_utils.openpgp import (
    KeyFileError,
    normalize_fingerprint,
    primary_fingerprints,
)


def fetch(module, url):
    response, info = fetch_url(module, url, timeout=module.params["timeout"])
    if info["status"] != 200 or response is None:
        reason = (info.get("msg") or "no answer").strip().splitlines()[0]
        module.fail_json(msg="url: %s answered %s (%s)" % (url, info["status"], reason))
    return response.read()


def write_atomically(module, dest, data):
    folder = os.path.dirname(dest)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".raybook-key-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(partial, 0o644)  # apt reads keys as the unprivileged _apt user
    module.atomic_move(partial, dest)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str"),
            content=dict(type="str"),
            dest=dict(type="path", required=True),
            fingerprints=dict(type="list", elements="str", required=True),
            timeout=dict(type="float", default=30),
            validate_certs=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("url", "content")],
        required_one_of=[("url", "content")],
        supports_check_mode=True,
    )
    params = module.params
    pinned = [normalize_fingerprint(text) for text in params["fingerprints"]]
    if not pinned or None in pinned:
        given = ", ".join(map(str, params["fingerprints"])) or "none"
        module.fail_json(msg="fingerprints: expected fingerprints of 40 (v4) or 64 (v6) hex digits, got %s" % given)
    if not 0 < params["timeout"] < float("inf"):
        module.fail_json(msg="timeout: expected a finite number of seconds > 0, got %s" % params["timeout"])
    source = "url: " + params["url"] if params["url"] else "content"
    data = fetch(module, params["url"]) if params["url"] else params["content"].encode()
    try:
        found = primary_fingerprints(data if params["url"] else params["content"])  # content is armored text
    except KeyFileError as error:
        module.fail_json(msg="%s: not an OpenPGP public key (%s)" % (source, error))
    if not found:
        module.fail_json(msg="%s: holds no OpenPGP public key" % source)
    unexpected = [fingerprint for fingerprint in found if fingerprint not in pinned]
    if unexpected:
        module.fail_json(msg="fingerprints: the key from %s is %s; expected %s (nothing was written)"
                         % (params["url"] or "content", ", ".join(unexpected), " or ".join(pinned)), fingerprints=found)
    dest = params["dest"]
    current = open(dest, "rb").read() if os.path.isfile(dest) else None
    changed = current != data or (os.stat(dest).st_mode & 0o777) != 0o644
    if changed and not module.check_mode:
        write_atomically(module, dest, data)
    module.exit_json(changed=changed, fingerprints=found, dest=dest)


if __name__ == "__main__":
    main()
