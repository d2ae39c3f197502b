"""raqib (رقيب, "the watchman"): raw Arabic news in, structured conflict events, alerts and metrics out.

Layers, each importing only those below it (checked by import-linter, ``pyproject.toml``): ``tools`` >
``streams`` (Faust) > ``pipeline`` (the stage chain) > ``observability`` > ``settings`` > ``stages`` (pure NLP)
> ``text`` (normalisation, tokens, words) > ``contracts`` (message schemas and topics).
"""
