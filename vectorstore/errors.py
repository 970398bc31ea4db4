"""Errors of the storage layer.

    StoreError
    ├── IndexMissingError   no index has been built yet (run `assistant ingest`)
    ├── EmbeddingModelError the configured embedding model cannot be loaded
    └── ChromaServerError   the Chroma server (CHROMA_HOST) cannot be reached or lacks the live collection
"""


class StoreError(Exception):
    pass


class IndexMissingError(StoreError):
    pass


class EmbeddingModelError(StoreError):
    pass


class ChromaServerError(StoreError):
    pass
