"""Rasa channel connectors of our own (they extend Rasa's)."""
