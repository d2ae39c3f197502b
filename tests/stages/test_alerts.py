"""Alert rules: validation with line numbers, matching semantics, suppression, the default rules file."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from raqib.contracts import (
    ActorRef,
    Alert,
    Count,
    Event,
    Evidence,
    Location,
    SideCount,
    decode,
    encode,
    stable_id,
)
from raqib.stages.alerts import (
    DEFAULT_RULES_PATH,
    AlertRules,
    AlertRulesError,
    count_lower_bound,
    parse_duration,
    suppression_key,
)
from raqib.tools.alert_rules import main

SENTENCE = "قُتل 12 مدنياً وأصيب 30 آخرون بغارة جوية روسية على مدينة أريحا جنوب إدلب صباح اليوم."
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC).timestamp()


def make_event(**overrides: object) -> Event:
    """A realistic Event the way the tagger emits it; tests override single fields."""
    fields: dict[str, object] = {
        "event_id": "ev-1",
        "article_id": "art-1",
        "story_id": "st-ariha-1",
        "story_status": "new",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Air/drone strike",
        "plover_type": "ASSAULT",
        "plover_mode": "aerial",
        "actor1": ActorRef(
            actor_id="ru-forces",
            name="Russian armed forces",
            surface="روسية",
            inter_code="external_forces",
            role="attacker",
        ),
        "actor2": ActorRef(
            actor_id=None, name="civilians", surface="مدنياً", inter_code="civilians", role="target"
        ),
        "location": Location(
            place_id="sy-ariha",
            surface="أريحا",
            name_ar="أريحا",
            name_en="Ariha",
            admin1="Idlib",
            admin2="Ariha",
            pcode="SY070300",
            geo_precision=1,
        ),
        "fatalities": Count(exact=12, text="قُتل 12 مدنياً"),
        "injured": Count(exact=30, text="أصيب 30 آخرون"),
        "event_date": date(2024, 3, 1),
        "time_precision": "day",
        "date_basis": "text",
        "evidence": Evidence(sentence=SENTENCE, clean_start=0, clean_end=len(SENTENCE), trigger="غارة جوية"),
        "confidence": 0.9,
        "extractor_version": "test",
        "url": "https://example.org/ariha",
        "ingested_at": datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
    }
    fields.update(overrides)
    return Event(**fields)


def rules_from(text: str) -> AlertRules:
    return AlertRules.from_yaml(text, source="rules.yaml")


ONE_RULE = """\
version: 1
rules:
  - id: r1
    name: Rule one
    severity: warning
    suppress_for: 6h
    when:
{when}
"""


def one_rule(when: str) -> AlertRules:
    indented = "\n".join("      " + line for line in when.strip().splitlines())
    return rules_from(ONE_RULE.format(when=indented))


# --- loading and validation ----------------------------------------------------------------------


def test_default_rules_load_and_cover_severities() -> None:
    rules = AlertRules.default()
    assert rules is AlertRules.default()  # parsed once
    assert len(rules) >= 5
    assert {r.severity for r in rules.rules} == {"info", "warning", "critical"}
    assert len({r.id for r in rules.rules}) == len(rules.rules)
    assert DEFAULT_RULES_PATH.name == "alert_rules.yaml"


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(ONE_RULE.format(when="      min_fatalities: 3"), encoding="utf-8")
    rules = AlertRules.load(path)
    assert [r.id for r in rules.rules] == ["r1"]
    assert rules.rules[0].when.min_fatalities == 3
    assert rules.rules[0].suppress_s == 6 * 3600


def test_errors_name_the_line_of_each_bad_rule() -> None:
    text = """\
version: 1
rules:
  - id: fine
    name: Fine
    severity: info

  - id: broken
    name: Broken
    severity: urgent
    suppress_for: 6 hours
    when:
      min_fatalitys: 3
      event_type: [Battle]
  - name: no id here
    severity: info
