"""The project's own package: settings, database, staff console and widget server.

Nothing in here imports `rasa`, so it stays light and testable on its own.
"""
