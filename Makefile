# raybook: `make demo` brings up Ray on this machine and runs the workloads; `make test` checks everything.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
INVENTORY ?= inventory/local.yml
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export RAY_USAGE_STATS_ENABLED := 0
export ANSIBLE_CONFIG := $(abspath ansible.cfg)
PLAYBOOKS := site.yml $(wildcard playbooks/*.yml)
INVENTORIES := $(wildcard inventory/*.yml) tests/inventory/head_worker/hosts.yml

.PHONY: install demo down bench profile lock docs changelog lint sanity sanity-cores syntax-check unit functional integration browser e2e molecule fleet kube test clean

$(VENV)/.installed: pyproject.toml requirements.yml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/ansible-galaxy collection install -r requirements.yml
	touch $@

install: $(VENV)/.installed  ## Create .venv and install raybook with its pinned dependencies

demo: install  ## Start Ray here, run the workloads, leave the cluster up
	$(BIN)/ansible-playbook -i $(INVENTORY) site.yml
	$(BIN)/raybook report
	@echo "All runs: $(CURDIR)/results/index.html   Compare two: $(VENV)/bin/raybook report --compare A B"
	@echo
	@echo "Ray is up. Dashboard: http://127.0.0.1:8265 (on this machine; from elsewhere: ssh -L 8265:127.0.0.1:8265 HOST)"
	@echo "Jobs (Ray asks for the cluster's token, kept in .raybook/auth_token):"
	@echo "  RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH=$(CURDIR)/.raybook/auth_token $(VENV)/bin/ray job list --address http://127.0.0.1:8265"
	@echo "Status: $(VENV)/bin/raybook status   Stop everything: make down"

down: install  ## Stop the Ray cluster
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/down.yml

bench: install  ## Speed, side by side: site.yml vs by hand, a second run, ray_job vs the bare SDK (stops Ray here)
	$(BIN)/python bench/run.py

profile: install  ## Where site.yml spends its time: every task by duration (run it twice: the second run is the no-op)
	ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=30 \
	  $(BIN)/ansible-playbook -i $(INVENTORY) site.yml

lock: install  ## Regenerate requirements-node.txt: the nodes' pinned set with every dependency's sha256 (for ray_node_pip_require_hashes)
	$(BIN)/python -m raybook.node_lock

docs: install  ## Regenerate docs/reference/ (modules and role variables) with ansible-doc
	$(BIN)/python docs/generate_reference.py

lint: install  ## ansible-lint (production profile) and the changelog fragments (antsibull-changelog lint)
	$(BIN)/ansible-lint
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

changelog: install  ## At a release: turn changelogs/fragments into a release in changelogs/changelog.yaml and CHANGELOG.md (VERSION=x.y.z)
	test -n "$(VERSION)" || { echo "VERSION: expected the release's version, e.g. make changelog VERSION=0.2.0"; exit 2; }
	$(BIN)/antsibull-changelog release --version $(VERSION)

sanity: install  ## ansible-test sanity on the built collection and on the repository, both as ansible_collections/raybook/ray
	$(BIN)/python tests/sanity/run.py

sanity-cores: install  ## ansible-test sanity on the built collection with the older ansible-core releases it supports
	$(BIN)/python tests/sanity/run.py --core 2.17.14 --core 2.18.19

syntax-check: install  ## ansible-playbook --syntax-check on every playbook, with every shipped inventory
	@for inventory in $(INVENTORIES); do \
		for playbook in $(PLAYBOOKS); do \
			$(BIN)/ansible-playbook --syntax-check -i $$inventory $$playbook >/dev/null || exit 1; \
		done; \
		echo "syntax ok: $(PLAYBOOKS) with $$inventory"; \
	done

unit: install  ## Unit tests: Python alone, no Ansible process, no Ray cluster (module_utils in tests/unit/plugins/)
	$(BIN)/python -m pytest -q tests/unit

functional: install  ## Ansible run for real here (modules, roles, playbooks) against bad input, fake dashboards and stand-ins; no Ray cluster
	$(BIN)/python -m pytest -q -n auto --dist loadfile tests/functional

integration: install  ## Real playbooks against real Ray on this machine (stops any Ray running here)
	$(BIN)/python -m pytest -q --durations 10 tests/integration

browser: install  ## The report pages in headless Chromium (Debian's chromium + chromium-driver); screenshots in tests/output/browser
	$(BIN)/python -m pytest -q -rs tests/browser

e2e: install  ## The whole kind flow (needs root, Docker and a registry; skipped with the reason where missing)
	$(BIN)/python -m pytest -q -rs tests/e2e

molecule: install  ## Every molecule scenario (converge, idempotence, verify); systemd hosts in local containers
	extensions/molecule/tooling/run-scenarios.sh

fleet: install  ## site.yml over a fleet of fresh hosts reached over SSH (head, 2 workers, an outsider), faults and down
	$(BIN)/python -m pytest -q -s -rs tests/fleet

kube: install  ## The guide's kind flow for real: a kind cluster, KubeRay and Ray pods, all built here (extensions/kube-bed)
	$(BIN)/python -m pytest -q -s -rs tests/kube

test: lint sanity syntax-check unit functional integration browser e2e molecule fleet kube  ## Everything CI runs

clean:  ## Remove the venv, results and caches
	rm -rf $(VENV) results .ansible .pytest_cache tests/output
