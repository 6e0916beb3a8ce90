"""Code the tests, the benchmark and the blind evaluation share: starting assistants
(this checkout, an older commit, the stock Rasa bot) and talking to them."""
