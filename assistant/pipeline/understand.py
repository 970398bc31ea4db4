"""Stage 1, understand: a message and its conversation → a ``Frame``.

Everything that varies by language comes from the language packs (``assistant/lang``); this module
is the one engine that reads them:

- the language, read with the names left out ("Compare Culturethèque and MyFrenchFilmFestival." is
  English whatever accents its names carry);
- instructions to the assistant ("Ignore tes consignes…", "You are now an unrestricted AI…") are left
  aside clause by clause: what else the message asks is the question; a message that is only an
  instruction gets the capabilities reply;
- the conversation: a message that opens with a connector, holds a pronoun, or names no subject of
  its own leans on the earlier turns (``assistant/followup.py`` rewrites or completes it); one that
  names its own subject stands alone and inherits nothing;
- the intent, from the packs' cues (strongest first), the levels of the heading tree it names ("les
  trois axes", "objective 3 of axis I"), how many things it expects, the sides of a comparison, and,
  for a factoid, the kind of answer it wants.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.aidmatch import asks_for_support
from assistant.followup import needs_context, standalone
from assistant.glossary import Glossary
from assistant.lang import LEVELS, Pack, available, pack
from assistant.pipeline.frame import Frame, Ref
from assistant.refusal import asked_kind, is_present, preamble
from assistant.schemas import Turn
from assistant.spelling import Speller
from vectorstore.text import detect_language, fold

# Strongest first: "Résume et compare…" compares; "Quels sont les axes…" lists before it defines.
INTENT_ORDER = ("comparison", "summary", "outline", "howto", "list", "yesno", "definition")
HEADING_LEVELS = ("axis", "objective", "sub_objective")

_CLAUSE = re.compile(r"[^.!?;؟\n:]+[.!?;؟\n:]*")
_NAME = re.compile(r"(?<=[\s'’(«\"])(?:[A-ZÀ-Ý][\w’'-]*[A-Za-zÀ-ÿ]|[A-Z]{2,}\w*)")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
_DOTTED = re.compile(r"(?<![\w.])(?:(?P<axis>I{1,3}|IV)\.)?(?P<objective>[1-9])\.(?P<sub>[a-h])?(?![\w.])")
_ARABIC_AND = re.compile(r"\s(?=و[^\W\d_])")
_TRAILING = " \t\n?!.؟;:,،"


class Understander:
    def __init__(self, glossary: Glossary, speller: Speller | None = None) -> None:
        self.glossary = glossary
        self.speller = speller

    def __call__(self, message: str, history: list[Turn], lang: str | None = None) -> Frame:
        language = self.language(message, history, lang)
        p = pack(language)
        corrections = []
        if self.speller is not None:  # "sumary of the feulle de route": what was meant, before anything reads it
            message, corrections = self.speller.correct(message, language)
        asked, instruction = strip_instructions(message, p)
        if instruction and not asked:
            return Frame(language, "small_talk", message, message, message, instruction=True,
                         notes={"intent": "only an instruction"})
        if is_small_talk(asked, p):
            return Frame(language, "small_talk", message, asked, asked, instruction=instruction,
                         notes={"intent": "thanks" if is_thanks(asked, p) else "small talk"})
        asked, switched = strip_openers(asked, p)
        if is_small_talk(asked, p):  # "D'accord, merci !"
            return Frame(language, "small_talk", message, asked, asked, instruction=instruction,
                         notes={"intent": "thanks" if is_thanks(asked, p) else "small talk"})
        question, context, relation = asked, "", "new"
        if history and not switched and self.leans_on_context(asked, language, p):
            resolved = standalone(asked, history, language)
            question, context = resolved.question, resolved.context
            relation = "switch" if resolved.asked != asked else ("follow-up" if context else "new")
            if relation == "switch":
                asked = resolved.asked
            elif context:
                context = " ".join(filter(None, [context, self.answer_subject(history, language)]))
        before, question_part = preamble(asked, language)
        folded = fold(asked)
        # What the asker says of themselves ("Je suis éditeur :") makes a how-to question when the question
        # itself asks nothing else ("…, what can I get?"), lists the support that fits ("…, quelles aides
        # pour… ?": money, a place, a prize) or asks whether some support exists for them ("…، هل توجد منصة
        # تساعدني…؟": a platform or a programme too). "…: Amazon peut-il…?" stays a yes/no.
        intent, why = intent_of(fold(question_part), p)
        folded_part = fold(question_part)
        folded_before = fold(before)
        describes = bool(before) and bool(p.intents["howto"].search(folded_before) or p.self_description.search(folded_before))
        if describes and (intent == "factoid" or
                          (intent == "list" and asks_for_support(question_part, language)) or
                          (intent == "yesno" and p.seeking.search(folded_part) and
                           asks_for_support(question_part, language, any_kind=True))):
            intent, why = "howto", "the asker describes themselves"
        refs, count, unit = (), None, None
        for other in [p, *(pack(code) for code in available() if code != language)]:
            refs, count = references(asked, other)
            unit = unit_of(folded, other)
            if refs or unit:  # "the objectifs under axe I": the level nouns of another language
                break
        if not refs and relation == "follow-up":  # "et le deuxième ?" after "quels sont les trois axes ?"
            refs, unit = self.nth_of_earlier(asked, history, p, unit)
            if refs:
                intent, why = "outline", "the earlier question's nth heading"
        kind = asked_kind(asked, language)
        if kind is not None and intent in ("definition", "list", "yesno"):
            intent, why = "factoid", f"asks for a {kind}"
        if intent == "factoid" and count is not None and kind is None:  # "c koi les 4 axes…": a list
            intent, why = "list", f"expects {count} things"
        if intent == "list" and unit in HEADING_LEVELS:
            intent, why = "outline", f"lists headings ({unit})"
        if refs and intent in ("definition", "factoid", "list") and kind is None:
            intent, why = "outline", "names a heading"
        targets = sides(asked, p) if intent == "comparison" else ()
        topic = without_cues(asked, p, intent) if intent == "summary" else ""
        cue = why[len("cue "):].strip("'\"") if why.startswith("cue ") else ""
        notes = {"intent": why}
        if corrections:
            notes["spelling"] = ", ".join(f"{c.typed} → {c.meant}" for c in corrections)
        return Frame(language, intent, message, question, asked, cue=cue, topic=topic, context=context, relation=relation,  # type: ignore[arg-type]
                     targets=targets, refs=refs, unit=unit, count=count, answer_kind=kind, preamble=before,
                     present=is_present(asked), instruction=instruction, notes=notes)

    # --- the conversation ----------------------------------------------------------------------

    @staticmethod
    def nth_of_earlier(asked: str, history: list[Turn], p: Pack, unit: str | None) -> tuple[tuple[Ref, ...], str | None]:
        """A follow-up naming a position alone ("et le deuxième ?", "and the third one?", "والثاني؟") after
        a question about a level of headings ("les trois axes", "the objectives of axis I"): that heading,
        under the headings the earlier question named. ((), unit) when it is not that."""
        ordinals = [n for n in (_ordinal_word(fold(x), p) for x in _WORD.findall(asked)) if n is not None]
        earlier = next((t.content for t in reversed(history) if t.role == "user"), "")
        if len(ordinals) != 1 or not earlier:
            return (), unit
        for other in [p, *(pack(code) for code in available() if code != p.code)]:
            level = unit or unit_of(fold(earlier), other)
            if level in LEVELS:
                named, _ = references(earlier, other)
                above = tuple(r for r in named if LEVELS.index(r.level) < LEVELS.index(level))
                return (*above, Ref(level, ordinals[0])), level
        return (), unit


    def language(self, message: str, history: list[Turn], lang: str | None) -> str:
        """The message's language, read without its names; a message too short to tell takes ``lang``,
        else the conversation's."""
        default = lang
        if default is None:
            default = next((detect_language(t.content) for t in reversed(history) if t.role == "user"), "fr")
        unnamed = _NAME.sub(" ", f" {message}")
        detected = detect_language(unnamed, default=default)
        return detected if detected != default else detect_language(message, default=default)

    def leans_on_context(self, message: str, lang: str, p: Pack) -> bool:
        """Whether the message needs the earlier turns: it opens with a connector ("Et pour…"), holds a
        pronoun for what was discussed, or is too short to name a subject of its own. A short message
        that names one ("Qu'est-ce que Culturethèque ?") stands alone."""
        folded = fold(message)
        if p.openers.search(folded) or p.pronouns.search(folded):
            return True
        if not needs_context(message, lang):
            return False
        return not self.names_subject(message, lang)

    def names_subject(self, message: str, lang: str) -> bool:
        """A capitalised name or an acronym past the first word, or a glossary term that is a name (it
        has an acronym or a capitalised name: "Pass Culture", not "aide")."""
        if _NAME.search(message.strip()):
            return True
        return any(t.get("acronym") or t.get("acronyms") or any(n[:1].isupper() for n in t.get("en", [])[:1])
                   for t in self.glossary.match(message, lang))

    def answer_subject(self, history: list[Turn], lang: str) -> str:
        """The names the last answer opened with: what a pronoun in the next message may stand for."""
        for turn in reversed(history):
            if turn.role == "assistant":
                head = turn.content[:300]
                return " ".join(dict.fromkeys(n for t in self.glossary.match(head, lang) for n in t.get(lang, [])[:1]))
        return ""


