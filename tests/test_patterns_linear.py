"""Every compiled regular expression of the code base runs in about linear time on hostile input.

A pattern that backtracks quadratically lets one request hold a worker for seconds (issue 23: a history
turn ``"and what about " + ".!" * 9900 + "x"`` took 4.8 s on the follow-up path). This test finds the
patterns itself — every ``re.Pattern`` a module of ``assistant``, ``vectorstore``, ``ingest`` or ``web``
holds at module level, in a container there or on a class — so a module added tomorrow is covered too,
and runs each on inputs at the request limit built from the pattern's own literals and punctuation.

Patterns written inside functions (``re.sub(r"…", …)`` in a method) are found in the source, and the
language packs' patterns (built from ``assistant/lang/*.yaml`` when a pack loads) on the loaded packs.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

PACKAGES = ("assistant", "vectorstore", "ingest", "web")
# The longest text a request can hand to a pattern: the history's total (MAX_HISTORY_CHARS' default).
LIMIT = 20_000
NORMAL = "Quelles aides du CNC existent pour la musique ? And what about museums, [1] — وماذا عن المتاحف؟"
# A pattern may take this many times its time on a normal question, scaled to the input's length (a
# linear pattern is allowed its length), and never fails under the floor: a quadratic one on 20,000
# characters takes seconds, a linear one milliseconds.
FACTOR = 50
FLOOR_S = 0.2
PUNCTUATION = ".!?,;:'\"-–—()[]«»؟،؛*#/\\|"


def _modules() -> Iterator[ModuleType]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def _patterns_in(value: object, depth: int = 0, objects: bool = False) -> Iterator[re.Pattern[str]]:
    """The patterns ``value`` holds, in containers and (``objects``) in the project's own objects."""
    if isinstance(value, re.Pattern):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item, depth + 1, objects)
    elif depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _patterns_in(item, depth + 1, objects)
    elif depth < 3 and objects and type(value).__module__.startswith(PACKAGES) and hasattr(value, "__dict__"):
        for item in vars(value).values():
            yield from _patterns_in(item, depth + 1, objects)


def collect() -> dict[tuple[object, int], tuple[re.Pattern[str], str]]:
    """Each distinct pattern, with where it was found first."""
    found: dict[tuple[object, int], tuple[re.Pattern[str], str]] = {}
    for module in _modules():
        for attr, value in vars(module).items():
            where = f"{module.__name__}.{attr}"
            values = [value]
            if isinstance(value, type) and value.__module__ == module.__name__:
                values = list(vars(value).values())
            for v in values:
                for pattern in _patterns_in(v):
                    found.setdefault((pattern.pattern, pattern.flags), (pattern, where))
    return found


_RE_CALLS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "split", "sub", "subn"}


def _flags(node: ast.expr | None) -> int:
    """``re.I | re.S``-style flags, as written; anything else counts as none."""
    if node is None:
        return 0
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
        return int(getattr(re, node.attr, 0))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    return 0


def written_inline() -> Iterator[tuple[re.Pattern[str], str]]:
    """Every ``re.<function>("literal", …)`` call of the packages' source, wherever it stands."""
    root = Path(__file__).resolve().parents[1]
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                        and node.func.attr in _RE_CALLS and node.args
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    continue
                position = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2,
                            "split": 3, "sub": 4, "subn": 4}[node.func.attr]
                flags = next((k.value for k in node.keywords if k.arg == "flags"),
                             node.args[position] if len(node.args) > position else None)
                yield re.compile(node.args[0].value, _flags(flags)), f"{path.relative_to(root)}:{node.lineno}"


def held_by_language_packs() -> Iterator[tuple[re.Pattern[str], str]]:
    from assistant.lang import available, pack

    for code in available():
        for attr, value in vars(pack(code)).items():
            for pattern in _patterns_in(value, objects=True):
                yield pattern, f"assistant.lang.{code}.{attr}"


PATTERNS = collect()
for _pattern, _where in [*written_inline(), *held_by_language_packs()]:
    PATTERNS.setdefault((_pattern.pattern, _pattern.flags), (_pattern, _where))


