"""One typed settings object, read from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from bot.errors import SettingsError
from bot.search.embedder import DEFAULT_MODEL, DEFAULT_ZH_MODEL, SAME_MODEL, usable_cores

ENV_PREFIX = "SCAMWISE_"


class Settings(BaseSettings):
    """Every setting of ScamWise; `.env.example` lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    model: str = DEFAULT_MODEL
    # The encoder of questions written in Chinese; "same": the main model encodes them too.
    zh_model: str = DEFAULT_ZH_MODEL
    # The bot's @username without "@", for quiz, class and entry links in the console (on
    # Telegram the real one comes from getMe).
    bot_username: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    knowledge_dir: Path = Path("knowledge")
    index_dir: Path | None = None  # default: <knowledge_dir>/index
    decline_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    ambiguity_margin: float = Field(default=0.03, ge=0.0, le=1.0)
    batch_max_size: int = Field(default=32, ge=1, le=1024)
    batch_max_wait_ms: float = Field(default=0.0, ge=0.0, le=1000.0)
    # Batches encoded at once, each on its share of the cores; default: one per core.
    search_workers: int | None = Field(default=None, ge=1, le=64)
    concurrent_updates: int = Field(default=64, ge=1, le=1024)
    telegram_max_rate: float = Field(default=30.0, gt=0.0, le=1000.0)
    low_confidence_margin: float = Field(default=0.08, ge=0.0, le=1.0)
    database_url: str = "sqlite+aiosqlite:///data/scamwise.sqlite3"
    retention_days: int = Field(default=180, ge=1)
    flood_limit: int = Field(default=10, ge=1)
    flood_window_s: float = Field(default=30.0, gt=0.0)
    # Screenshots checked with OCR: larger pictures are refused, slower reads are given up.
    ocr_max_mb: float = Field(default=5.0, gt=0.0, le=20.0)
    ocr_timeout_s: float = Field(default=10.0, gt=0.0, le=120.0)
    # How long each group quiz poll stays open (Telegram allows 5-600 s for open_period).
    group_quiz_seconds: int = Field(default=30, ge=5, le=600)
    admin_ids: Annotated[set[int], NoDecode] = Field(default_factory=set)
    heartbeat_file: Path = Path("data/heartbeat")
    log_level: str = "INFO"

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    telegram_bot_token_file: Path | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN_FILE"
    )
    webhook_url: str | None = None  # public https URL; setting it selects webhook mode
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # Reliability (issue 14): the Bot API server (a local telegram-bot-api server, for one),
    # start-up retries while Telegram is unreachable, an empty database file, feedback salt.
    telegram_api_url: str = "https://api.telegram.org/bot"
    bootstrap_retries: int = Field(default=5, ge=0, le=100)
    database_create_empty: bool = False
    feedback_salt: SecretStr | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return {int(part) for part in value.replace(",", " ").split()}
            except ValueError:
                raise ValueError(
                    "must be Telegram user ids (whole numbers) separated by commas"
                ) from None

        if isinstance(value, int):
            return {value}
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram only calls HTTPS webhooks)")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def search_worker_count(self) -> int:
        """Search workers in force: SCAMWISE_SEARCH_WORKERS, or one per usable core."""
        return self.search_workers or usable_cores()

    @property
    def encoder_threads(self) -> int:
        """Cores each search worker's model call may use."""
        return max(1, usable_cores() // self.search_worker_count)

    @property
    def chinese_model(self) -> str:
        """The Chinese questions' own encoder, "" when the main model encodes them."""
        same = self.zh_model.strip() in (SAME_MODEL, self.model)
        return "" if same else self.zh_model.strip()

    @property
    def index_path(self) -> Path:
        """The index folder in force."""
        return self.index_dir if self.index_dir is not None else self.knowledge_dir / "index"

    def bot_token(self) -> str | None:
        """The Telegram token from TELEGRAM_BOT_TOKEN or the file TELEGRAM_BOT_TOKEN_FILE."""
        if self.telegram_bot_token is not None:
            return self.telegram_bot_token.get_secret_value().strip() or None
        if self.telegram_bot_token_file is None:
            return None
        try:
            token = self.telegram_bot_token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"TELEGRAM_BOT_TOKEN_FILE: cannot read {self.telegram_bot_token_file}: "
                f"{exc.strerror or exc}"
            ) from None
        return token or None

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
    except PydanticSettingsError as exc:
        raise SettingsError(f"invalid settings: {exc}") from None
