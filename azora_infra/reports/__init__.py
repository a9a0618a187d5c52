"""Reports derived from a stack's offline plan (one plan, many readers)."""

from .resilience import Report, build_report, render_markdown, render_text, schedule_interval_seconds

__all__ = ["Report", "build_report", "render_markdown", "render_text", "schedule_interval_seconds"]
