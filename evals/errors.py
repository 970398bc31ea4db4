"""Errors of the evals layer; the CLI prints them on one line.

    EvalsError
    ├── GoldError          a gold file is missing or has a bad line (exit code 2, with file:line)
    ├── ThresholdsError    the thresholds file cannot be read or names an unknown metric (exit code 2)
    └── FeedbackError      the feedback store cannot be read (exit code 1)
"""


class EvalsError(Exception):
    pass


class GoldError(EvalsError):
    pass


class ThresholdsError(EvalsError):
    pass


class FeedbackError(EvalsError):
    pass
