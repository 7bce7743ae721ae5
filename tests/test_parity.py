"""Numbers, hotlines and links must be the same in an English text and its Chinese version."""

from __future__ import annotations

import pytest

from bot.knowledge.parity import describe_differences, differences, fixed_tokens


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("He sent 4.3 million yuan.", "他转出了430万元。"),
        ("Police froze 3.37 million.", "警方冻结了337万元。"),
        ("a HK$5 million fine", "罚款500万港元"),
        ("HK$200 million in total", "一共2亿港元"),
        ("HK$1.3 billion in losses", "损失13亿港元"),
        ("victims reported HK$1.3bn", "受害人报案损失13亿港元"),
        ("S$651.8 million lost", "损失6.518亿新加坡元"),
        ("A$8.7 million lost", "损失870万澳元"),
        ("about 5,000 reports", "约5000宗举报"),
        ("at least 120,000 people", "至少12万人"),
        ("1,244 reports", "1,244宗报案"),
        ("62.1% were aged 18–40", "62.1%在18到40岁之间"),
    ],
)
def test_amounts_compare_by_value(english: str, chinese: str) -> None:
    assert describe_differences(english, chinese) is None


@pytest.mark.parametrize(
    ("english", "chinese", "missing", "extra"),
    [
        ("He sent 4.3 million yuan.", "他转出了43万元。", "4300000", "430000"),
        ("a HK$5 million fine", "罚款50万港元", "5000000", "500000"),
        ("S$651.8 million lost", "损失6.5亿新加坡元", "651800000", "650000000"),
        # The clumsy forms are not amounts in Chinese: 8.7百万 reads as 8.7.
        ("A$8.7 million lost", "损失8.7百万澳元", "8700000", "8.7"),
        ("about 5,000 reports", "约500宗举报", "5000", "500"),
        ("62.1% of victims", "62.1的受害人", "62.1%", "62.1"),
    ],
)
def test_a_wrong_amount_is_still_caught(
    english: str, chinese: str, missing: str, extra: str
) -> None:
    assert differences(english, chinese) == ({missing}, {extra})


def test_hotlines_and_years_stay_exact() -> None:
    english = "Call 96110 or +86-10-12308; in force since 1 December 2022."
    assert describe_differences(english, "拨打96110或+86-10-12308；2022年12月1日起施行。") is None
    assert differences(english, "拨打96111或+86-10-12308；2022年12月1日起施行。") == (
        {"96110"},
        {"96111"},
    )
    assert differences(english, "拨打96110或+86-10-12309；2022年12月1日起施行。") == (
        {"+86-10-12308"},
        {"+86-10-12309"},
    )
    assert differences(english, "拨打96110或+86-10-12308；2023年12月1日起施行。") == (
        {"2022"},
        {"2023"},
    )
    # A leading zero is part of a hotline number.
    assert differences("call 0300 123 2040", "拨打300 123 2040") == ({"0300"}, {"300"})


def test_two_digit_figures_must_match() -> None:
    english = "52 cases in which 85 defendants were sentenced; up to 14 years in prison."
    assert describe_differences(english, "52宗案件，85名被告人被判刑；最高可判14年监禁。") is None
    assert differences(english, "52宗案件，58名被告人被判刑；最高可判14年监禁。") == (
        {"85"},
        {"58"},
    )
    # A figure the English writes in digits must be in digits in Chinese too.
    assert differences(english, "五十二宗案件，85名被告人被判刑；最高可判十四年监禁。") == (
        {"52", "14"},
        set(),
    )


def test_numbers_the_english_spells_out_may_be_digits_in_chinese() -> None:
    english = "a five-year ban; three or more cards; two or three years; since 1 December 2024"
    chinese = "5年内不能用；3张及以上；2年或3年；从2024年12月1日起"
    assert describe_differences(english, chinese) is None
    # ...but only the numbers it spells out: a 4 appears nowhere in the English.
    assert differences(english, chinese.replace("3张", "4张")) == (set(), {"4"})
    # A month counts only next to a day or year, so "may" the verb is not 5.
    assert differences("You may go.", "你5可以走。") == (set(), {"5"})


def test_links_domains_and_emails_must_match() -> None:
    english = "See takeitdown.ncmec.org or https://www.scamshield.gov.sg, or mail help@scam.org."
    assert fixed_tokens(english) == {
        "takeitdown.ncmec.org",
        "https://www.scamshield.gov.sg",
        "help@scam.org",
    }
    problem = describe_differences(
        english, "看 takeitdown.ncmec.org 或 https://www.scamshield.gov.sg。"
    )
    assert problem is not None and "lacks help@scam.org" in problem


def test_the_description_shows_what_was_written() -> None:
    problem = describe_differences("A$8.7 million lost", "损失8.7百万澳元")
    assert problem is not None
    assert "lacks 8.7 million (= 8700000) (in the English)" in problem
    assert "has 8.7 (not in the English)" in problem
