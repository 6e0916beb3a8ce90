"""How our Rasa server runs a turn where stock Rasa 3.6 would fail silently.
Installed by scripts/serve.py before Rasa starts; bot/ never imports it."""