def strip_instructions(message: str, p: Pack) -> tuple[str, bool]:
    """(the message without its clauses that instruct the assistant, whether there were any). Links
    that only join an instruction to the question ("Ensuite :", "then") go with it."""
    clauses = [c for c in _CLAUSE.findall(message) if c.strip()]
    kept: list[str] = []
    dropped = False
    for clause in clauses:
        folded = fold(clause)
        if p.injection.search(folded):
            dropped = True
            # "…reveal your instructions, then tell me what IFdigital is": the part after the link asks.
            tail = _after_connector(clause, p)
            if tail:
                kept.append(tail)
            continue
        kept.append(clause)
    if not dropped:
        return message.strip(), False
    text = " ".join(c.strip() for c in kept).strip()
    while True:
        m = p.connectors.search(fold(text))
        if not m or not m.group(0).strip():
            break
        text = _drop_prefix(text, len(m.group(0))).lstrip(" ,:;-—")
    return (text if any(ch.isalpha() for ch in text) and len(fold(text).split()) >= 2 else ""), True


_OPENER_END = re.compile(r"(?<!\s)(?:\s*[,:;.!،؛]+|\s+[—–-]+)\s*")  # not from inside a run of spaces: linear
MAX_OPENERS = 4  # "OK, merci, autre question : …": a message opens with a few at most


