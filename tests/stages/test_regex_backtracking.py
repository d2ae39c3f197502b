"""Every compiled regex at module level (and as a class attribute) in the text layer and the stages (``raqib.text``, ``raqib.stages``) runs in bounded time on
adversarial strings: long runs of the pattern's own characters ending in a mismatch, Arabic letters,
diacritics, tatweel, digits, spaces, punctuation — the inputs that make nested quantifiers backtrack.

The patterns are found by introspection, so a regex added later is covered without editing this file.
Each module is checked in a child process with a wall-clock limit, so a catastrophic pattern fails the
test instead of hanging the suite.
"""

from __future__ import annotations

import importlib
import multiprocessing
import pkgutil
import re
import time

import pytest

PER_CALL_LIMIT_S = 0.5  # linear regexes take milliseconds on these sizes; exponential ones never finish
MODULE_LIMIT_S = 60.0
SMALL, LARGE = 2_000, 8_000  # 4x the input: a linear regex takes ~4x the time, a quadratic one ~16x
GROWTH_LIMIT = 8.0
GROWTH_FLOOR_S = 0.02  # below this, timings are noise
META = set("\\^$.|?*+()[]{}")

GENERIC_RUNS = (
    "ا", "ال ", "قتل ", "\u064e", "ـ", "١", "1", "1,", "1.", " ", "\n", "a", "ab", "-", ".", "/", ":", "،", "\u200b",
    "<p>", "&amp;", "http://", "...", "12:", "2015-", "'", '"', "\t ",
)  # fmt: skip
TAILS = ("", "!", "\x00", "x", "ـ")


def module_patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """{module: [(name, pattern)]} for every ``re.Pattern`` at module level or on a class, in text and stages."""
    found: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    import raqib.stages
    import raqib.text

    names = [f"{pkg.__name__}.{info.name}" for pkg in (raqib.text, raqib.stages) for info in pkgutil.iter_modules(pkg.__path__)]
    for module_name in names:
        module = importlib.import_module(module_name)
        patterns: list[tuple[str, re.Pattern[str]]] = []
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                patterns.append((name, value))
            elif isinstance(value, type) and value.__module__ == module.__name__:
                patterns.extend(
                    (f"{name}.{attr}", v) for attr, v in vars(value).items() if isinstance(v, re.Pattern)
                )
            elif isinstance(value, list | tuple | dict):
                items = value.values() if isinstance(value, dict) else value
                patterns.extend((f"{name}[]", v) for v in items if isinstance(v, re.Pattern))
        if patterns:
            found[module.__name__] = patterns
    return found


def adversarial(pattern: re.Pattern[str], size: int) -> list[str]:
    """Runs of the pattern's literal characters and of generic troublemakers, each ending in a mismatch."""
    source = pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1")
    literal = sorted({ch for ch in source if ch not in META and not ch.isspace()})[:12]
    runs = list(GENERIC_RUNS) + literal + (["".join(literal)] if literal else [])
    return [run * (size // max(len(run), 1)) + tail for run in runs for tail in TAILS]


def _time(pattern: re.Pattern[str], text: str) -> float:
    start = time.perf_counter()
    for _ in pattern.finditer(text):
        pass
    pattern.sub("", text)
    return time.perf_counter() - start


def _check_module(module_name: str, queue: multiprocessing.Queue) -> None:
    """(slowest large-input seconds, worst growth small→large, name) per regex of the module."""
    results: list[tuple[float, float, str]] = []
    for name, pattern in module_patterns()[module_name]:
        if not isinstance(pattern.pattern, str):
            continue
        slowest, growth = 0.0, 0.0
        for small, large in zip(adversarial(pattern, SMALL), adversarial(pattern, LARGE), strict=True):
            t_large = _time(pattern, large)
            slowest = max(slowest, t_large)
            if t_large > GROWTH_FLOOR_S:
                growth = max(growth, t_large / max(_time(pattern, small), 1e-6))
        results.append((slowest, growth, name))
    queue.put(results)


PATTERNS = module_patterns()


def test_the_introspection_finds_the_stage_regexes() -> None:
    total = sum(len(v) for v in PATTERNS.values())
    print(f"\n{total} compiled regexes in {len(PATTERNS)} stage modules")
    assert total >= 20 and "raqib.stages.clean" in PATTERNS


@pytest.mark.parametrize("module_name", sorted(PATTERNS))
def test_no_catastrophic_backtracking(module_name: str) -> None:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = context.Queue()
    child = context.Process(target=_check_module, args=(module_name, queue))
    started = time.monotonic()
    child.start()
    child.join(MODULE_LIMIT_S)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"{module_name}: a regex did not finish within {MODULE_LIMIT_S}s on adversarial input")
    results = queue.get(timeout=5)
    slowest, _, name = max(results)
    print(
        f"\n{module_name}: {len(results)} regexes, slowest {name} {slowest * 1000:.1f} ms on {LARGE} chars "
        f"({time.monotonic() - started:.1f}s)"
    )
    slow = [(n, round(s, 3)) for s, _, n in results if s > PER_CALL_LIMIT_S]
    assert not slow, f"{module_name}: regexes slower than {PER_CALL_LIMIT_S}s on adversarial input: {slow}"
    superlinear = [(n, round(g, 1)) for _, g, n in results if g > GROWTH_LIMIT]
    assert not superlinear, (
        f"{module_name}: time grows super-linearly with input (x{LARGE // SMALL} input): {superlinear}"
    )
