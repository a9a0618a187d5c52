"""Azora OS platform infrastructure: typed config, region composition, offline plan and checks."""

__version__ = "0.1.0"