"""
    with pytest.raises(AlertRulesError) as info:
        rules_from(text)
    problems = info.value.problems
    assert len(problems) == 5, problems
    by_field = {p.split(": ")[1]: p for p in problems}
    assert by_field["severity"].startswith("rules.yaml:line 9 (rule #2 'broken', starting line 7)")
    assert by_field["suppress_for"].startswith("rules.yaml:line 10 ")
    assert "bad duration '6 hours'" in by_field["suppress_for"]
    assert by_field["when.min_fatalitys"].startswith("rules.yaml:line 12 ")
    assert "unknown field" in by_field["when.min_fatalitys"]
    assert by_field["when.event_type.0"].startswith("rules.yaml:line 13 ")
    assert by_field["id"].startswith("rules.yaml:line 14 (rule #3, starting line 14)")
    assert "Field required" in by_field["id"]
    assert "5 problem(s)" in str(info.value)


def test_duplicate_ids_point_at_the_second_rule() -> None:
    text = "rules:\n  - id: a\n    name: x\n    severity: info\n  - id: a\n    name: y\n    severity: info\n"
    with pytest.raises(AlertRulesError) as info:
        rules_from(text)
    assert info.value.problems == [
        "rules.yaml:line 5 (rule #2 'a', starting line 5): id: Value error, duplicate rule id 'a'"
    ]


def test_yaml_syntax_error_names_a_line() -> None:
    with pytest.raises(AlertRulesError, match=r"line 4 \(in the block starting line 3\): invalid YAML"):
        rules_from("rules:\n  - id: a\n    name: [unclosed\n")


def test_impossible_type_combination_is_rejected() -> None:
    with pytest.raises(
        AlertRulesError, match=r"line 7 \(rule #1 'r1', starting line 3\): when: .*could never fire"
    ):
        one_rule("event_type: [Protests]\nsub_event_type: [Air/drone strike]")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("6h", 21600.0),
        ("30m", 1800.0),
        ("1d", 86400.0),
        ("90s", 90.0),
        ("250ms", 0.25),
        (0, 0.0),
        ("45", 45.0),
    ],
)
def test_parse_duration(value: str | int, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_bad_slug_and_pcode_are_rejected() -> None:
    with pytest.raises(AlertRulesError, match="lowercase slug"):
        rules_from("rules:\n  - id: Bad Id\n    name: x\n    severity: info\n")
    with pytest.raises(AlertRulesError, match="P-code prefix"):
        one_rule("pcode_prefixes: [idlib]")


def test_empty_document_is_zero_rules() -> None:
    assert len(rules_from("")) == 0
    assert rules_from("").evaluate(make_event(), {}, T0) == []


# --- matching --------------------------------------------------------------------------------------


def test_type_and_subtype_conditions() -> None:
    ev = make_event()
    assert one_rule("event_type: [Explosions/Remote violence]").match(ev)
    assert not one_rule("event_type: [Battles, Protests]").match(ev)
    assert one_rule("sub_event_type: [Shelling/artillery/missile attack, Air/drone strike]").match(ev)
    assert not one_rule("sub_event_type: [Suicide bomb]").match(ev)


def test_casualty_thresholds_use_lower_bounds() -> None:
    rule = one_rule("min_fatalities: 10")
    assert rule.match(make_event(fatalities=Count(exact=12)))
    assert not rule.match(make_event(fatalities=Count(exact=9)))
    # 'عشرات القتلى' = 20..99: a 50+ rule must not fire on the upper bound.
    tens = Count(min=20, max=99, text="عشرات القتلى")
    assert one_rule("min_fatalities: 20").match(make_event(fatalities=tens))
    assert not one_rule("min_fatalities: 50").match(make_event(fatalities=tens))
    # 'أكثر من 10' = min only.
    assert rule.match(make_event(fatalities=Count(min=10, text="أكثر من 10")))
    assert not rule.match(make_event(fatalities=None))
    assert not rule.match(make_event(fatalities=Count(max=15, text="حتى 15")))
    # Per-side figures add up when the total is missing or smaller.
    sides = [
        SideCount(actor_id="sy-gov-forces", surface="قوات النظام", count=Count(exact=14)),
        SideCount(actor_id=None, surface="التنظيم", count=Count(exact=5)),
    ]
    assert count_lower_bound(None, sides) == 19
    assert rule.match(make_event(fatalities=None, fatalities_by_side=sides))
    assert one_rule("min_injured: 30").match(make_event())
    assert not one_rule("min_injured: 31").match(make_event())


def test_actor_conditions_by_side_role_and_slot() -> None:
    ev = make_event()
    assert one_rule("actors: [ru-forces]").match(ev)
    assert one_rule("actors: [ru-forces]\nactor_role: attacker").match(ev)
    assert one_rule("actors: [ru-forces]\nactor_role: actor1").match(ev)
    assert not one_rule("actors: [ru-forces]\nactor_role: target").match(ev)
    assert not one_rule("actors: [ru-forces]\nactor_role: actor2").match(ev)
    assert not one_rule("actors: [sy-gov-forces, isis]").match(ev)
    unlinked = make_event(actor1=None)
    assert not one_rule("actors: [ru-forces]").match(unlinked)


def test_place_conditions_names_and_pcodes() -> None:
    ev = make_event()
    assert one_rule("places: [idlib]").match(ev)  # case-insensitive
    assert one_rule("places: [Aleppo, Ariha]").match(ev)  # admin2
    assert not one_rule("places: [Aleppo]").match(ev)
    assert one_rule("pcode_prefixes: [SY07]").match(ev)
    assert not one_rule("pcode_prefixes: [SY02]").match(ev)
    deir = make_event(location=Location(surface="دير الزور", admin1="Deir ez-Zor", geo_precision=3))
    assert one_rule("places: [DEIR EZ ZOR]").match(deir)  # punctuation-insensitive
    assert not one_rule("places: [Idlib]").match(make_event(location=None))
    assert not one_rule("pcode_prefixes: [SY07]").match(deir)  # no pcode known


def test_confidence_and_new_story_only() -> None:
    assert one_rule("min_confidence: 0.9").match(make_event(confidence=0.9))
    assert not one_rule("min_confidence: 0.95").match(make_event(confidence=0.9))
    assert one_rule("new_story_only: true").match(make_event(story_status="new"))
    assert not one_rule("new_story_only: true").match(make_event(story_status="update"))


def test_located_needs_a_place_below_the_country() -> None:
    assert one_rule("located: true").match(make_event())  # a town
    governorate = make_event(location=Location(surface="إدلب", admin1="Idlib", geo_precision=3))
    assert one_rule("located: true").match(governorate)
    country_only = make_event(
        location=Location(surface="سوريا", country_code="SY", geo_precision=4)
    )
    assert not one_rule("located: true").match(country_only)
    assert not one_rule("located: true").match(make_event(location=None))
    assert one_rule("located: false").match(make_event(location=None))


def test_disabled_rules_never_fire() -> None:
    rules = rules_from(
        "rules:\n  - id: disabled-rule\n    name: Switched off\n    severity: critical\n    enabled: false\n"
    )
    assert rules.evaluate(make_event(), {}, T0) == []


# --- evaluation and suppression -----------------------------------------------------------------


def test_alert_fields_are_deterministic_and_readable() -> None:
    rules = one_rule("min_fatalities: 10")
    [alert] = rules.evaluate(make_event(), {}, T0)
    # from the event alone (rule, story cell, incident day), never from process memory such as story ids
    assert alert.alert_id == stable_id("al", "r1", "violence|a2:Ariha", "2024-03-01")
    assert rules.evaluate(make_event(story_id="st-after-a-restart"), {}, T0)[0].alert_id == alert.alert_id
    assert (alert.rule_id, alert.rule_name, alert.severity, alert.story_id) == (
        "r1",
        "Rule one",
        "warning",
        "st-ariha-1",
    )
    assert alert.created_at == datetime.fromtimestamp(T0, UTC)
    assert alert.summary == (
        "[WARNING] Air/drone strike in Ariha, Idlib — 12 killed, 30 injured — "
        "Russian armed forces vs civilians — 2024-03-01 (new, Rule one)"
    )
    assert "\n" not in alert.summary
    # Round-trips through the topic codec.
    assert decode(Alert, encode(alert)) == alert


def test_summary_formats_ranges_and_approximations() -> None:
    ev = make_event(
        fatalities=Count(min=20, max=99, text="عشرات"),
        injured=Count(exact=40, approximate=True, text="نحو 40"),
        actor1=None,
        actor2=None,
        location=Location(surface="الغوطة الشرقية", admin1="Rif Dimashq", geo_precision=2),
    )
    [alert] = one_rule("min_fatalities: 1").evaluate(ev, {}, T0)
    assert alert.summary.startswith(
        "[WARNING] Air/drone strike in الغوطة الشرقية, Rif Dimashq — 20-99 killed, ~40 injured — 2024-03-01"
    )


def test_summary_is_bounded() -> None:
    long_place = Location(surface="قرية " * 100, admin1="Idlib", geo_precision=1)
    [alert] = one_rule("min_fatalities: 1").evaluate(make_event(location=long_place), {}, T0)
    assert len(alert.summary) <= 240
    assert alert.summary.endswith("…")


def test_story_updates_within_window_are_suppressed() -> None:
    rules = one_rule("min_fatalities: 10")
    state: dict[str, float] = {}
    first = rules.evaluate(make_event(), state, T0)
    assert len(first) == 1
    assert state == {first[0].alert_id: T0, suppression_key("r1", "st-ariha-1"): T0}
    # Another outlet, updated toll, one hour later: same story, quiet.
    update = make_event(
        event_id="ev-2", article_id="art-2", story_status="update", fatalities=Count(exact=15)
    )
    assert rules.evaluate(update, state, T0 + 3600) == []
    # The story goes on into the next day (a new incident day): still the same story, still quiet.
    next_day = make_event(event_id="ev-2b", story_status="update", event_date=date(2024, 3, 2))
    assert rules.evaluate(next_day, state, T0 + 7200) == []
    # Another story of the same cell and day is the same alert (one alert id per rule, cell and day).
    assert rules.evaluate(make_event(event_id="ev-3", story_id="st-other"), state, T0 + 3600) == []
    # A story elsewhere alerts at once.
    elsewhere = make_event(
        event_id="ev-4",
        story_id="st-elsewhere",
        location=Location(surface="سراقب", admin1="Idlib", admin2="Idlib", geo_precision=1),
    )
    assert [a.story_id for a in rules.evaluate(elsewhere, state, T0 + 3600)] == ["st-elsewhere"]
    # After the window the same story alerts again, with the same alert id.
    again = rules.evaluate(update, state, T0 + 6 * 3600)
    assert [a.alert_id for a in again] == [first[0].alert_id]
    assert state[suppression_key("r1", "st-ariha-1")] == T0 + 6 * 3600


def test_zero_window_never_suppresses() -> None:
    rules = rules_from("rules:\n  - id: z\n    name: Z\n    severity: info\n    suppress_for: 0\n")
    state: dict[str, float] = {}
    assert len(rules.evaluate(make_event(), state, T0)) == 1
    assert len(rules.evaluate(make_event(), state, T0 + 1)) == 1


def test_several_rules_most_severe_first_and_suppressed_independently() -> None:
    text = """\
