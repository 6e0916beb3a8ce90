"""What simulated patients say, shared by the benchmark and the load test.

A screening checklist from the request to the last answer, as a patient on a
phone types it: every question of the form answered, one message at a time.
"""
from __future__ import annotations

CHECKLIST = ["could kyphoplasty help me", "yes", "no", "yes", "osteoporosis", "yes", "no mri", "no", "none"]
