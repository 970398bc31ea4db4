"""Errors raised by ingest; the CLI turns them into one-line messages.

    IngestError
    ├── CorpusError        a document or the manifest cannot be read
    └── IngestLockedError  another ingest holds the writer lock
"""


class IngestError(Exception):
    pass


class CorpusError(IngestError):
    pass


class IngestLockedError(IngestError):
    pass
