"""Custom Rasa NLU components and the spaCy pipeline they rely on.

Rasa imports this package before it builds the training graph, which is when
the answers' wording must leave the NLU training data (components/training_cache.py).
"""
from components import training_cache

training_cache.install()
