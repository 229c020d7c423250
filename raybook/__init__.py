"""raybook: Ansible playbooks, roles and modules that stand up Ray clusters and run ML work on them."""

__version__ = "0.1.0"
