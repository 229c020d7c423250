"""The bench's arithmetic (bench/run.py) on recorded samples: no timing is measured or asserted here. The sample
is the real output of an ansible-playbook run with profile_tasks (tests/fixtures/bench/profiled-playbook.txt)."""

import datetime
import json
import sys

import pytest

from tests.helpers import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "bench"))
import fleet as fleet_bench  # noqa: E402 (bench/fleet.py: the fleet bed's code, no bed)
import kube as kube_bench  # noqa: E402 (bench/kube.py: the kube bed's code, no bed)
import run as bench  # noqa: E402

SAMPLE = (PROJECT_DIR / "tests" / "fixtures" / "bench" / "profiled-playbook.txt").read_text()


def test_the_slowest_tasks_are_read_from_profile_tasks_summary_in_its_order():
    tasks = bench.slowest_tasks(SAMPLE)
    assert len(tasks) == 5
    assert tasks[0][0] == "Run the role"
    assert all(isinstance(seconds, float) for _unused, seconds in tasks)
    assert [seconds for _unused, seconds in tasks] == sorted((seconds for _unused, seconds in tasks), reverse=True)
    assert any(name.startswith("raybook.ray.proxy : Validating arguments") for name, _unused in tasks)


def test_site_figures_compute_the_ratio_and_count_changes():
    figures = bench.site_figures(by_hand_s=80.0, first_s=84.0, second_s=6.0, second_stdout=SAMPLE)
    assert figures["ratio"] == pytest.approx(1.05)
    assert figures["second_site_changed"] == 0
    assert figures["second_site_slowest_tasks"] == bench.slowest_tasks(SAMPLE)
    assert bench.changed_count("PLAY RECAP ***\nhead : ok=3 changed=2\nworker : ok=2 changed=1\n") == 3


def test_job_overhead_is_per_job():
    figures = bench.jobs_figures(10, raybook_runs=[15.0], sdk_runs=[12.0])
    assert figures["overhead_per_job_s"] == pytest.approx(0.3)
    assert bench.jobs_figures(20, raybook_runs=[20.0], sdk_runs=[24.0])["overhead_per_job_s"] == pytest.approx(-0.2)


def test_repeated_job_runs_are_set_against_each_other_by_their_medians():
    figures = bench.jobs_figures(10, raybook_runs=[19.0, 14.0, 15.0], sdk_runs=[12.0, 12.5, 30.0])
    assert (figures["raybook_s"], figures["sdk_s"]) == (15.0, 12.5)
    assert figures["overhead_per_job_s"] == pytest.approx(0.25)
    assert figures["raybook_runs_s"] == [19.0, 14.0, 15.0] and figures["sdk_runs_s"] == [12.0, 12.5, 30.0]


def test_a_single_jobs_overhead_is_what_its_task_costs_above_a_ping_and_the_job_itself():
    figures = bench.single_job_figures(ping_s=2.0, task_s=3.5, sdk_job_s=1.1)
    assert figures["overhead_s"] == pytest.approx(0.4) and figures["target_overhead_s"] == 0.3


def test_a_history_line_is_one_json_document_with_the_date_machine_and_commit():
    line = bench.history_line({"machine": "vm: 2 cores", "commit": "abc1234", "site": {"ratio": 1.1}},
                              datetime.datetime(2026, 11, 26, 19, 0, tzinfo=datetime.timezone.utc))
    assert "\n" not in line
    assert json.loads(line) == {"date": "2026-11-26T19:00:00+00:00", "machine": "vm: 2 cores", "commit": "abc1234",
                                "site": {"ratio": 1.1}}


def test_the_fleet_is_set_against_one_host_and_against_the_hand_script():
    figures = fleet_bench.fleet_figures(by_hand_s=200.0, one_node_run=(160.0, SAMPLE), fleet_run=(240.0, SAMPLE),
                                        second_run=(30.0, "PLAY RECAP ***\nhead : ok=9 changed=0\n"))
    assert figures["one_node_ratio"] == pytest.approx(1.5) and figures["target_one_node_ratio"] == 1.3
    assert figures["ratio"] == pytest.approx(1.2)
    assert figures["second_site_changed"] == 0
    assert figures["one_node_slowest_tasks"] == figures["site_slowest_tasks"] == bench.slowest_tasks(SAMPLE)


def test_the_kube_bed_site_is_set_against_the_guide_by_hand():
    figures = kube_bench.kube_figures(by_hand_s=150.0, first_run=(180.0, SAMPLE),
                                      second_run=(40.0, "PLAY RECAP ***\nlocalhost : ok=90 changed=0\n"))
    assert figures["ratio"] == pytest.approx(1.2)
    assert (figures["second_site_s"], figures["second_site_changed"]) == (40.0, 0)
    assert figures["site_slowest_tasks"] == bench.slowest_tasks(SAMPLE)