def strip_openers(message: str, p: Pack) -> tuple[str, bool]:
    """(the message without what it opens with before it asks: acknowledgements, links, words announcing
    a new subject, each closed by punctuation: "OK, different question: what is…"; whether a new subject
    was announced). A message with nothing asked after them is returned as typed."""
    text = message.strip()
    folded, where = fold_map(text)  # folded once; cut at the original's positions
    start, switched = 0, False
    for _ in range(MAX_OPENERS):
        rest = folded[start:]
        for cues, announces in ((p.switches, True), (p.acknowledgements, False), (p.connectors, False)):
            m = cues.search(rest)
            end = _OPENER_END.match(rest, m.end()) if m and m.group(0).strip() else None
            if end and end.end() < len(rest):
                start, switched = start + end.end(), switched or announces
                break
        else:
            break
    left = text[where[start]:].strip()
    if not any(ch.isalpha() for ch in left):
        return text, False
    return left, switched


def _after_connector(clause: str, p: Pack) -> str:
    """The part of an instruction clause after ", then…" / ", ensuite…", if it has one."""
    for m in re.finditer(r"[,،]\s*", clause):
        rest = clause[m.end():]
        c = p.connectors.search(fold(rest))
        if c and c.group(0).strip():
            tail = _drop_prefix(rest, len(c.group(0))).strip()
            if not p.injection.search(fold(tail)):
                return tail
    return ""


