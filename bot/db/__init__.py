"""The project's own tables (next to Rasa's tracker store), through SQLAlchemy."""
