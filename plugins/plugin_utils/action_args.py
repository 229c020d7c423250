# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""What raybook's action plugins share: their options checked against an argument spec, in one line."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def validated_args(task_args, argument_spec, plugin):
    """The task's options with their defaults, or AnsibleActionFail with one line: an unknown option first (it often
    explains a required one that seems missing), then the first other problem."""
    validation = ArgumentSpecValidator(argument_spec).validate(task_args)
    if validation.unsupported_parameters:
        raise AnsibleActionFail("Unsupported parameters for (raybook.ray.%s): %s; expected %s"
                                % (plugin, ", ".join(sorted(validation.unsupported_parameters)), ", ".join(argument_spec)))
    if validation.error_messages:
        raise AnsibleActionFail(validation.error_messages[0])
    return validation.validated_parameters
