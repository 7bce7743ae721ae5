"""Fixed things the bot says. Knowledge (answers, hotlines, privacy) comes from the YAML files."""

from __future__ import annotations

from bot.search.results import Status

TOPIC_LABELS: dict[str, str] = {
    "jobs": "💼 Fake job offers",
    "crypto": "🪙 Crypto and investment",
    "ai": "🤖 AI and deepfakes",
    "blockchain": "🌐 Metaverse, NFT, blockchain",
    "fraud": "📞 Other scams",
    "help": "🆘 Getting help",
    "context": "📰 News and policy",
    "about": "ℹ️ About ScamWise",
}

WELCOME = (
    "Hi! I'm ScamWise 👋 I help you spot fake job offers, crypto and investment scams and "
    "AI tricks like deepfake calls.\n\n"
    'Just ask me in your own words, for example: "someone offers 500 a day to like videos, '
    'is it real?" Or browse the topics below.'
)
HELP_TITLE = "How to use ScamWise"
HELP_LINES: tuple[tuple[str, str], ...] = (
    ("/check", "<message>: check a message you received for red flags"),
    ("/topics", "browse everything I know, topic by topic"),
    ("/tips", "a random red flag to remember"),
    ("/report", "what to do now and who to call, by region"),
    ("/region", "choose your region, for its hotlines"),
    ("/privacy", "what I store and for how long"),
    ("/quiz", "test yourself: can you spot the scam?"),
    ("/newclass", "<quiz id>: a quiz link and QR code for your class"),
    ("/results", "<class code>: anonymous results of a class you created"),
    ("/classes", "the classes you created"),
    ("/closeclass", "<class code>: stop a class from taking answers"),
    ("/forgetme", "delete everything stored about you"),
    ("/help", "this message"),
)
HELP_FOOTER = (
    "Or just type a question, or paste a message you received. In groups, mention me or reply "
    "to me. I'm not the police and I give no legal advice: in an emergency call your local "
    "police."
)
DECLINED = (
    "Sorry, I don't have a good answer for that one. I know about fake jobs, crypto and "
    "investment scams, AI tricks and what to do if something feels off. Try rephrasing, or "
    "pick a topic:"
)
REPORT_POINTER = "Lost money or worried right now? Send /report for what to do and who to call."
EMPTY = "Send me your question in words, for example: is a job that pays to like videos real?"
# The one-shot `python -m bot ask` has no topic buttons to point at.
DECLINED_PLAIN = (
    "Sorry, I don't have a good answer for that. I know about fake job offers, crypto and "
    "investment scams, AI tricks such as deepfakes, and what to do if something feels off. "
    "Try asking about one of those."
)
DID_YOU_MEAN = "I found two answers that could fit. Did you mean:"
UNSUPPORTED = (
    "I can only read text. Type your question, or copy the message you received and paste it "
    "here as text."
)
EXPIRED = "This button has expired. Send /topics or ask me again."
FLOODED = "You're sending messages very fast 🙂 Give me a few seconds, then ask again."
FEEDBACK_THANKS = "Thanks for the feedback!"
TOPICS_TITLE = "What would you like to read about?"
FORGET_CONFIRM = (
    "This deletes everything ScamWise stores about you: your quiz progress and answers, the "
    "classes you created, your group quiz scores, your 👍/👎 votes and the region you chose. "
    "It cannot be undone. Delete it?"
)
FORGET_DONE = "Done: everything stored about you has been deleted ({records})."
FORGET_CANCELLED = "OK, nothing was deleted."
TIP_TITLE = "💡 Red flag to remember"
ERROR = "Sorry, something went wrong on my side. Please try again in a moment."

# --- quizzes ---------------------------------------------------------------------------------
QUIZ_BUTTON = "🧠 Take a quiz"
QUIZ_PICK = "🧠 Pick a quiz and test yourself:"
QUIZ_UNKNOWN = "I don't have a quiz called '{quiz_id}'. Pick one:"
QUIZ_UNAVAILABLE = "There are no quizzes right now. Ask me a question instead!"
QUIZ_GROUP_HINT = (
    "In a group I run quizzes as polls everyone can answer. Send /quiz followed by one of: {ids}"
)
QUIZ_RESUMED = "↩️ Welcome back! Picking up where you left off."
QUIZ_CORRECT = "✅ Correct!"
QUIZ_WRONG = "❌ Not quite."
QUIZ_THE_ANSWER = "The answer: "
QUIZ_LEARN_MORE = "📖 Learn more"
QUIZ_NEXT = "Next ▶"
QUIZ_RETAKE = "🔁 Retake"
QUIZ_SHARE = "📤 Share"
QUIZ_SCORE = "🏁 {title}: you scored {score}/{total}"
QUIZ_PERFECT = "Perfect score: you spotted every trick! 🎉"
QUIZ_REVIEW = "Worth another look:"
QUIZ_ALREADY_ANSWERED = "You already answered this one."
QUIZ_ALREADY_FINISHED = "You already took this class quiz ({title}) and scored {score}/{total}."
QUIZ_CLASS_CLOSED = (
    "This class quiz ({title}) is closed, or its link no longer works. You can still take the "
    "quiz on your own:"
)
QUIZ_ON_MY_OWN = "🧠 Take it on my own"
CLASS_USAGE = "Send /newclass followed by a quiz id: {ids}"
CLASS_CREATED = (
    "Share this link with your class, or let them scan the QR code. Everyone can take the "
    "quiz once, and the results are anonymous."
)
CLASS_COMMANDS = "Code: {code}\nSee the results: /results {code}\nStop it: /closeclass {code}"
RESULTS_USAGE = "Send /results followed by a class code. /classes lists your classes."
# The same words whether the code exists or not: nobody learns which codes are in use.
RESULTS_NOT_ALLOWED = "No class of yours has that code. Send /classes to see your classes."
RESULTS_NOBODY = "Nobody has finished this quiz yet."
CLOSE_USAGE = "Send /closeclass followed by a class code. /classes lists your classes."
CLOSE_NOT_ALLOWED = "No class of yours has that code. Send /classes to see your classes."
CLOSE_DONE = "Class {code} ({title}) is closed: nobody can start or continue it now."
CLASSES_TITLE = "Your classes"
CLASSES_NONE = "You haven't created any classes yet. Send /newclass followed by a quiz id."
GROUP_QUIZ_INTRO = "🧠 {title}: {questions} coming up as quiz polls. Tap your answer!"
LEADERBOARD_TITLE = "🏆 Quiz results"
LEADERBOARD_NOBODY = "Nobody answered this time. Try another quiz with /quiz!"


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 record", "3 records" (`many` for irregular plurals)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def decline_text(status: Status) -> str:
    """What `python -m bot ask` says when a search found nothing to answer with."""
    return EMPTY if status is Status.EMPTY else DECLINED_PLAIN
