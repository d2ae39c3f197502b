"""The one text layer: the matching form (``normalize``), Stanza's tokens (``tokenize``), words with their
clitic-stripped stems (``words``) and an article's analysis built once (``document``)."""
