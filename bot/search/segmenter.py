"""jieba's prefix dictionary as a file in the index folder, read back in a quarter of the time.

jieba segments Chinese text with a prefix dictionary: each of the 349,000 words of its
`dict.txt` with its count, and every prefix of them. It builds it at first use, or reads its
marshal cache from the temp folder; both took 0.95 s here, the largest single step of a start,
and a fresh container has no cache. The index build writes the same dictionary as JSON (the
words as one newline-joined string, their counts as a list), which is read in about 0.25 s.
A file made from another jieba (`dictionary_source`) is not used: jieba then builds its own.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bot.errors import IndexCorruptError
from bot.search.index_files import write_json_atomic

FORMAT = 1  # raise when the file's layout changes


def _jieba_dictionary() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


def dictionary_source() -> str:
    """A fingerprint of the dictionary jieba would build now: its version and dict.txt's size."""
    import jieba

    size = _jieba_dictionary().stat().st_size
    text = f"jieba prefix dict {FORMAT}\njieba {jieba.__version__}\n{size}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def file_name(source: str) -> str:
    """The prefix dictionary's file name in an index folder, from its fingerprint."""
    return f"segmenter-{source[:16]}.json"


def write_prefix_dict(target: Path, source: str) -> None:
    """Build jieba's own prefix dictionary and write it to `target`, renamed into place whole."""
    import jieba

    tokenizer = jieba.Tokenizer()
    freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    words = list(freq)
    if any("\n" in word for word in words):  # pragma: no cover - jieba's words are one line
        raise ValueError("a jieba word holds a newline")
    data = {"source": source, "total": total, "words": "\n".join(words),
            "counts": [freq[w] for w in words]}  # fmt: skip
    write_json_atomic(target, data, indent=None)


def read_prefix_dict(path: Path) -> tuple[dict[str, int], int] | None:
    """The prefix dictionary and total count in `path`; None when another jieba made it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["source"] != dictionary_source():
            return None
        words = data["words"].split("\n")
        counts = data["counts"]
        total = data["total"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}): rebuild the index") from exc
    if not isinstance(total, int):
        raise IndexCorruptError(f"{path}: its total is not a count: rebuild the index")
    if len(words) != len(counts):
        raise IndexCorruptError(
            f"{path} holds {len(words)} words but {len(counts)} counts: rebuild the index"
        )
    return dict(zip(words, counts, strict=True)), total


def loaded_tokenizer(prefix_dict: Path | None) -> Any:
    """A jieba tokenizer with its dictionary loaded: from `prefix_dict` when it is usable."""
    import jieba

    tokenizer = jieba.Tokenizer()
    loaded = read_prefix_dict(prefix_dict) if prefix_dict is not None else None
    if loaded is None:
        tokenizer.initialize()
    else:
        # What jieba's initialize() sets once its dictionary is read (jieba 0.42).
        tokenizer.FREQ, tokenizer.total = loaded
        tokenizer.initialized = True
    return tokenizer