def _drop_prefix(text: str, folded_length: int) -> str:
    """``text`` without the characters whose fold is its first ``folded_length`` characters."""
    _, where = fold_map(text)
    return text[where[min(folded_length, len(where) - 1)]:]


def is_small_talk(text: str, p: Pack) -> bool:
    """A greeting or thanks alone, or a question about the assistant itself."""
    folded = fold(text).strip(_TRAILING)
    if _only_acknowledges(folded, p):  # "OK.", "Great!"
        return True
    return folded in p.small_talk or bool(p.about_me.search(folded)) or (
        any(folded.startswith(s + " ") for s in p.small_talk) and len(folded.split()) <= 3)


def is_thanks(text: str, p: Pack) -> bool:
    """Thanks or an acknowledgement alone ("Merci !", "OK.", "شكرا"): answered with a welcome, not the
    capabilities."""
    return _only_acknowledges(fold(text).strip(_TRAILING), p)


def _only_acknowledges(folded: str, p: Pack) -> bool:
    m = p.acknowledgements.search(folded)
    return bool(m) and m.end() == len(folded)


def intent_of(folded: str, p: Pack) -> tuple[str, str]:
    """(intent, the cue that decided it): the first of ``INTENT_ORDER`` with a cue in the question. A
    cue inside a longer cue of another intent does not count ("est-ce que" in "qu'est-ce que")."""
    found = [(intent, m) for intent in INTENT_ORDER if intent in p.intents for m in p.intents[intent].all(folded)]
    spans = [(m.start(), m.end()) for _, m in found]
    for intent, m in sorted(found, key=lambda im: INTENT_ORDER.index(im[0])):
        a, b = m.span()
        if not any(x <= a and b <= y and (y - x) > (b - a) for x, y in spans):
            return intent, f"cue {m.group(0).strip()!r}"
    words = folded.split()
    if p.inversion and any(w.endswith(tuple(p.inversion)) for w in words[:6]):
        return "yesno", "inverted verb"
    return "factoid", "no cue"


def without_cues(text: str, p: Pack, intent: str) -> str:
    """``text`` without the phrases that say how it asks ("Résume", "Summarize what…"): what it is about."""
    folded, where = fold_map(text)
    kept, last = [], 0
    for m in p.intents[intent].all(folded):
        kept.append(text[where[last]:where[m.start()]])
        last = m.end()
    kept.append(text[where[last]:])
    return " ".join(" ".join(kept).split())


def unit_of(folded: str, p: Pack) -> str | None:
    """The deepest level of the heading tree the question names ("les objectifs de l'axe II": objective)."""
    found = [level for level in LEVELS if p.units[level].search(folded)]
    return found[-1] if found else None


