"""One typed settings object, read from the environment and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.embedder import DEFAULT_MODEL
from bot.errors import SettingsError

ENV_PREFIX = "SCAMWISE_"


class Settings(BaseSettings):
    """Every setting of ScamWise; `.env.example` lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", populate_by_name=True
    )

    model: str = DEFAULT_MODEL
    knowledge_dir: Path = Path("knowledge")
    index_dir: Path | None = None  # default: <knowledge_dir>/index
    decline_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    ambiguity_margin: float = Field(default=0.03, ge=0.0, le=1.0)
    batch_max_size: int = Field(default=32, ge=1, le=1024)
    batch_max_wait_ms: float = Field(default=2.0, ge=0.0, le=1000.0)
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def index_path(self) -> Path:
        """The index folder in force."""
        return self.index_dir if self.index_dir is not None else self.knowledge_dir / "index"

    def secret_free_summary(self) -> dict[str, Any]:
        """Settings as a dict fit for logs: secrets are masked."""
        summary: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            summary[name] = "***" if isinstance(value, SecretStr) else value
        return summary


def env_name(field: str) -> str:
    """The environment variable that sets a field."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into one SettingsError naming each variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            lines.append(f"{env_name(field)}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
