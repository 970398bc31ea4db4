"""The web layer: a FastAPI app over the assistant (JSON API, streamed chat, HTML pages, conversations)."""

from web.app import create_app

__all__ = ["create_app"]
