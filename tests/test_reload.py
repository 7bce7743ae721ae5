"""Reloading knowledge, index and quizzes at run time keeps the old ones when anything fails."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bot.app import open_services
from bot.conversation.replies import Who
from bot.knowledge.models import KnowledgeBase
from bot.settings import load_settings

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


async def test_reload_picks_up_quizzes_and_keeps_old_ones_on_error(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any, kb: KnowledgeBase
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge, ignore=shutil.ignore_patterns("index"))
    settings = load_settings(
        knowledge_dir=knowledge,
        index_dir=real_index_dir,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
    )
    services = await open_services(settings, real_embedder)
    try:
        engine = services.conversation.quiz.engine
        quiz_file = knowledge / "quizzes" / "starter.yaml"
        text = quiz_file.read_text(encoding="utf-8")
        quiz_file.write_text(text.replace("title:", 'title: "Renamed"\nold_title:', 1))
        failed = await services.reload()
        assert failed.startswith("Reload failed") and "old_title" in failed
        assert engine.quizzes["starter"].title != "Renamed"
        quiz_file.write_text(
            "\n".join(
                'title: "Renamed"' if line.startswith("title:") else line
                for line in text.splitlines()
            )
        )
        reloaded = await services.reload()
        assert reloaded.startswith(f"Reloaded: {len(kb.entries)} entries, 5 quizzes")
        assert engine.quizzes["starter"].title == "Renamed"
        [reply] = await services.conversation.on_command(Who(user_id=5, chat_id=5), "quiz")
        assert any("Renamed" in label for label in reply.button_labels())
    finally:
        await services.aclose()
