# -*- coding: utf-8 -*-
# Copyright: raybook developers
# Apache-2.0 (see LICENSE)
"""Finding NVIDIA GPUs on a host: PCI devices in sysfs, and what nvidia-smi says when it is there."""

from __future__ import annotations

import csv
import io
import os

NVIDIA_VENDOR = "0x10de"
# PCI classes of GPUs: VGA-compatible (0x0300) and 3D controllers (0x0302, datacenter GPUs). NVIDIA cards also
# expose audio (0x0403) and USB (0x0c03) functions, which are not GPUs.
GPU_CLASSES = ("0x0300", "0x0302")
NVIDIA_SMI_QUERY = "index,name,uuid,memory.total,driver_version,pci.bus_id"


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip().lower()
    except OSError:
        return ""


def pci_gpus(sysfs_root="/sys"):
    """NVIDIA GPUs on the PCI bus, from sysfs: [{'pci_address', 'device_id', 'class'}], sorted by address."""
    devices_dir = os.path.join(sysfs_root, "bus", "pci", "devices")
    try:
        addresses = sorted(os.listdir(devices_dir))
    except OSError:
        return []
    gpus = []
    for address in addresses:
        device = os.path.join(devices_dir, address)
        device_class = _read(os.path.join(device, "class"))
        if _read(os.path.join(device, "vendor")) != NVIDIA_VENDOR or not device_class.startswith(GPU_CLASSES):
            continue
        gpus.append(dict(pci_address=address, device_id=_read(os.path.join(device, "device")), device_class=device_class))
    return gpus


def driver_loaded(sysfs_root="/sys"):
    """Whether the nvidia kernel module is loaded."""
    return os.path.isdir(os.path.join(sysfs_root, "module", "nvidia"))


def parse_nvidia_smi(text):
    """Rows of `nvidia-smi --query-gpu=NVIDIA_SMI_QUERY --format=csv,noheader,nounits` as dicts."""
    gpus = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip():
            continue
        if len(row) != 6:
            raise ValueError("unexpected nvidia-smi line: %r" % ",".join(row))
        index, name, uuid, memory, driver, bus_id = (cell.strip() for cell in row)
        gpus.append(
            dict(
                index=int(index),
                name=name,
                uuid=uuid,
                memory_total_mib=int(float(memory)) if memory.replace(".", "", 1).isdigit() else None,
                driver_version=driver,
                pci_address=normalize_bus_id(bus_id),
            )
        )
    return gpus


def normalize_bus_id(bus_id):
    """nvidia-smi's bus id (00000000:17:00.0) in sysfs form (0000:17:00.0)."""
    domain, _colon, rest = bus_id.lower().partition(":")
    return "%04x:%s" % (int(domain, 16), rest) if rest else bus_id.lower()
