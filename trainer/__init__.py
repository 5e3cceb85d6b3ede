"""Escalation trainer: practise angry-customer escalations, scored by a local classifier."""

__version__ = "0.1.0"