rules:
  - id: low
    name: Low
    severity: info
    suppress_for: 1h
  - id: high
    name: High
    severity: critical
    suppress_for: 1d
"""
    rules = rules_from(text)
    state: dict[str, float] = {}
    assert [a.rule_id for a in rules.evaluate(make_event(), state, T0)] == ["high", "low"]
    assert [a.rule_id for a in rules.evaluate(make_event(), state, T0 + 2 * 3600)] == ["low"]
    assert rules.prune(state, T0 + 2 * 86400) == 4  # alert id + (rule, story) entry per rule
    assert state == {}


def test_default_rules_on_realistic_events() -> None:
    rules = AlertRules.default()
    state: dict[str, float] = {}
    fired = {a.rule_id for a in rules.evaluate(make_event(), state, T0)}
    assert fired == {"mass-casualty", "deadly-strike", "mass-injured"}
    chem = make_event(
        story_id="st-chem", sub_event_type="Chemical weapon", fatalities=None, injured=Count(min=20, max=99)
    )
    assert [a.rule_id for a in rules.evaluate(chem, state, T0)] == ["chemical-weapon"]
    protest = make_event(
        story_id="st-protest",
        event_type="Protests",
        sub_event_type="Peaceful protest",
        plover_type="PROTEST",
        fatalities=None,
        injured=None,
    )
    assert rules.evaluate(protest, state, T0) == []
    damascus = make_event(
        story_id="st-dam",
        fatalities=Count(exact=2),
        injured=None,
        location=Location(surface="المزة", admin1="Damascus", geo_precision=1),
    )
    assert {a.rule_id for a in rules.evaluate(damascus, state, T0)} == {"deadly-strike", "capital-violence"}
    somewhere_in_syria = make_event(
        story_id="st-vague", location=Location(surface="سوريا", country_code="SY", geo_precision=4)
    )
    assert rules.evaluate(somewhere_in_syria, state, T0) == []  # no place: nobody is paged


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_check_and_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert "mass-casualty" in capsys.readouterr().out
    assert main(["check", "--json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in parsed} >= {"mass-casualty", "chemical-weapon"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    name: x\n    severity: loud\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert f"{bad}:line 4" in capsys.readouterr().err
    events = tmp_path / "events.jsonl"
    events.write_text(
        make_event().model_dump_json() + "\n" + make_event().model_dump_json() + "\n", encoding="utf-8"
    )
    assert main(["test", str(events)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 alert(s)"  # the second copy is suppressed
    assert main(["test", str(events), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [Alert.model_validate_json(line).rule_id for line in lines] == [
        "mass-casualty",
        "deadly-strike",
        "mass-injured",
    ]


def test_yaml_booleans_get_a_quoting_hint() -> None:
    with pytest.raises(
        AlertRulesError,
        match=r"line 2 .*id: Input should be a valid string \(YAML read False: quote the value\)",
    ):
        rules_from("rules:\n  - id: off\n    name: x\n    severity: info\n")
