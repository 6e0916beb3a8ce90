"""Where Rasa keeps conversations and serialises turns: a tracker store that
fails loudly instead of falling back to memory, and (for several servers) a
lock store with atomic tickets. Named in endpoints.yml by module path."""
