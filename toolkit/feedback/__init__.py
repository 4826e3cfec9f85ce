"""Feedback to every proposer: the sentence each status change sends (a rule file), the
timeline of one proposal shown on the resident status page, and per-kernel rate limits.
Pure: the store's rows come in as plain dicts."""

from toolkit.feedback.rules import EVENTS, FeedbackRules, compose, load_feedback_rules, parse_feedback_rules
from toolkit.feedback.timeline import Step, build_timeline
from toolkit.feedback.limits import Attempts

__all__ = ["Attempts", "EVENTS", "FeedbackRules", "Step", "build_timeline", "compose", "load_feedback_rules", "parse_feedback_rules"]
