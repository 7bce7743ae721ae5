"""The message checker: paste, forward or screenshot a message and get its red flags."""
