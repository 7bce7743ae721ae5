"""Fixed things the bot says. Knowledge (answers, hotlines, privacy) comes from the YAML files."""

from __future__ import annotations

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
    ("/topics", "browse everything I know, topic by topic"),
    ("/tips", "a random red flag to remember"),
    ("/report", "what to do now and who to call, by region"),
    ("/privacy", "what I store and for how long"),
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
    "This deletes everything ScamWise stores about you (your quiz progress and answers). "
    "It cannot be undone. Delete it?"
)
FORGET_DONE = "Done: everything stored about you has been deleted ({count} records)."
FORGET_CANCELLED = "OK, nothing was deleted."
TIP_TITLE = "💡 Red flag to remember"
ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
