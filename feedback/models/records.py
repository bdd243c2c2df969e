"""Audits, reviews, links between themes and records, and the Learning Needs Analysis."""
