"""The rasa-sdk action server: one module per concern."""
