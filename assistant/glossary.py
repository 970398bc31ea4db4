"""Query expansion across languages with the corpus glossary (terms and acronyms in FR/EN/AR).

Terms are matched on stems, so "grants" finds "grant" and "ألعاب الفيديو" finds its entry whatever the
clitics; acronyms are matched as written (case-sensitive, whole words) so "if" is never "IF".
"""

from __future__ import annotations

import re

from vectorstore.text import tokenize

LANGS = ("fr", "en", "ar")


class Glossary:
    def __init__(self, terms: list[dict]) -> None:
        self.terms = terms
        # Each term's names as stems, per language, filed under their first stem: a question is only
        # compared with the names that start with one of its own stems.
        self._forms: dict[str, dict[str, list[tuple[int, str, int]]]] = {lang: {} for lang in LANGS}
        acronyms: dict[str, int] = {}
        order = 0
        for i, t in enumerate(terms):
            for a in t.get("acronyms", []):
                acronyms.setdefault(a, i)
            for lang in LANGS:
                for s in t.get(lang, []):
                    stems = tokenize(s, lang)
                    if stems:
                        self._forms[lang].setdefault(stems[0], []).append((order, f" {' '.join(stems)} ", i))
                        order += 1
        # Every token of a term's names (all languages, acronyms), tokenised for each question language.
        self._tokens = {id(t): {lang: self._tokenize_names(t, lang) for lang in LANGS} for t in terms}
        # Each full name and each acronym as its own set of tokens, per language (``named_in``).
        self._spelled = {id(t): {lang: _spellings(t, lang) for lang in LANGS} for t in terms}
        # One alternation for every acronym, longest first, matched as whole words.
        self._acronym_term = acronyms
        alternation = "|".join(re.escape(a) for a in sorted(acronyms, key=len, reverse=True))
        self._acronym_re = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)") if acronyms else None

    def match(self, query: str, lang: str) -> list[dict]:
        """Terms the query names, in its language or by acronym."""
        hits: list[int] = []
        for m in self._acronym_re.finditer(query) if self._acronym_re else ():
            i = self._acronym_term[m.group(0)]
            if i not in hits:
                hits.append(i)
        q = tokenize(query, lang)
        joined = f" {' '.join(q)} "
        forms = self._forms.get(lang, {})
        for _, name, i in sorted(form for stem in set(q) for form in forms.get(stem, ())):
            if i not in hits and name in joined:
                hits.append(i)
        return [self.terms[i] for i in hits]

    def expand(self, query: str, lang: str, target: str | None = None, terms: list[dict] | None = None) -> list[str]:
        """Equivalents (in ``target``, default the query's language) and acronyms of the named terms."""
        out: list[str] = []
        for t in self.match(query, lang) if terms is None else terms:
            out.extend(t.get(target or lang, [])[:3])
            out.extend(t.get("acronyms", []))
        return out

    def tokens(self, terms: list[dict], lang: str) -> set[str]:
        """Every token of the terms' names in every language and of their acronyms, tokenised for ``lang``."""
        out: set[str] = set()
        for t in terms:
            known = self._tokens.get(id(t), {}).get(lang)  # this glossary's terms: tokenised once, up front
            out.update(known if known is not None else self._tokenize_names(t, lang))
        return out

    def named_in(self, terms: list[dict], lang: str, tokens: frozenset[str]) -> set[str]:
        """The tokens a text (``tokens``, for ``lang``) stands for by naming ``terms`` the other way: a
        text that spells out "Syndicat national du jeu vidéo" names the "SNJV" a question asks about,
        and one that writes "CNM" names the "Centre national de la musique". Only a term's own names
        and acronyms: its synonyms and translations match the question's words or they do not."""
        out: set[str] = set()
        for t in terms:
            spelled = self._spelled.get(id(t), {}).get(lang)
            full, acronyms = spelled if spelled is not None else _spellings(t, lang)
            if any(name <= tokens for name in full):
                out.update(*acronyms)
            if any(acronym <= tokens for acronym in acronyms):
                out.update(*full)
        return out

    @staticmethod
    def _tokenize_names(term: dict, lang: str) -> frozenset[str]:
        full, acronyms = _spellings(term, lang)
        return frozenset().union(*full, *acronyms)

    def english_gloss(self, query: str, lang: str, terms: list[dict] | None = None) -> list[str]:
        """English names of the terms in the query: helps an English-only embedding model."""
        return [t["en"][0] for t in (self.match(query, lang) if terms is None else terms) if t.get("en")]

    def full_name(self, acronym: str, lang: str) -> str | None:
        for t in self.terms:
            if acronym in t.get("acronyms", []):
                names = t.get(lang) or t.get("fr")
                return names[0] if names else None
        return None


def _spellings(term: dict, lang: str) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """(the tokens of each of a term's full names, in every language; those of each of its acronyms)."""
    full = (frozenset(tokenize(name, lang)) for name in (*term.get("fr", []), *term.get("en", []), *term.get("ar", [])))
    acronyms = (frozenset(tokenize(a, lang)) for a in term.get("acronyms", []))
    return [n for n in full if n], [a for a in acronyms if a]