def _literals(source: str) -> list[str]:
    """The words and phrases a pattern spells out (its alternatives' literal text)."""
    text = re.sub(r"\(\?(?:[:=!>]|<[=!]|P<\w+>|[aiLmsux-]+[:)])|\\[pPdDwWsSbBAZ]|\\.", " ", source)
    words = {w.strip() for w in re.split(r"[|()\[\]{}?*+^$.]", text) if len(w.strip()) >= 2}
    return sorted(words, key=lambda w: (-len(w), w))


def adversarial(source: str, n: int = LIMIT) -> Iterator[str]:
    """Inputs of about ``n`` characters that make a backtracking pattern try every split."""
    chars = sorted({c for c in source if c in PUNCTUATION or c.isspace()} | {".", "!", "?", " ", "؟", "\n"})
    for c in chars:
        yield c * n + "x"
        yield "x" + c * n
    yield ".!" * (n // 2) + "x"
    yield "?." * (n // 2) + " x"
    yield " ." * (n // 2) + "x"
    yield "ه" * n + "x"
    yield "ه " * (n // 2) + "x"
    yield "ا ؟" * (n // 3) + "x"
    yield "a" * n + "!"
    yield "a " * (n // 2) + "!"
    yield "A1" * (n // 2) + "-"
    yield "[1]" * (n // 3) + "x"
    for i, word in enumerate(_literals(source)[:80]):
        for c in (" ", "?", ".!") if i >= 12 else (" ", "?", ".!", "\n", "-", "؟"):
            yield word + c * ((n - len(word)) // len(c)) + "x"
        if i < 12:
            yield (word + " ") * (n // (len(word) + 1)) + "x"
    yield "and what about " + ".!" * (n // 2) + "x"
    yield "et pour la musique" + "?" * n + "x"
    yield "وماذا عن " + "؟" * n + "x"


def _time(pattern: re.Pattern[str], text: str) -> float:
    start = time.perf_counter()
    pattern.search(text)
    pattern.fullmatch(text)
    for _ in zip(range(1000), pattern.finditer(text)):
        pass
    return time.perf_counter() - start


def test_patterns_are_found() -> None:
    # The follow-up patterns of issue 23 and a web one, so a broken walk cannot pass by finding nothing.
    wheres = {where for _, where in PATTERNS.values()}
    assert any(w.startswith("assistant.followup._SWITCH") for w in wheres), sorted(wheres)
    assert any(w.startswith("web.") for w in wheres)
    assert any(w.startswith("assistant.lang.fr.") for w in wheres)  # a language pack's
    assert any(":" in w and w.endswith(tuple("0123456789")) for w in wheres)  # one written inside a function
    assert len(PATTERNS) > 30


def test_adversarial_inputs_are_built_from_the_pattern() -> None:
    inputs = list(adversarial(r"^\s*(?:and|but)\s+(?P<rest>.+?)\s*[?!.]*\s*$", n=100))
    assert "and" + " " * 97 + "x" in inputs and "but" + "?" * 97 + "x" in inputs
    assert "?" * 100 + "x" in inputs and ".!" * 50 + "x" in inputs


def _cases() -> list[object]:
    return [pytest.param(key, id=where) for key, (_, where) in PATTERNS.items()]


@pytest.mark.parametrize("key", _cases())
def test_pattern_is_linear_on_hostile_input(key: tuple[object, int]) -> None:
    pattern, where = PATTERNS[key]
    if isinstance(pattern.pattern, bytes):
        pytest.skip("bytes pattern: reads no user text")
    normal = min(_time(pattern, NORMAL) for _ in range(3))
    bound = max(FLOOR_S, FACTOR * normal * LIMIT / len(NORMAL))
    for text in adversarial(pattern.pattern):
        took = _time(pattern, text)
        if took > bound:  # once more, so a busy machine cannot fail it alone
            took = min(took, _time(pattern, text))
        assert took <= bound, (
            f"{where} = re.compile({pattern.pattern!r}) took {took:.2f} s on {text[:40]!r}… "
            f"({len(text)} characters; a normal question: {normal * 1e6:.0f} µs)"
        )
