"""Errors of the assistant layer; the CLI prints them on one line, the web layer maps them to 4xx.

    AssistantError
    ├── InvalidQueryError   the question cannot be searched (no letters, only stopwords, too long…)
    └── NotFoundError       an unknown passage, aid or conversation
"""


class AssistantError(Exception):
    pass


class InvalidQueryError(AssistantError):
    pass


class NotFoundError(AssistantError):
    pass
