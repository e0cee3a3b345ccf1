"""Fupin (扶贫): an information system for targeted poverty alleviation."""

__version__ = "0.1.0"
