"""The assistant: search, answers, follow-ups, refusals and aids over the index (the use cases)."""
