"""Inventories the playbooks must refuse before touching any host."""

import pytest

from tests.helpers import run_playbook


@pytest.mark.parametrize("playbook", ["site.yml", "playbooks/cluster.yml", "playbooks/workloads.yml", "playbooks/down.yml"])
def test_an_inventory_without_a_ray_head_fails_at_once_in_one_line(playbook, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    ray_workers:\n      hosts:\n        w1:\n          ansible_connection: local\n")
    outcome = run_playbook(playbook, inventory=inventory)
    assert not outcome.ok
    assert [f["msg"] for f in outcome.failures] == [
        "inventory: expected exactly one host in group ray_head (found 0)"
    ]
    assert "w1" not in outcome.hosts


def test_a_bad_workload_yml_fails_before_anything_is_submitted_naming_file_and_field(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "workload.yml").write_text("entrypoint: python x.py\ntimeout: -3\n")
    outcome = run_playbook("playbooks/workloads.yml", raybook_workloads=["bad"], raybook_workloads_dir=str(tmp_path))
    assert not outcome.ok
    [failure] = outcome.failures
    assert failure["msg"].endswith("bad/workload.yml: timeout: expected a finite number of seconds > 0, got -3")
    assert "\n" not in failure["msg"]


def test_workloads_before_any_cluster_say_to_start_one_first(tmp_path):
    """No Ray runs here (this module's fixture stops it) and the controller has no token yet."""
    outcome = run_playbook("playbooks/workloads.yml", raybook_auth_token_file=str(tmp_path / "auth_token"),
                           raybook_results_dir=str(tmp_path / "results"))
    assert not outcome.ok
    assert [f["msg"] for f in outcome.failures] == [
        "no Ray cluster at http://127.0.0.1:8265: run playbooks/cluster.yml (or site.yml) first"
    ]
