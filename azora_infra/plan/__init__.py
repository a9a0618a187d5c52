"""The offline plan: run a Pulumi Python program under mocks and record what it would register."""

from .api import DEFAULT_PROGRAM, DEFAULT_TIMEOUT, PlanError, PlanSession, run_plan
from .model import Plan, PlanFileError, Resource, load_plan_file
from .multi import check_stacks, plan_stacks
from .render import render_text

__all__ = ["DEFAULT_PROGRAM", "DEFAULT_TIMEOUT", "Plan", "PlanError", "PlanFileError", "PlanSession", "Resource",
           "check_stacks", "load_plan_file", "plan_stacks", "render_text", "run_plan"]
