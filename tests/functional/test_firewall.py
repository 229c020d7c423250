"""The nftables rules ray_node writes for a multi-host inventory (inventory/baremetal.example.yml), rendered for
real with the role's firewall tasks (written, not loaded: loading them would change this machine's firewall)."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import PROJECT_DIR, ansible_env

PEERS = ["10.0.0.10", "10.0.0.21", "10.0.0.22"]


def render(tmp_path, *extra):
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "tests/playbooks/ray_firewall.yml",
               "-i", "inventory/baremetal.example.yml", "-e", "ansible_connection=local",
               "-e", f"ansible_python_interpreter={sys.executable}", "-e", "ansible_become=false",
               "-e", f"rules_dir={tmp_path}", *extra]
    env = {**ansible_env(), "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
    return subprocess.run(command, check=False, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)


def test_rules_admit_only_the_inventorys_ray_hosts_to_rays_ports(tmp_path):
    result = render(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    rules = {path.stem: path.read_text() for path in tmp_path.glob("*.nft")}
    assert sorted(rules) == ["gpu-worker-1", "gpu-worker-2", "ray-head-1"]
    text = rules["ray-head-1"]
    assert re.search(r"elements = \{ " + re.escape(", ".join(PEERS)) + r" \}", text)
    # By allowlist: the peers reach everything, anyone else SSH only, whatever port Ray picks.
    assert re.search(r"tcp dport \{ 22 \} accept\n\s+udp dport \{ 22 \} accept\n\s+meta l4proto \{ tcp, udp \} drop", text)
    assert 'iifname "lo" accept' in text and "ip saddr @ray_peers accept" in text
    assert "ct state established,related accept" in text  # replies to the host's own connections
    assert len(set(rules.values())) == 1


def test_ports_opened_on_purpose_join_and_bad_ones_fail_in_one_line(tmp_path):
    result = render(tmp_path, "-e", '{"ray_node_firewall_open_ports": [22, 8000, "9100-9102"]}')
    assert result.returncode == 0, result.stdout[-2000:]
    assert "tcp dport { 22, 8000, 9100-9102 } accept" in (tmp_path / "ray-head-1.nft").read_text()
    for value, expected in (('["ssh"]', "expected ports 1-65535 or ranges first-last, got ssh"),
                            ('[70000]', "expected ports 1-65535 or ranges first-last, got 70000"),
                            ('["9000-8000"]', "expected ports 1-65535 or ranges first-last, got 9000-8000"),
                            ('[6379]', "6379 overlaps Ray's own port(s) 6379"),
                            ('["10500-10600"]', "10500-10600 overlaps Ray's own port(s) 10002-10999")):
        result = render(tmp_path, "-e", '{"ray_node_firewall_open_ports": %s}' % value)
        assert result.returncode != 0
        assert "ray_node_firewall_open_ports: " + expected in result.stdout, (value, result.stdout[-1500:])


@pytest.mark.skipif(not shutil.which("nft") or os.geteuid() != 0, reason="nft -c needs nftables and root")
def test_nft_accepts_the_rules(tmp_path):
    assert render(tmp_path).returncode == 0
    checked = subprocess.run(["nft", "-c", "-f", str(tmp_path / "ray-head-1.nft")], check=False, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_extra_allowed_addresses_join_and_bad_ones_fail_in_one_line(tmp_path):
    result = render(tmp_path, "-e", '{"ray_node_firewall_allowed": ["192.168.7.0/24"]}')
    assert result.returncode == 0, result.stdout[-2000:]
    assert "10.0.0.22, 192.168.7.0/24 }" in (tmp_path / "ray-head-1.nft").read_text()
    result = render(tmp_path, "-e", '{"ray_node_firewall_allowed": ["bastion.example"]}')
    assert result.returncode != 0
    assert "ray_node_firewall_allowed/ray_node_ip: expected IPv4 addresses or CIDRs, got bastion.example" in result.stdout
