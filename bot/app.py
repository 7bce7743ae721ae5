"""The one place that wires ScamWise: settings -> knowledge -> index -> retriever (-> adapters)."""

from __future__ import annotations

from dataclasses import replace

from bot.embedder import Embedder, SentenceTransformerEmbedder
from bot.index import check_fresh, load_index
from bot.knowledge.loader import content_hash, load_knowledge
from bot.knowledge.models import KnowledgeBase
from bot.retrieval.config import RetrievalConfig
from bot.retrieval.retriever import Retriever
from bot.settings import Settings


def retrieval_config(settings: Settings) -> RetrievalConfig:
    """Retrieval parameters with the overrides from settings."""
    config = RetrievalConfig(ambiguity_margin=settings.ambiguity_margin)
    if settings.decline_threshold is not None:
        config = replace(config, threshold=settings.decline_threshold)
    return config


def open_knowledge(settings: Settings) -> KnowledgeBase:
    """Load and validate the knowledge folder named by the settings."""
    return load_knowledge(settings.knowledge_dir)


def open_retriever(
    settings: Settings,
    embedder: Embedder | None = None,
    kb: KnowledgeBase | None = None,
) -> Retriever:
    """Load knowledge and index, refuse a stale index, and return a ready retriever."""
    kb = kb if kb is not None else open_knowledge(settings)
    index, meta = load_index(settings.index_path)
    check_fresh(meta, model=settings.model, content_hash=content_hash(kb), where=settings.index_path)
    embedder = embedder if embedder is not None else SentenceTransformerEmbedder(settings.model)
    return Retriever(kb, index, embedder, retrieval_config(settings))
