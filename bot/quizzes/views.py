"""Build quiz replies (text spans, buttons, images) from engine results. No I/O, no state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote

from bot.conversation import texts
from bot.conversation.actions import encode
from bot.conversation.markup import Span, bold, italic, link, plain
from bot.conversation.replies import Button, Image, PollSpec, Reply
from bot.i18n import _
from bot.quizzes.models import (
    PROMPT_MAX_CHARS,
    AlreadyFinished,
    AnswerResult,
    ClassClosed,
    ClassInfo,
    ClassResults,
    QuestionStep,
    Quiz,
    Summary,
)

LETTERS = "ABCD"
BUTTON_CHARS = 40  # longer options are cut on their button; the message shows them in full
SHARE_URL = "https://t.me/share/url?url={url}"


def quiz_link(username: str, payload: str) -> str:
    """The deep link that opens the bot with a /start payload."""
    return f"https://t.me/{username}?start={payload}"


def share_url(link_url: str) -> str:
    """Telegram's share page for a link (the link URL-encoded)."""
    return SHARE_URL.format(url=quote(link_url, safe=""))


def _short(text: str, limit: int = BUTTON_CHARS) -> str:
    """Text cut to `limit` characters at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def start_quiz_button(label: str, quiz_id: str) -> Button:
    """A button that starts (or resumes) a quiz."""
    return Button(label, encode("qs", quiz_id))


def quiz_list_reply(quizzes: Iterable[Quiz], intro: str | None = None) -> Reply:
    """Every quiz as a button, each with its description in the text."""
    spans: list[Span] = [bold(intro or _(texts.QUIZ_PICK))]
    rows: list[tuple[Button, ...]] = []
    for quiz in quizzes:
        spans += [plain("\n\n"), bold(quiz.title), plain(f"\n{quiz.description}")]
        spans.append(
            italic("\n" + _("id: {id}").format(id=quiz.id))
        )  # what /quiz, /newclass and groups take
        rows.append((start_quiz_button(f"🧠 {quiz.title}", quiz.id),))
    if not rows:
        return Reply((plain(_(texts.QUIZ_UNAVAILABLE)),))
    return Reply(tuple(spans), tuple(rows))


def question_reply(step: QuestionStep, *, edit: bool = False) -> Reply:
    """ "3/8", the prompt, the lettered options, and one button per option."""
    spans: list[Span] = [bold(f"🧠 {step.title} · {step.index + 1}/{step.total}")]
    if step.resumed:
        spans.append(italic(f"\n{_(texts.QUIZ_RESUMED)}"))
    options = "\n".join(f"{LETTERS[i]}) {option}" for i, option in enumerate(step.options))
    spans.append(plain(f"\n\n{step.prompt}\n\n{options}"))
    rows = tuple(
        (Button(f"{LETTERS[i]}) {_short(option)}", _answer_action(step, i)),)
        for i, option in enumerate(step.options)
    )
    return Reply(tuple(spans), rows, edit=edit)


def _answer_action(step: QuestionStep, option: int) -> str:
    """The action of an option button: qa:<attempt>:<question>.<option>."""
    return encode("qa", str(step.attempt_id), f"{step.index}.{option}")


def answer_reply(result: AnswerResult) -> Reply:
    """✅ or ❌, the right answer and why, with Learn more and Next (replaces the question)."""
    verdict = _(texts.QUIZ_CORRECT) if result.correct else _(texts.QUIZ_WRONG)
    spans = (
        bold(verdict),
        plain(f" · {result.progress}\n\n{result.prompt}\n\n"),
        bold(_(texts.QUIZ_THE_ANSWER)),
        plain(f"{LETTERS[result.correct_option]}) {result.correct_text}\n\n"),
        plain(result.explanation),
    )
    next_action = encode("qn", str(result.attempt_id), str(result.question_index))
    row = (
        Button(_(texts.QUIZ_LEARN_MORE), encode("e", result.entry)),
        Button(_(texts.QUIZ_NEXT), next_action),
    )
    return Reply(spans, (row,), edit=True)


def summary_reply(summary: Summary, quiz_url: str, *, edit: bool = True) -> Reply:
    """The score, the missed questions with explanations, Retake and Share."""
    heading = _(texts.QUIZ_SCORE).format(
        title=summary.title, score=summary.score, total=summary.total
    )
    spans: list[Span] = [bold(heading)]
    if not summary.missed:
        spans.append(plain(f"\n\n{_(texts.QUIZ_PERFECT)}"))
    else:
        spans += [plain("\n\n"), bold(_(texts.QUIZ_REVIEW))]
        for missed in summary.missed:
            spans.append(
                plain(
                    "\n\n"
                    + _("Q{number}.").format(number=missed.index + 1)
                    + f" {missed.prompt}\n"
                    f"✅ {missed.correct_text}\n{missed.explanation}"
                )
            )
    row = (
        start_quiz_button(_(texts.QUIZ_RETAKE), summary.quiz_id),
        Button(_(texts.QUIZ_SHARE), url=share_url(quiz_url)),
    )
    return Reply(tuple(spans), (row,), edit=edit)


def finished_reply(result: AlreadyFinished) -> Reply:
    """A class quiz the user already took: their score, and the quiz on their own."""
    text = _(texts.QUIZ_ALREADY_FINISHED).format(
        title=result.title, score=result.score, total=result.total
    )
    return Reply((plain(text),), ((start_quiz_button(_(texts.QUIZ_ON_MY_OWN), result.quiz_id),),))


def class_closed_reply(result: ClassClosed, *, edit: bool = False) -> Reply:
    """A kind "this class is closed", offering the quiz on one's own."""
    text = _(texts.QUIZ_CLASS_CLOSED).format(title=result.title)
    row = (start_quiz_button(_(texts.QUIZ_ON_MY_OWN), result.quiz_id),)
    return Reply((plain(text),), (row,), edit=edit)


