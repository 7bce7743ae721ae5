"""Quizzes: YAML quiz files, attempts and classes in the store, charts and QR codes.

Nothing here imports `telegram`; the conversation core renders quiz results as replies.
Import submodules directly (`bot.quizzes.loader`, `bot.quizzes.engine`, ...): this package
imports nothing itself, so validating quizzes does not load SQLAlchemy or matplotlib.
"""
