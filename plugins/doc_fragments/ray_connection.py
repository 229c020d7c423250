# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""The options every raybook Ray module takes to reach a cluster's dashboard."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  address:
    description:
      - URL of the Ray dashboard (its Jobs and Serve APIs).
      - When not given, as with Ray's CLI, C(RAY_API_SERVER_ADDRESS), then C(RAY_ADDRESS) when it is an http(s) URL,
        then C(http://127.0.0.1:8265).
    type: str
  timeout:
    description:
      - Seconds this task may take in all. An unreachable dashboard is retried with backoff until then.
    type: float
  validate_certs:
    description: Verify the dashboard's TLS certificate for C(https) addresses.
    type: bool
    default: true
  auth_token:
    description:
      - "The cluster's token, for a cluster started with token authentication (C(RAY_AUTH_MODE=token)); sent as
        an C(Authorization: Bearer) header. Never logged."
      - When neither this nor O(auth_token_file) is given, as with Ray's CLI, C(RAY_AUTH_TOKEN), then the file
        C(RAY_AUTH_TOKEN_PATH) names, then C(~/.ray/auth_token) when it exists.
    type: str
  auth_token_file:
    description:
      - A file on the module's host holding the token (as raybook's ray_node role writes it, mode 0600).
        Used when O(auth_token) is not given.
    type: path
"""
