"""Errors of the storage layer.

    StoreError
    ├── IndexMissingError   no index has been built yet (run `assistant ingest`)
    └── EmbeddingModelError the configured embedding model cannot be loaded
"""


class StoreError(Exception):
    pass


class IndexMissingError(StoreError):
    pass


class EmbeddingModelError(StoreError):
    pass
