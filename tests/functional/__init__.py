"""Ansible run for real on this machine (ansible, ansible-playbook, ansible-doc, ansible-runner), with no Ray
cluster: the modules, roles and playbooks against bad input, fake dashboards and stand-ins for what cannot run here."""
