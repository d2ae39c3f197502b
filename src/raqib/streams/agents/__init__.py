"""Thin Faust agents: decode, call a pure stage (``raqib.stages``), send, count. Imported by raqib.streams.worker."""

from raqib.streams.agents import alertmanager, ops, pipeline

__all__ = ["alertmanager", "ops", "pipeline"]
