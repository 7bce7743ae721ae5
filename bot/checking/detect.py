"""Does a private-chat text read like a pasted message rather than a question to the bot?

A small rule, measured in the README on the question sets (which must stay questions) and the
message sets (which should be checked): message-like features add points, a short first-person
question takes them away.
"""

from __future__ import annotations

import re

_CONTACT = re.compile(
    r"(?i)(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|top|xyz|cc|me|ly|io|info|vip|shop|"
    r"site|online|hk|cn|tw|sg|my|uk)\b|@\w+\.\w+|\+\d[\d\s-]{6,}|\b0x[0-9a-f]{40}\b|"
    r"\bT[1-9A-HJ-NP-Za-km-z]{33}\b|(?<!\d)1[3-9]\d{9}(?!\d))"
)
_OPENER = re.compile(
    r"(?i)^\s*(dear\b|hi dear|hello dear|hi,? (i am|i'm|this is)|hello,? (i am|i'm|this is)|"
    r"congratulations|attention|notice|reminder|alert|final|urgent|【|\[|尊敬的|亲爱的|親愛的|"
    r"您好，|你好，我是|您好，我是|hi mum|hi mom|hey mum|hey mom|mum|mom|dad|sorry,? wrong)"
)
_SECOND_PERSON = re.compile(r"(?i)\b(you|your|yours)\b|您|你的")
_FIRST_PERSON = re.compile(r"(?i)\b(i|me|my|mine|i'm|im|we|us)\b|我")
_QUESTION_START = re.compile(
    r"(?i)^\s*(is|are|can|could|should|how|what|why|where|who|when|do|does|did|will|would|"
    r"was|has|have|any|anyone|help|pls|please help|怎么|怎樣|怎样|如何|是不是|为什么|為什麼|"
    r"这是|這是|会不会|會不會|我该|我該|有人)\b"
)
_SIGN_OFF = re.compile(
    r"(?i)(regards|sincerely|thank you\.|best wishes|客服|敬上|谢谢配合|謝謝配合)"
)


# A user telling the bot what happened to them: "someone asked me", "客服说我", "叫我".
_NARRATIVE = re.compile(
    r"(?i)\b(someone|somebody|some guy|a guy|a girl|this guy|they said|he said|she said|"
    r"they want|they asked|asked me|told me|wants me|want me|my (friend|bf|gf|boyfriend|"
    r"girlfriend|brother|sister|cousin|mum|mom|dad|boss|classmate)|is (it|this|that) "
    r"(legit|real|a scam|safe|normal)|sus|should i|what do i do|got a (call|text|message|dm)|"
    r"i got|i received|i just|says? (i|i'm|im|my|me)|saying|(e-?mail|text|sms|message|dm|call) "
    r"from|they'll|they will|says|wants my|needs me)\b"
    r"|有人|对方|對方|他说|她说|他說|她說|说我|說我|叫我|让我|讓我|要我|话我|話我|我该|我應該|"
    r"是不是|怎么办|怎麼辦|點算|係咪|咋办|我根本|我没|我沒|我冇|收到一条|收到一條|靠谱|靠譜|"
    r"收到.{0,4}(短信|簡訊|信息|訊息|消息|电话|電話|邮件|郵件)"
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_ASKS_ZH = re.compile(
    r"(真的假的|是真的吗|是真的嗎|靠谱吗|靠譜嗎|可信吗|可信嗎|是不是骗|是不是騙|[吗嗎呢么麼][？?]?\s*$)"
)


def message_score(text: str, flags: int = 0) -> int:
    """Points for reading like a received message (see `looks_like_message`); `flags` is
    how many red-flag patterns the text triggers."""
    stripped = text.strip()
    lines = [line for line in stripped.splitlines() if line.strip()]
    score = 0
    score += 2 if len(lines) >= 2 else 0
    score += 2 if _CONTACT.search(stripped) else 0
    score += 1 if len(stripped) > 140 or len(_CJK.findall(stripped)) > 45 else 0
    score += min(flags, 2)
    score += 1 if _OPENER.search(stripped) else 0
    score += 1 if len(_SECOND_PERSON.findall(stripped)) >= 2 else 0
    score += 1 if _SIGN_OFF.search(stripped) else 0
    asks = (
        stripped.endswith(("?", "？"))
        or bool(_QUESTION_START.search(stripped))
        or bool(_ASKS_ZH.search(stripped))
    )
    first_person = bool(_FIRST_PERSON.search(stripped))
    if _NARRATIVE.search(stripped):
        score -= 2
    if asks and first_person and len(stripped) < 220:
        score -= 2
    elif asks and len(stripped) < 120:
        score -= 1
    return score


MESSAGE_SCORE = 2  # at or above this, a private-chat text is checked as a message


def looks_like_message(text: str, flags: int = 0) -> bool:
    """True when a text sent in private chat should be checked rather than answered."""
    return message_score(text, flags) >= MESSAGE_SCORE
