"""One Alembic revision per schema change, numbered 0001, 0002, … in order."""
