"""A proxy password never reaches ansible-runner's events: the proxy role run for real on this machine (its files
written to a temporary folder; apt and Docker left alone), every event searched for the password. The cluster
token's counterpart is in tests/integration/test_security.py."""

import json
import tempfile

import ansible_runner

from raybook import runner
from tests.helpers import PROJECT_DIR

PASSWORD = "pr0xy-s3cret-Xq7"


def test_no_event_shows_the_proxy_password(tmp_path):
    # The password comes from the inventory, as it would from group_vars or Vault, so no event carries it as input.
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "proxy_http_proxy": f"http://raybook:{PASSWORD}@proxy.example:3128"}}}}))
    events = []
    with tempfile.TemporaryDirectory(prefix="raybook-events-") as private_dir:
        result = ansible_runner.run(
            private_data_dir=private_dir, project_dir=str(PROJECT_DIR), playbook="tests/playbooks/role.yml",
            inventory=str(inventory), envvars=runner.runner_env(), quiet=True,
            extravars={"role_name": "proxy", "proxy_configure_apt": False, "proxy_configure_docker": False,
                       "proxy_environment_file": str(tmp_path / "proxy.env")},
            event_handler=lambda event: events.append(event) or True,
        )
    assert result.rc == 0
    assert PASSWORD in (tmp_path / "proxy.env").read_text()  # the role did use it
    assert (tmp_path / "proxy.env").stat().st_mode & 0o777 == 0o600
    leaks = [event.get("event_data", {}).get("task") for event in events if PASSWORD in json.dumps(event)]
    assert leaks == []
