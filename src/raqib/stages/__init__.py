"""Pure NLP stages: plain functions and classes taking and returning ``raqib.contracts`` objects.

Nothing here imports Faust, Kafka or the settings; ``raqib.pipeline.chain`` wraps each in a stage that the
stream agents, ``raqib batch`` and the tests run alike. Follow one article in this order:

- ``clean.clean_article(RawArticle) -> CleanArticle``: boilerplate/repeats out, offset map, dates;
- ``langid.LanguageIdentifier.route(CleanArticle) -> LanguageTaggedArticle``: Arabic or routed aside;
- ``ner.NerTagger.tag_batch([LanguageTaggedArticle]) -> [EntityTaggedArticle]``: Stanza, batched;
- ``linking.Catalogue.link(EntityTaggedArticle) -> EntityTaggedArticle``: gazetteer + actor catalogue;
- ``tagging.EventTagger.tag(EntityTaggedArticle) -> [Event]``: ACLED-typed events with evidence;
- ``stories.StoryIndex``: same incident across articles → one story id, "new" vs "update";
- ``alerts.AlertRules.evaluate(Event) -> [Alert]``.

Bad input raises ``errors.StageError`` subclasses; the caller turns them into DeadLetter records.
"""
