"""Index build timings for the benchmark: the real knowledge base and synthetic entries."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

WORDS = [
    "job",
    "offer",
    "pay",
    "deposit",
    "crypto",
    "wallet",
    "video",
    "call",
    "voice",
    "friend",
    "boss",
    "bank",
    "card",
    "account",
    "app",
    "task",
    "like",
    "review",
    "commission",
    "platform",
    "withdraw",
    "fee",
    "tax",
    "police",
    "refund",
    "loan",
    "game",
    "skin",
    "ticket",
    "visa",
    "passport",
    "abroad",
    "salary",
    "chat",
    "link",
    "code",
    "screen",
    "share",
    "invest",
    "profit",
    "coin",
    "token",
    "nft",
    "land",
]


def synthetic_knowledge(folder: Path, n: int, seed: int = 1) -> None:
    """Write a valid knowledge folder with n generated entries (one source)."""
    rng = random.Random(seed)

    def words(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k))

    source = {"id": "synthetic", "title": "Synthetic", "publisher": "bench", "date": "2026"}
    (folder / "entries").mkdir(parents=True)
    (folder / "sources.yaml").write_text(yaml.safe_dump([source]), encoding="utf-8")
    entries = [
        {
            "id": f"synthetic-{i}",
            "topic": "fraud",
            "title": f"Pattern {i}: {words(4)}",
            "short": words(20),
            "questions": [f"{words(7)} {i} {j}?" for j in range(4)],
            "answer": words(60),
            "red_flags": [words(6)],
            "what_to_do": [words(6)],
            "sources": ["synthetic"],
            "examples": [f"{words(10)} {i} {j}" for j in range(4)],
        }
        for i in range(n)
    ]
    (folder / "entries" / "synthetic.yaml").write_text(yaml.safe_dump(entries), encoding="utf-8")


def time_build(
    knowledge: Path, out: Path, embedder: Any, model: str, zh: tuple[str, Any] | None = None
) -> float:
    """Seconds to load, validate, embed and write an index (models already loaded); `zh` is
    the Chinese questions' own encoder, which encodes every row too."""
    from bot.knowledge.loader import load_knowledge
    from bot.search.indexing import build_index

    start = time.perf_counter()
    build_index(load_knowledge(knowledge), embedder, out, model, zh=zh)
    return round(time.perf_counter() - start, 2)


def build_seconds(
    settings: Any, embedder: Any, synthetic: int, zh: tuple[str, Any] | None = None
) -> tuple[float, float]:
    """(h): build seconds for the real knowledge base (with the Chinese questions' encoder,
    as `scripts/build_index.py` builds it) and for `synthetic` generated English entries."""
    with tempfile.TemporaryDirectory() as tmp:
        kb_s = time_build(settings.knowledge_dir, Path(tmp) / "kb", embedder, settings.model, zh)
        synthetic_knowledge(Path(tmp) / "synthetic", synthetic)
        big_s = time_build(Path(tmp) / "synthetic", Path(tmp) / "big", embedder, settings.model)
    return kb_s, big_s
