"""The red flags' patterns catch the same meaning in other words (English and Chinese), and
leave ordinary wording alone. Texts here are written for the test, not taken from the dev set."""

from __future__ import annotations

import pytest

from bot.checking.patterns import PatternMatcher
from bot.knowledge.models import KnowledgeBase


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> PatternMatcher:
    return PatternMatcher(kb.flags)


@pytest.mark.parametrize(
    ("text", "flag_id"),
    [
        ("Minimum deposit 300 USDT to activate your trading account", "upfront-fee"),
        ("最低投资5000元起，入金后立即开始", "upfront-fee"),
        ("I'm overseas now, so pay the deposit and I'll mail the keys", "upfront-fee"),
        ("Our fund pays 3% every week, like clockwork", "guaranteed-returns"),
        ("We just made 8,000 USDT on the signal this morning", "investment-group"),
        ("我上周跟着老师赚了三万", "investment-group"),
        ("I will buy your BTC above market price, no need for an exchange", "off-platform-trade"),
        ("唔使經交易所，我直接轉數俾你", "off-platform-trade"),
        ("Grandma, it's me, I was arrested and need money for bail", "new-number-family"),
        ("妈，我出车祸了，急需钱", "new-number-family"),
        ("Your Office licence has been renewed for $299", "fake-customer-service"),
        ("您的手机已被锁定，检测到木马病毒", "fake-customer-service"),
        ("不注销校园贷会影响征信", "fake-customer-service"),
        ("We received a request to port your number to another network", "account-frozen"),
        ("Our crypto forensic team can reclaim what you lost to scammers", "recovery-offer"),
        ("专业团队帮你追回被骗资金", "recovery-offer"),
        ("it's completely legal, our exchange is licensed by the state", "legal-licence-claim"),
        ("国家已经认可了，我们平台正规合法", "legal-licence-claim"),
    ],
)  # fmt: skip
def test_a_paraphrase_raises_its_flag(matcher: PatternMatcher, text: str, flag_id: str) -> None:
    assert flag_id in matcher.find(text)


@pytest.mark.parametrize(
    "text",
    [
        "I made dinner for 4 people yesterday",
        "The bank deposit slip is on the table",
        "Interest is 4.5% a year on this savings account",
        "Dad, my phone is charging, I'll call you later",
        "我今天赚钱买了一本书",
    ],
)
def test_ordinary_wording_raises_no_new_flag(matcher: PatternMatcher, text: str) -> None:
    new = {"upfront-fee", "guaranteed-returns", "investment-group", "new-number-family",
           "recovery-offer", "legal-licence-claim", "off-platform-trade"}  # fmt: skip
    assert not new & matcher.find(text).keys()


def test_traditional_text_is_read_as_simplified_with_the_same_spans() -> None:
    from bot.checking.normalise import simplified

    text = "你好，請先繳納解凍費"
    plain = simplified(text)
    assert plain == "你好，请先缴纳解冻费" and len(plain) == len(text)
    assert simplified("no chinese here") == "no chinese here"


def test_a_simplified_pattern_finds_its_traditional_spelling() -> None:
    from bot.checking.patterns import PatternMatcher
    from bot.knowledge.models import Flag

    flag = Flag("f", "n", "w", "high", ("e",), (("zh-Hans", ("解冻费",)),), ("a", "b"))
    found = PatternMatcher([flag]).find("請先繳納解凍費，否則無法提現")
    assert [(s.start, s.end, s.text) for s in found["f"]] == [(4, 7, "解凍費")]
