"""The offline plan: run a Pulumi Python program under mocks and record what it would register."""

from .api import DEFAULT_PROGRAM, PlanError, run_plan
from .model import Plan, Resource
from .render import render_text

__all__ = ["DEFAULT_PROGRAM", "Plan", "PlanError", "Resource", "render_text", "run_plan"]
