"""Reporters: the same diagnosis as terminal text, JSON (schema 1) or HTML."""
