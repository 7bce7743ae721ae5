"""Each link, phone and wallet rule of the message checker on crafted inputs (no model)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bot.checking import links as links_module
from bot.checking.linkdata import LinkData, load_link_data
from bot.checking.links import edit_distance, find_emails, find_links, skeleton
from bot.checking.phones import find_phones, hotlines
from bot.checking.wallets import find_wallets
from bot.knowledge.models import KnowledgeBase
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def data() -> LinkData:
    return load_link_data(KNOWLEDGE)


def notes(text: str, data: LinkData) -> tuple[str, ...]:
    [link] = find_links(text, data)
    assert text[link.span.start : link.span.end] == link.span.text
    return link.notes


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("log in at http://203.0.113.7/bank now", "raw IP address"),
        ("see https://xn--pple-43d.com/id", "punycode"),
        ("see https://xn--pple-43d.com/id", "looks like Apple"),
        ("tap bit.ly/3xYz to track", "shortened link"),
        ("pay at http://pay-now.example.com/x", "plain http"),
        ("visit https://track-parcel.top/a", "ends in .top"),
        ("sign in at https://paypa1.com/login", "looks like PayPal"),  # 1 for l
        ("sign in at https://www.paypol.com/login", "looks like PayPal"),  # one edit
        ("see https://binance-rewards.net", "looks like Binance"),  # the name on another site
        ("go to https://rnetamask.io", "looks like MetaMask"),  # rn for m
    ],
)
def test_link_rules(text: str, says: str, data: LinkData) -> None:
    assert any(says in note for note in notes(text, data)), notes(text, data)


def test_a_brands_real_domain_is_not_risky_but_still_advised(data: LinkData) -> None:
    [link] = find_links("check https://www.paypal.com/myaccount today.", data)
    assert not link.risky and link.domain == "paypal.com" and "own app" in link.notes[0]
    assert link.span.text == "https://www.paypal.com/myaccount"  # the full stop is not in it


def test_plain_words_and_abbreviations_are_not_links(data: LinkData) -> None:
    assert find_links("See you at 5 p.m. e.g. tomorrow, ok? Version 2.0 is out.", data) == []


def test_lookalike_helpers() -> None:
    assert skeleton("pаypa1") == "paypal"  # Cyrillic а, digit 1
    assert edit_distance("paypol", "paypal") == 1 and edit_distance("abc", "abc") == 0


def test_emails_imitating_a_brand(data: LinkData) -> None:
    [email] = find_emails("write to support@paypal-security.help please", data)
    assert email.domain == "paypal-security.help" and "imitates PayPal" in email.notes[0]
    [plain] = find_emails("my address is mei.chan@example.org", data)
    assert plain.notes == ()


def test_tldextract_uses_the_bundled_list_and_never_the_network(
    monkeypatch: pytest.MonkeyPatch, data: LinkData
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the checker tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    links_module._extractor.cache_clear()  # a fresh extractor loads its suffix list now
    [link] = find_links("go to https://login.example.co.uk/x", data)
    assert link.domain == "example.co.uk"
    extractor = links_module._extractor()
    assert extractor.suffix_list_urls == () and extractor.fallback_to_snapshot
    assert not extractor._cache.enabled  # nothing written to disk either


# --- phones -----------------------------------------------------------------------------------


def test_a_cambodian_number_gets_country_and_type(kb: KnowledgeBase) -> None:
    [phone] = find_phones("WhatsApp HR on +855 12 345 678 today", hotlines(kb))
    assert (phone.region, phone.kind, phone.e164) == ("KH", "mobile", "+85512345678")
    assert phone.span.text == "+855 12 345 678" and phone.official == ""


def test_official_hotlines_come_from_the_knowledge_base(kb: KnowledgeBase) -> None:
    lines = hotlines(kb)
    assert "96110" in lines and "anti-fraud" in lines["96110"].sentence
    [phone] = find_phones("如有疑问请拨打96110", lines)
    assert phone.span.text == "96110" and phone.official.startswith("96110 is an official line")


def test_a_short_official_number_needs_a_call_word(kb: KnowledgeBase) -> None:
    lines = hotlines(kb)
    assert find_phones("The dress costs 110 dollars", lines) == []
    [phone] = find_phones("Please call 110 now", lines)
    assert phone.official and phone.span.text == "110"


def test_chinese_mobile_numbers_without_country_code(kb: KnowledgeBase) -> None:
    [phone] = find_phones("联系我 13812345678", hotlines(kb))
    assert (phone.region, phone.kind) == ("CN", "mobile")


def test_an_impossible_number_says_so(kb: KnowledgeBase) -> None:
    [phone] = find_phones("call +44 20 1234 now", hotlines(kb))
    assert any("not a valid number" in n for n in phone.notes)


# --- wallets ----------------------------------------------------------------------------------

WALLETS = [
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "BTC", True),  # P2PKH, base58check
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "BTC", False),  # one character changed
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "BTC", True),  # P2SH
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BTC", True),  # bech32
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp", "BTC", False),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "BTC", True),  # bech32m
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TRON", True),
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "TRON", False),
    ("0x52908400098527886E0F7030069857D2E4169EE7", "ETH", None),  # format only
]


@pytest.mark.parametrize(("address", "chain", "ok"), WALLETS)
def test_wallet_formats_and_checksums(address: str, chain: str, ok: bool | None) -> None:
    text = f"Send the USDT deposit to {address}, thanks"
    [wallet] = find_wallets(text)
    assert (wallet.chain, wallet.checksum_ok) == (chain, ok)
    assert text[wallet.span.start : wallet.span.end] == address


def test_words_and_numbers_are_not_wallets() -> None:
    assert (
        find_wallets("Order 1234567890123456789012345678 shipped, tracking 1Z999AA10123456784")
        == []
    )
    assert find_wallets("0x123 is too short and so is T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuW") == []
