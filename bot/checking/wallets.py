"""Crypto wallet addresses in a message: BTC (legacy and bech32), ETH and TRON (USDT-TRC20).

Checksums are verified where it is cheap: base58check for BTC legacy and TRON, bech32 and
bech32m for bc1 addresses. ETH addresses are recognised by format only (EIP-55 needs Keccak).
"""

from __future__ import annotations

import hashlib
import re

from bot.checking.result import Span, WalletInfo

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M_CONST = 0x2BC830A3

_CANDIDATES = re.compile(
    r"(?<![A-Za-z0-9])("
    r"bc1[02-9ac-hj-np-z]{11,87}"  # bech32 / bech32m (lowercase)
    r"|BC1[02-9AC-HJ-NP-Z]{11,87}"  # bech32 may also be all uppercase
    r"|0x[0-9a-fA-F]{40}"  # Ethereum (and every EVM chain)
    r"|T[1-9A-HJ-NP-Za-km-z]{33}"  # TRON
    r"|[13][1-9A-HJ-NP-Za-km-z]{25,34}"  # Bitcoin legacy (P2PKH, P2SH)
    r")(?![A-Za-z0-9])"
)
_BASE58_VERSIONS = {0x00: "BTC", 0x05: "BTC", 0x41: "TRON"}


def b58decode(text: str) -> bytes | None:
    """Base58 (Bitcoin alphabet) to bytes; None when a character is not in the alphabet."""
    number = 0
    for ch in text:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + body


def base58check_version(text: str) -> int | None:
    """The version byte of a valid 25-byte base58check address, or None."""
    raw = b58decode(text)
    if raw is None or len(raw) != 25:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload[0]


def _polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def bech32_valid(address: str) -> bool:
    """Whether a bc1 address has a valid bech32 (witness v0) or bech32m (v1+) checksum."""
    if address.lower() != address and address.upper() != address:
        return False
    address = address.lower()
    hrp, _, data_part = address.rpartition("1")
    if hrp != "bc" or len(data_part) < 7 or any(ch not in _BECH32 for ch in data_part):
        return False
    data = [_BECH32.index(ch) for ch in data_part]
    expanded = [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]
    const = _polymod(expanded + data)
    version = data[0]
    return const == (1 if version == 0 else _BECH32M_CONST) and version <= 16


def find_wallets(text: str) -> list[WalletInfo]:
    """Every wallet-looking address, with its chain and whether its checksum holds."""
    found: list[WalletInfo] = []
    for match in _CANDIDATES.finditer(text):
        address = match.group(1)
        span = Span(match.start(1), match.end(1), address)
        if address.lower().startswith("bc1"):
            found.append(WalletInfo(span, "BTC", bech32_valid(address), "bech32"))
        elif address.startswith("0x"):
            found.append(WalletInfo(span, "ETH", None, "0x + 40 hex"))
        else:
            version = base58check_version(address)
            chain = _BASE58_VERSIONS.get(version) if version is not None else None
            if chain is not None:
                found.append(WalletInfo(span, chain, True, "base58check"))
            elif address.startswith("T") and len(address) == 34:
                found.append(WalletInfo(span, "TRON", False, "base58check"))
            elif len(address) >= 26 and not address.isalpha() and not address.isdigit():
                found.append(WalletInfo(span, "BTC", False, "base58check"))
    return found
