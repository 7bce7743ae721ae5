"""Protective wording: a bank's "we will never ask for your PIN", an anti-fraud notice, or a
friend telling you about a scam they got. Red flags found in such a sentence are not counted,
and a message with such wording needs more to be called a scam.
"""

from __future__ import annotations

import re

from bot.checking.normalise import simplified
from bot.checking.result import Span

PROTECTIVE = re.compile(
    r"(?i)(\b(will never|would never|never ask|never call|do not share|don't share|never share|"
    r"not share|beware|scam alert|fraud alert|be careful|is a scam|are scams|was a scam|"
    r"scam (text|call|message|e-?mail)s?|fraudsters|scammers|no action (is )?(needed|required)|"
    r"if (this|it) was you[^.!?\n]{0,40}\b(ignore|no (further )?action|nothing)|"
    r"if (you|this) (did not|didn't|wasn't|was not)[^.!?\n]{0,60}\b(ignore|no (further )?action|"
    r"delete)|in the [\w ]{0,20}\bapp|careers? (site|page|portal)|candidate portal|"
    r"no fee to apply|"
    r"nothing to pay|no payment (is )?needed|"
    r"(almost|nearly) (fell|got scammed|got caught)|fell for (one of )?(those|these|a|the)|"
    r"(regulators?|police|authorities) (warn|warned|warns)|warns? (investors|users|the public)|"
    r"haha|look (at )?what i got|got this (text|message|sms|email)|i got this)\b"
    r"|不会(以任何理由|通过|要求|向您)|不會(以任何理由|通過|要求|向您)|(切勿|请勿|請勿)(将|將|把|向|透露|泄露|洩露|告知|提供|分享|转发|轉發|点击|點擊|点开|點開|回复|回覆|私下)|谨防|謹防|"
    r"提醒您|温馨提示|溫馨提示|无需任何操作|無需任何操作|都是诈骗|都是詐騙|是诈骗|是詐騙|系诈骗|係詐騙|大家小心|小心啲|注意防范|"
    r"诈骗短信|詐騙短信|诈骗电话|詐騙電話|别点|別點|骗子|騙子|差点被|差點被|"
    r"哈哈|笑死|防骗|防騙|(不收取|不收|不会收取|不會收取)任何(费用|費用)|"
    r"(提醒|警告)(投资者|投資者|市民|公众|公眾)|"
    # someone passing on news or a warning, and real recruiters' own sites
    r"(新闻|新聞)(说|說|話|报道|報道)|有人冒充|(别|別|唔好|不要)(信|撳|按|click|理)|"
    r"就知(道)?(系|係|是)(假|呃人|骗|騙)|(是|系|係)假(的|嘅)|"
    r"(在|喺|于|於)(官网|官網|官方网站|官方網站|公司官网|公司官網))"
)
EXEMPT = frozenset({"secrecy"})  # "don't tell anyone" is itself the flag, not a protection


def protective_spans(text: str) -> list[Span]:
    """Every protective phrase in the text (Traditional Chinese read as Simplified too)."""
    spans = {Span(m.start(), m.end(), m.group(0)) for m in PROTECTIVE.finditer(text)}
    plain = simplified(text)
    if plain != text:
        spans |= {Span(m.start(), m.end(), text[m.start() : m.end()])
                  for m in PROTECTIVE.finditer(plain)}  # fmt: skip
    return sorted(spans, key=lambda s: (s.start, s.end))


def sentence_bounds(text: str, at: int) -> tuple[int, int]:
    """The start and end of the sentence (or line) around position `at`."""
    stops = ".!?。！？\n"
    start = max(text.rfind(ch, 0, at) for ch in stops) + 1
    ends = [i for i in (text.find(ch, at) for ch in stops) if i != -1]
    return start, min(ends) + 1 if ends else len(text)


def protected(text: str, span: Span, cues: list[Span]) -> bool:
    """Whether a flag's span shares its sentence with protective wording."""
    start, end = sentence_bounds(text, span.start)
    return any(start <= cue.start < end for cue in cues)
