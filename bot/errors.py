"""Errors raised by the ScamWise core; the CLI and adapters translate them for people."""

from __future__ import annotations

from dataclasses import dataclass


class ScamWiseError(Exception):
    """Base class: the message is meant for a person and names what is at fault."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a maintainer-edited file, located to file, line and field."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class KnowledgeError(ScamWiseError):
    """The knowledge files are invalid; carries every problem found in one run."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        counted = f"{count} problem" if count == 1 else f"{count} problems"
        super().__init__(f"{counted} in the knowledge files:\n{lines}")


class IndexMissingError(ScamWiseError):
    """No usable index at the configured folder."""


class IndexStaleError(ScamWiseError):
    """The index was built from other knowledge content or with another model."""


class IndexCorruptError(ScamWiseError):
    """The index files exist but cannot be read or disagree with each other."""


class SettingsError(ScamWiseError):
    """A setting (environment variable) has a bad value."""
