"""Fixed things the bot says. Knowledge (answers, hotlines, privacy) comes from the YAML files.

Each constant is an English msgid of the message catalogue (bot/locale/*/messages.po): `N_`
marks it for extraction, and the code that shows it translates it with `_()` at that moment,
in the language of the reply being built (bot.i18n).
"""

from __future__ import annotations

from bot.i18n import N_, _, ngettext
from bot.search.results import Status

TOPIC_LABELS: dict[str, str] = {
    "jobs": N_("💼 Fake job offers"),
    "crypto": N_("🪙 Crypto and investment"),
    "ai": N_("🤖 AI and deepfakes"),
    "blockchain": N_("🌐 Metaverse, NFT, blockchain"),
    "fraud": N_("📞 Other scams"),
    "help": N_("🆘 Getting help"),
    "context": N_("📰 News and policy"),
    "about": N_("ℹ️ About ScamWise"),
}

WELCOME = N_(
    "Hi! I'm ScamWise 👋 I help you spot fake job offers, crypto and investment scams and "
    "AI tricks like deepfake calls.\n\n"
    'Just ask me in your own words, for example: "someone offers 500 a day to like videos, '
    'is it real?" Or browse the topics below.'
)
HELP_TITLE = N_("How to use ScamWise")
HELP_LINES: tuple[tuple[str, str], ...] = (
    ("/check", N_("<message>: check a message you received for red flags")),
    ("/topics", N_("browse everything I know, topic by topic")),
    ("/tips", N_("a random red flag to remember")),
    ("/report", N_("what to do now and who to call, by region")),
    ("/region", N_("choose your region, for its hotlines")),
    ("/privacy", N_("what I store and for how long")),
    ("/quiz", N_("test yourself: can you spot the scam?")),
    ("/newclass", N_("<quiz id>: a quiz link and QR code for your class")),
    ("/results", N_("<class code>: anonymous results of a class you created")),
    ("/classes", N_("the classes you created")),
    ("/closeclass", N_("<class code>: stop a class from taking answers")),
    ("/language", N_("choose English, 简体中文 or 繁體中文")),
    ("/forgetme", N_("delete everything stored about you")),
    ("/help", N_("this message")),
)
HELP_FOOTER = N_(
    "Or just type a question, or paste a message you received. In groups, mention me or reply "
    "to me. I'm not the police and I give no legal advice: in an emergency call your local "
    "police."
)
DECLINED = N_(
    "Sorry, I don't have a good answer for that one. I know about fake jobs, crypto and "
    "investment scams, AI tricks and what to do if something feels off. Try rephrasing, or "
    "pick a topic:"
)
REPORT_POINTER = N_(
    "Lost money or worried right now? Send /report for what to do and who to call."
)
EMPTY = N_("Send me your question in words, for example: is a job that pays to like videos real?")
# The one-shot `python -m bot ask` has no topic buttons to point at.
DECLINED_PLAIN = N_(
    "Sorry, I don't have a good answer for that. I know about fake job offers, crypto and "
    "investment scams, AI tricks such as deepfakes, and what to do if something feels off. "
    "Try asking about one of those."
)
DID_YOU_MEAN = N_("I found two answers that could fit. Did you mean:")
UNSUPPORTED = N_(
    "I can only read text. Type your question, or copy the message you received and paste it "
    "here as text."
)
EXPIRED = N_("This button has expired. Send /topics or ask me again.")
FLOODED = N_("You're sending messages very fast 🙂 Give me a few seconds, then ask again.")
FEEDBACK_THANKS = N_("Thanks for the feedback!")
TOPICS_TITLE = N_("What would you like to read about?")
FORGET_CONFIRM = N_(
    "This deletes everything ScamWise stores about you: your quiz progress and answers, the "
    "classes you created, your group quiz scores, your 👍/👎 votes and the region and language "
    "you chose. It cannot be undone. Delete it?"
)
FORGET_DONE = N_("Done: everything stored about you has been deleted ({records}).")
FORGET_CANCELLED = N_("OK, nothing was deleted.")
TIP_TITLE = N_("💡 Red flag to remember")
ERROR = N_("Sorry, something went wrong on my side. Please try again in a moment.")

