"""Turn a knowledge base into an index: which texts are embedded, and the build itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from bot.knowledge.loader import content_hash
from bot.knowledge.models import KnowledgeBase
from bot.search.embedder import Embedder
from bot.search.encoders import EncoderFile, place_encoder
from bot.search.index import EncoderRecord, IndexMeta, VectorIndex, build_lock
from bot.search.languages import SearchLanguage, search_language, to_simplified

BATCH = 64


class IndexRow(NamedTuple):
    """One vector of the index: its text, entry, whether it is a tag, and its language."""

    text: str
    entry_id: str
    is_tag: bool
    language: SearchLanguage


def index_rows(kb: KnowledgeBase) -> list[IndexRow]:
    """One row per vector: each entry's title and questions, its Chinese ones, then its tags.

    Chinese titles and questions (the `zh:` block) are indexed beside the English ones, in
    Simplified characters (`to_simplified`); every row names its entry, so a result is an
    entry id whatever language matched. Tags are the names people use for a scam ("刷单",
    "pig butchering", "ICO"): embedded on their own, a one-term question meets its entry's tag
    instead of a long sentence. Only term-like questions are matched against tags (see
    bot.search.definitions); a tag's language is that of its script.
    """
    rows: list[IndexRow] = []
    for entry in kb.entries:
        sentences = dict.fromkeys((entry.title, *entry.questions))
        rows += [IndexRow(text, entry.id, False, "en") for text in sentences]
        if entry.zh is not None:
            chinese = dict.fromkeys(
                to_simplified(t) for t in (entry.zh.title, *entry.zh.questions)
            )
            rows += [IndexRow(t, entry.id, False, "zh") for t in chinese if t not in sentences]
        tags = [tag for tag in dict.fromkeys(entry.tags) if tag not in sentences]
        rows += [IndexRow(tag, entry.id, True, search_language(tag)) for tag in tags]
    return rows


def index_texts(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """The texts to embed and their entry ids (see `index_rows`)."""
    rows = index_rows(kb)
    return [row.text for row in rows], [row.entry_id for row in rows]


ENTRY_PREFIX = "entry:"
FLAG_PREFIX = "flag:"


def check_texts(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """The message checker's texts: entries' `examples:` ("entry:<id>") and each red flag's
    name and example phrasings ("flag:<id>")."""
    texts: list[str] = []
    payloads: list[str] = []
    for entry in kb.entries:
        for text in entry.examples:
            texts.append(text)
            payloads.append(ENTRY_PREFIX + entry.id)
    for flag in kb.flags:
        for text in (flag.name, *flag.examples):
            texts.append(text)
            payloads.append(FLAG_PREFIX + flag.id)
    return texts, payloads


def _batches(texts: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


def embed_all(
    embedder: Embedder, texts: list[str], progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """Embed texts in batches, reporting the number done after each batch."""
    parts = []
    for batch in _batches(texts, BATCH):
        parts.append(embedder.embed(batch))
        if progress is not None:
            progress(len(batch))
    if not parts:
        raise ValueError("the knowledge base has no text to index")
    return np.vstack(parts)


def build_index(
    kb: KnowledgeBase,
    embedder: Embedder,
    out: Path,
    model_name: str,
    progress: Callable[[int], None] | None = None,
    encoder: EncoderFile | None = None,
    zh: tuple[str, Embedder] | None = None,
    check: tuple[EncoderFile, Embedder] | None = None,
    zh_encoder: EncoderFile | None = None,
    segmenter: EncoderFile | None = None,
) -> IndexMeta:
    """Embed the knowledge base and write the index into `out` atomically.

    `encoder` is the ONNX file `embedder` runs, if any: it is kept in `out` with the vectors.
    `zh` is the model name and embedder of Chinese questions, when not the main one: every
    row is encoded by it too. `check` is the message checker's own encoder file and embedder
    (the int8 copy), when it has one: it encodes the checker's texts, and is kept in `out`.
    `zh_encoder` is the file `zh`'s embedder runs, if any (`prepare_zh_encoder`), and
    `segmenter` jieba's prefix dictionary (`prepare_segmenter`): both kept in `out` too.
    """
    texts, payloads = index_texts(kb)
    vectors = embed_all(embedder, texts, progress)
    zh_vectors = None
    if zh is not None:
        zh_vectors = (zh[0], VectorIndex(embed_all(zh[1], texts, progress), payloads))
    extra, extra_payloads = check_texts(kb)
    check_embedder = check[1] if check is not None else embedder
    checks = (
        VectorIndex(embed_all(check_embedder, extra, progress), extra_payloads) if extra else None
    )
    counts = {"entries": len(kb.entries), "vectors": len(texts), "sources": len(kb.sources)}
    if extra:
        counts.update(check_vectors=len(extra), flags=len(kb.flags))
    with build_lock(out):  # one build at a time writes into (and cleans up) `out`
        record, check_record = _placed(encoder, out), _placed(check[0] if check else None, out)
        zh_record, segmenter_record = _placed(zh_encoder, out), _placed(segmenter, out)
        return VectorIndex(vectors, payloads).save(
            out,
            model=model_name,
            content_hash=content_hash(kb),
            counts=counts,
            encoder=record,
            checks=checks,
            zh=zh_vectors,
            check_encoder=check_record,
            zh_encoder=zh_record,
            segmenter=segmenter_record,
        )


def _placed(encoder: EncoderFile | None, out: Path) -> EncoderRecord:
    """The record of an encoder file once it is in `out` (an empty one for none)."""
    if encoder is None:
        return EncoderRecord()
    placed = place_encoder(encoder, out)
    return EncoderRecord(placed.path.name, placed.source)
