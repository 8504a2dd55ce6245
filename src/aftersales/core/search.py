"""Chinese keyword search by CJK character bigrams (ARCHITECTURE "Chinese text search").

Each run of Chinese characters is indexed as its overlapping 2-character tokens (漏水管 → 漏水 水管),
other words whole and lower-cased. A query word becomes the phrase of its bigrams, so any substring of
2+ characters is found, like Ctrl-F (measured at 1M rows: shared/research/cjk_search.md). The tokens
are stored as text; SQLite indexes them with FTS5 (`unicode61`), PostgreSQL with a `tsvector`
('simple') and GIN. One-character queries and digit fragments need other indexes (exact/prefix).
"""

from __future__ import annotations

import re
import unicodedata

# CJK Unified Ideographs (+ extension A, compatibility ideographs).
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[0-9A-Za-z]+(?:[._\-][0-9A-Za-z]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")


def _runs(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return _TOKEN.findall(folded)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    """The index tokens of a text, in order."""
    result: list[str] = []
    for run in _runs(text):
        if _IS_CJK.match(run):
            result.extend(_bigrams(run))
        else:
            result.append(run)
    return result


def index_text(*parts: str) -> str:
    """What to store for a document: its tokens separated by spaces (fields separated by a gap token)."""
    return " | ".join(" ".join(tokens(p)) for p in parts if p)


def query_phrases(query: str) -> list[list[str]]:
    """A query as phrases (one per word the user typed), each a list of tokens; all must match."""
    phrases = []
    for word in query.split():
        toks = tokens(word)
        if toks:
            phrases.append(toks)
    return phrases


def is_searchable(query: str) -> bool:
    """False for queries the bigram index cannot answer (only single Chinese characters)."""
    phrases = query_phrases(query)
    return bool(phrases) and all(not (len(p) == 1 and len(p[0]) == 1 and _IS_CJK.match(p[0])) for p in phrases)


def fts5_match(query: str) -> str:
    """An FTS5 MATCH expression: each phrase quoted, phrases ANDed. Tokens never contain quotes."""
    return " AND ".join('"' + " ".join(p) + '"' for p in query_phrases(query))


def pg_phrases(query: str) -> list[str]:
    """One string per phrase, for `phraseto_tsquery('simple', %s)` ANDed with `&&`."""
    return [" ".join(p) for p in query_phrases(query)]
