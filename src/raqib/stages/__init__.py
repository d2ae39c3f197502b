"""Pure NLP stages: plain functions and classes taking and returning ``schemas`` objects.

Nothing here imports Faust or Kafka; the same code runs in the stream agents, in ``raqib batch``
(no broker) and in the tests. Follow one article in this order:

- ``clean.clean_article(RawArticle) -> CleanArticle``: boilerplate/repeats out, offset map, dates;
- ``langid.LanguageIdentifier.route(CleanArticle) -> LanguageTaggedArticle``: Arabic or routed aside;
- ``ner.NerTagger.tag_batch([LanguageTaggedArticle]) -> [EntityTaggedArticle]``: Stanza, batched;
- ``linking.Catalogue.link(EntityTaggedArticle) -> EntityTaggedArticle``: gazetteer + actor catalogue;
- ``tagging.EventTagger.tag(EntityTaggedArticle) -> [Event]``: ACLED-typed events with evidence;
- ``stories.StoryIndex``: same incident across articles → one story id, "new" vs "update";
- ``alerts.AlertRules.evaluate(Event) -> [Alert]``.

Bad input raises ``errors.StageError`` subclasses; the caller turns them into DeadLetter records.
"""
