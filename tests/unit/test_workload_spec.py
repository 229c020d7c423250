"""Unit tests of the workload_spec filter: workload.yml files, good and bad."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.raybook.ray.plugins.filter.workload import workload_spec

from tests.helpers import PROJECT_DIR


@pytest.mark.parametrize("name", ["smoke", "train", "infer", "serve"])
def test_the_shipped_workloads_pass(name):
    source = PROJECT_DIR / "workloads" / name / "workload.yml"
    spec = workload_spec(source.read_text(), str(source))
    assert spec["entrypoint"].startswith("python ")


@pytest.mark.parametrize(
    "text, message",
    [
        ("entrypoint: python x.py\ntimeout: [1\n", "w.yml: not valid YAML (line 3, column 1): "),
        ("entrypoint: a: b\n", "w.yml: not valid YAML (line 1, column 14): mapping values are not allowed here"),
        ("- a\n- b\n", "w.yml: expected a mapping of fields, got list"),
        ("timeout: 5\n", "w.yml: entrypoint: expected a non-empty command, got None"),
        ("entrypoint: '  '\n", "w.yml: entrypoint: expected a non-empty command, got '  '"),
        ("entrypoint: x\ntimeout: -1\n", "w.yml: timeout: expected a finite number of seconds > 0, got -1"),
        ("entrypoint: x\ntimeout: soon\n", "w.yml: timeout: expected a finite number of seconds > 0, got 'soon'"),
        ("entrypoint: x\nresources: [1]\n", "w.yml: resources: expected a mapping, got [1]"),
        ("entrypoint: x\nresources: {num_cpus: -2}\n", "w.yml: resources.num_cpus: expected a number >= 0, got -2"),
        ("entrypoint: x\nresources: {cpus: 1}\n", "w.yml: resources.cpus: unknown; expected one of num_cpus, num_gpus, memory"),
        ("entrypoint: x\nruntime_env: pip\n", "w.yml: runtime_env: expected a mapping, got 'pip'"),
        ("entrypoint: x\nserve: yes\n", "w.yml: serve: expected a mapping with name and import_path, got True"),
        ("entrypoint: x\nserve: {name: a}\n", "w.yml: serve.import_path: expected a non-empty string, got None"),
        ("entrypoint: x\ntimout: 5\n", "w.yml: timout: unknown field; expected only name, description, entrypoint, timeout, "
                                       "resources, runtime_env, serve"),
        ("entry_point: x\n", "w.yml: entry_point: unknown field; expected only name, description, entrypoint, "),
        ("entrypoint: x\nserve: {name: a, import_path: a:b, route: /a}\n",
         "w.yml: serve.route: unknown field; expected only name, import_path, route_prefix, args, deployments"),
        ("entrypoint: x\ntimeout: .inf\n", "w.yml: timeout: expected a finite number of seconds > 0, got inf"),
        ("entrypoint: x\ntimeout: .nan\n", "w.yml: timeout: expected a finite number of seconds > 0, got nan"),
    ],
)
def test_bad_workload_files_fail_in_one_line_naming_the_field(text, message):
    with pytest.raises(AnsibleFilterError) as caught:
        workload_spec(text, "w.yml")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
