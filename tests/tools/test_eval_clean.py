"""``raqib eval clean``: the count of articles that lose more than half their characters in cleaning."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from raqib.tools.eval_clean import evaluate, main, measure

ARTICLE = (
    "قصفت طائرات حربية مواقع في ريف إدلب الجنوبي صباح اليوم، ما أدى إلى مقتل ثلاثة مدنيين وإصابة "
    "خمسة آخرين بجروح، بحسب ما أفاد به الدفاع المدني السوري."
)


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def test_losses_are_counted_on_visible_characters(tmp_path: Path) -> None:
    rows = [
        {"id": "kept", "text": ARTICLE},
        {
            "id": "menu",
            "text": "\n".join(["الرئيسية", "أخبار", "رياضة", "اقتصاد", "اتصل بنا", "من نحن"] * 3)
            + "\nوقتل طفلان في القصف على ريف إدلب.",
        },
        {"id": "empty", "text": "https://example.com/only-a-link"},
    ]
    path = _write(tmp_path / "corpus.jsonl.gz", rows)
    assert measure(rows[0]).lost_share == 0.0
    empty = measure(rows[2])
    assert empty.error == "empty_text" and empty.lost_share == 1.0
    report = evaluate(path, threshold=0.5)
    assert report.articles == 3 and report.rejected == 1
    assert {loss.article_id for loss in report.over_threshold} == {"menu", "empty"}


def test_cli_names_a_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not JSON"):
        main([str(path)])
    good = _write(tmp_path / "ok.jsonl.gz", [{"id": "a", "text": ARTICLE}])
    assert main([str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["articles"] == 1 and out["lose_more_than_threshold"] == 0