def class_created_reply(quiz: Quiz, code: str, class_url: str, qr: bytes) -> Reply:
    """The class link as text and as a QR code image (captioned with the link)."""
    spans = (
        bold(f"🏫 {quiz.title}"),
        plain(f"\n\n{_(texts.CLASS_CREATED)}\n\n"),
        link(class_url, class_url),
        plain("\n\n" + _(texts.CLASS_COMMANDS).format(code=code)),
    )
    return Reply(spans, image=Image(qr, f"class-{code}.png", class_url))


def _percent(share: float) -> str:
    """A share as a whole percentage."""
    return f"{round(share * 100)}%"


def results_text(results: ClassResults) -> tuple[Span, ...]:
    """Participants, average, distribution, share correct per question, most missed."""
    state = _("closed") if results.closed else _("open")
    heading = _("📊 Class {code} · {title} ({state})")
    spans: list[Span] = [bold(heading.format(code=results.code, title=results.title, state=state))]
    counts = _("Finished: {finished} · in progress: {in_progress}")
    spans.append(
        plain(
            "\n\n" + counts.format(finished=results.participants, in_progress=results.in_progress)
        )
    )
    if results.average is None:
        return (*spans, plain(f"\n\n{_(texts.RESULTS_NOBODY)}"))
    scores = " · ".join(
        f"{score}/{results.total}: {count}"
        for score, count in reversed(list(enumerate(results.distribution)))
        if count
    )
    per_question = " · ".join(
        _("Q{number}").format(number=i + 1) + f" {_percent(share)}"
        for i, share in enumerate(results.share_correct)
    )
    average = _("Average score: {average}/{total}").format(
        average=f"{results.average:.1f}", total=results.total
    )
    spans.append(
        plain(
            f"\n{average}\n"
            + _("Scores: {scores}").format(scores=scores)
            + "\n"
            + _("Correct per question: {shares}").format(shares=per_question)
        )
    )
    if results.most_missed:
        spans += [plain("\n\n"), bold(_("Most missed:"))]
    for missed in results.most_missed:
        head = _("Q{number} ({percent} correct).").format(
            number=missed.index + 1, percent=_percent(missed.share_correct)
        )
        spans.append(
            plain(f"\n\n{head} {missed.prompt}\n✅ {missed.correct_text}\n{missed.explanation}")
        )
    return tuple(spans)


def results_reply(results: ClassResults, chart: bytes | None) -> Reply:
    """The results text, with the chart when anyone finished."""
    caption = _("Class {code}").format(code=results.code)
    image = Image(chart, f"results-{results.code}.png", caption) if chart else None
    return Reply(results_text(results), image=image)


def classes_reply(classes: Sequence[ClassInfo]) -> Reply:
    """The creator's classes: code, quiz, finished attempts, open or closed."""
    if not classes:
        return Reply((plain(_(texts.CLASSES_NONE)),))
    spans: list[Span] = [bold(_(texts.CLASSES_TITLE))]
    for info in classes:
        state = _("closed") if info.closed else _("open")
        finished = _("{count} finished").format(count=info.participants)
        spans.append(plain(f"\n• {info.code} — {info.title} — {finished} — {state}"))
    return Reply(tuple(spans))


def poll_specs(quiz: Quiz) -> tuple[PollSpec, ...]:
    """One quiz poll per question, numbered when the number fits Telegram's 300 characters."""
    total = len(quiz.questions)
    specs = []
    for i, q in enumerate(quiz.questions):
        numbered = f"{i + 1}/{total}. {q.prompt}"
        question = numbered if len(numbered) <= PROMPT_MAX_CHARS else q.prompt
        specs.append(PollSpec(question, q.options, q.answer, q.explanation))
    return tuple(specs)


def group_intro_reply(quiz: Quiz) -> Reply:
    """The message posted before a group quiz's polls."""
    intro = _(texts.GROUP_QUIZ_INTRO).format(
        title=quiz.title, questions=texts.questions(len(quiz.questions))
    )
    return Reply((bold(intro),))


def leaderboard_reply(rows: Sequence[tuple[str, int]]) -> Reply:
    """First names and correct answers, best first."""
    if not rows:
        return Reply(
            (bold(_(texts.LEADERBOARD_TITLE)), plain(f"\n\n{_(texts.LEADERBOARD_NOBODY)}"))
        )
    lines = "".join(f"\n{rank}. {name} — {n}" for rank, (name, n) in enumerate(rows, 1))
    return Reply((bold(_(texts.LEADERBOARD_TITLE)), plain(f"\n{lines}")))
