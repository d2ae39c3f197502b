"""Thin Faust agents: decode, call a pure stage (``stages/``), send, count. Imported by streams.app."""

from agents import alertmanager, ops, pipeline

__all__ = ["alertmanager", "ops", "pipeline"]