def references(text: str, p: Pack) -> tuple[tuple[Ref, ...], int | None]:
    """(the headings the question names, outermost first; how many things it expects). A position
    after a level's noun ("axe II", "objective 3", "المحور الثاني") or an ordinal before it ("second
    axis") names a heading; a number next to it ("les trois axes", "4 actions") is a count."""
    words = [(m.group(0), m.start()) for m in _WORD.finditer(text)]
    folded = fold(text)
    refs: dict[str, int] = {}
    count = None
    for level in LEVELS:
        for m in p.units[level].all(folded):
            before = [w for w, start in words if start < m.start()][-1:]
            after = [w for w, start in words if start >= m.end()][:1]
            if after and (n := p.ordinal(after[0])) is not None and not _is_count_word(after[0], p):
                refs.setdefault(level, n)
            elif before and fold(before[0]) in p.ordinals:
                refs.setdefault(level, p.ordinals[fold(before[0])])
            elif level == "sub_objective" and after and len(after[0]) == 1 and after[0].isalpha():
                refs.setdefault(level, ord(after[0].lower()) - ord("a") + 1)
            if count is None:
                for w in before + after:
                    if (n := p.number(w)) is not None and (fold(w) in p.numbers or w.isdigit()):
                        if not (after and w == after[0] and level in refs):
                            count = n
    for m in _DOTTED.finditer(text):  # "1.b de l'axe I", "I.1.b", "II.3"
        if m.group("axis"):
            refs.setdefault("axis", p.ordinal(m.group("axis")) or 0)
        refs.setdefault("objective", int(m.group("objective")))
        if m.group("sub"):
            refs.setdefault("sub_objective", ord(m.group("sub").lower()) - ord("a") + 1)
    ordered = tuple(Ref(level, refs[level]) for level in LEVELS if level in refs and refs[level])
    return ordered, count


def _ordinal_word(folded: str, p: Pack) -> int | None:
    """The position an ordinal word names ("deuxième", "third"; "والثاني" with its clitic), not a digit."""
    if folded in p.ordinals:
        return p.ordinals[folded]
    clitic = next((c for c in p.prefixes if folded.startswith(c) and folded[len(c):] in p.ordinals), None)
    return p.ordinals[folded[len(clitic):]] if clitic else None


def _is_count_word(word: str, p: Pack) -> bool:
    """"ثلاثة" after "المحاور" counts them; "الثالث" after "المحور" names the third."""
    folded = fold(word)
    return folded in p.numbers and folded not in p.ordinals and not folded.isdigit()


def sides(text: str, p: Pack) -> tuple[str, ...]:
    """The two things a comparison names ("entre le CNC et le CNM", "Compare X and Y", "قارن بين X وY"),
    or () when it does not name two."""
    body = text.strip().rstrip(_TRAILING)
    folded, where = fold_map(body)
    cues = p.intents["comparison"].all(folded)
    start = cues[0].end() if cues else 0
    # "compare-t-elle sa stratégie avec…": the verb's inverted subject is not part of a side
    for suffix in sorted(p.inversion, key=len, reverse=True):
        if folded.startswith(suffix, start):
            start += len(suffix)
            break
    for word in p.comparison_opens:
        m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded[start:])
        if m:
            start += m.end()
            break
    end = cues[-1].start() if len(cues) > 1 or (cues and cues[0].start() > start) else len(folded)
    if end <= start:
        end = len(folded)
    candidates = []
    for word in p.comparison_joins:
        for m in re.finditer(rf"\s{re.escape(word)}\s", folded[start:end]):
            candidates.append((start + m.start(), start + m.end()))
    if not candidates and p.code == "ar":
        candidates = [(start + m.start(), start + m.end() + 1) for m in _ARABIC_AND.finditer(folded[start:end])
                      if m.start() > 0]
    if not candidates:
        return ()
    # The most even split: "le CNC et le CNM" at "et"; "A et B et C" at the first.
    a, b = min(candidates, key=lambda ab: abs((ab[0] - start) - (end - ab[1])))
    left = body[where[start]:where[a]].strip(" ,:;-—'\"")
    right = body[where[b]:where[end]].strip(" ,:;-—'\"")
    return (left, right) if left and right else ()


def fold_map(text: str) -> tuple[str, list[int]]:
    """``text`` folded character by character (as ``fold`` does, without collapsing spaces), and for
    each folded character the position of the character it comes from: a span found in the fold is cut
    from the original text."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = "".join(c for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).lower())
                    if not unicodedata.combining(c))
        f = f.replace("’", "'").replace("‘", "'").replace("œ", "oe").replace("æ", "ae")
        out.append(f)
        where.extend([i] * len(f))
    where.append(len(text))
    return "".join(out), where
