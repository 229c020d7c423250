"""The ray_inventory_problems filter: clashes between a bare-metal inventory's Ray hosts, one line each."""

from ansible_collections.raybook.ray.plugins.filter.inventory import ray_inventory_problems

GROUPS = {"ray_head": ["head"], "ray_workers": ["w1", "w2"]}


def fleet(**changes):
    hostvars = {
        "head": {"ray_node_ip": "10.0.0.10", "ray_version": "2.60.0"},
        "w1": {"ray_node_ip": "10.0.0.21", "ray_version": "2.60.0"},
        "w2": {"ansible_host": "10.0.0.22", "ray_version": "2.60.0"},
    }
    for host, values in changes.items():
        hostvars[host].update(values)
    return hostvars


def test_a_sound_inventory_has_no_problem():
    assert ray_inventory_problems(fleet(), GROUPS) == []


def test_two_hosts_with_one_address_are_named_together():
    # w2 has no ray_node_ip: Ray would use its ansible_host, which w1 also claims.
    assert ray_inventory_problems(fleet(w1={"ray_node_ip": "10.0.0.22"}), GROUPS) == [
        "ray_node_ip: w1 and w2 all use 10.0.0.22; each Ray host needs an address of its own"
    ]


def test_a_worker_pinning_another_ray_is_named_with_both_versions():
    assert ray_inventory_problems(fleet(w2={"ray_node_version": "2.59.0"}), GROUPS) == [
        "ray_node_version: w2 pins Ray 2.59.0 but the head head pins 2.60.0; every node needs the same release"
    ]


def test_a_host_in_both_groups_is_counted_once():
    assert ray_inventory_problems(fleet(), {"ray_head": ["head"], "ray_workers": ["head", "w1"]}) == []


def test_hosts_that_pin_nothing_take_the_plays_ray_version():
    """The default ray_version comes from the raybook role, which hostvars does not hold: the play passes it."""
    unpinned = {host: {"ray_node_ip": "10.0.0.%d" % n} for n, host in enumerate(["head", "w1", "w2"], 10)}
    unpinned["w2"]["ray_node_version"] = "2.59.0"
    assert ray_inventory_problems(unpinned, GROUPS, "2.60.0") == [
        "ray_node_version: w2 pins Ray 2.59.0 but the head head pins 2.60.0; every node needs the same release"
    ]