# --- quizzes ---------------------------------------------------------------------------------
QUIZ_BUTTON = N_("🧠 Take a quiz")
QUIZ_PICK = N_("🧠 Pick a quiz and test yourself:")
QUIZ_UNKNOWN = N_("I don't have a quiz called '{quiz_id}'. Pick one:")
QUIZ_UNAVAILABLE = N_("There are no quizzes right now. Ask me a question instead!")
QUIZ_GROUP_HINT = N_(
    "In a group I run quizzes as polls everyone can answer. Send /quiz followed by one of: {ids}"
)
QUIZ_RESUMED = N_("↩️ Welcome back! Picking up where you left off.")
QUIZ_CORRECT = N_("✅ Correct!")
QUIZ_WRONG = N_("❌ Not quite.")
QUIZ_THE_ANSWER = N_("The answer: ")
QUIZ_LEARN_MORE = N_("📖 Learn more")
QUIZ_NEXT = N_("Next ▶")
QUIZ_RETAKE = N_("🔁 Retake")
QUIZ_SHARE = N_("📤 Share")
QUIZ_SCORE = N_("🏁 {title}: you scored {score}/{total}")
QUIZ_PERFECT = N_("Perfect score: you spotted every trick! 🎉")
QUIZ_REVIEW = N_("Worth another look:")
QUIZ_ALREADY_ANSWERED = N_("You already answered this one.")
QUIZ_ALREADY_FINISHED = N_(
    "You already took this class quiz ({title}) and scored {score}/{total}."
)
QUIZ_CLASS_CLOSED = N_(
    "This class quiz ({title}) is closed, or its link no longer works. You can still take the "
    "quiz on your own:"
)
QUIZ_ON_MY_OWN = N_("🧠 Take it on my own")
CLASS_USAGE = N_("Send /newclass followed by a quiz id: {ids}")
CLASS_CREATED = N_(
    "Share this link with your class, or let them scan the QR code. Everyone can take the "
    "quiz once, and the results are anonymous."
)
CLASS_COMMANDS = N_("Code: {code}\nSee the results: /results {code}\nStop it: /closeclass {code}")
RESULTS_USAGE = N_("Send /results followed by a class code. /classes lists your classes.")
# The same words whether the code exists or not: nobody learns which codes are in use.
RESULTS_NOT_ALLOWED = N_("No class of yours has that code. Send /classes to see your classes.")
RESULTS_NOBODY = N_("Nobody has finished this quiz yet.")
CLOSE_USAGE = N_("Send /closeclass followed by a class code. /classes lists your classes.")
CLOSE_NOT_ALLOWED = N_("No class of yours has that code. Send /classes to see your classes.")
CLOSE_DONE = N_("Class {code} ({title}) is closed: nobody can start or continue it now.")
CLASSES_TITLE = N_("Your classes")
CLASSES_NONE = N_("You haven't created any classes yet. Send /newclass followed by a quiz id.")
GROUP_QUIZ_INTRO = N_("🧠 {title}: {questions} coming up as quiz polls. Tap your answer!")
LEADERBOARD_TITLE = N_("🏆 Quiz results")
LEADERBOARD_NOBODY = N_("Nobody answered this time. Try another quiz with /quiz!")


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 record", "3 records" in English (scripts and logs; replies use `records` etc.)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


# --- language ---------------------------------------------------------------------------------
LANGUAGE_ASK = N_("Which language should I use?")
# {language} is the chosen language's own name (English, 简体中文, 繁體中文).
LANGUAGE_CHOSEN = N_(
    "OK, I'll answer in {language} from now on. Change it any time with /language."
)


def records(count: int) -> str:
    """ "1 record", "3 records", in the current language."""
    return ngettext("{count} record", "{count} records", count).format(count=count)


def questions(count: int) -> str:
    """ "1 question", "8 questions", in the current language."""
    return ngettext("{count} question", "{count} questions", count).format(count=count)


def decline_text(status: Status) -> str:
    """What `python -m bot ask` says when a search found nothing to answer with."""
    return _(EMPTY) if status is Status.EMPTY else _(DECLINED_PLAIN)
