"""Evaluation of the assistant against hand-written gold questions: retrieval, answers, refusals and
the funding-aid finder, with baselines, thresholds and an HTML report. The top layer: it uses
``assistant`` (and through it ``vectorstore``) and nothing uses it."""
