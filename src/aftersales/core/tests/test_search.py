"""Bigram tokenisation: every substring of two or more characters is findable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aftersales.core import search


def test_tokens():
    assert search.tokens("空调不制冷") == ["空调", "调不", "不制", "制冷"]
    assert search.tokens("滤芯 E1 故障, KFR-35GW") == ["滤芯", "e1", "故障", "kfr-35gw"]
    assert search.tokens("水") == ["水"]
    assert search.tokens("ＡＢＣ１２３") == ["abc123"]
    assert search.tokens("") == []


def test_queries():
    assert search.fts5_match("不制冷") == '"不制 制冷"'
    assert search.fts5_match("空调 漏水") == '"空调" AND "漏水"'
    assert search.fts5_match('"x" OR y') == '"x" AND "or" AND "y"'
    assert search.pg_phrases("滤芯更换") == ["滤芯 芯更 更换"]
    assert not search.is_searchable("水")
    assert search.is_searchable("漏水")
    assert not search.is_searchable("!!")


CJK = st.text(alphabet=st.sampled_from(list("空调不制冷漏水滤芯更换维修投诉净化器扫地机器人")), min_size=2, max_size=30)


@given(CJK, st.data())
def test_every_substring_of_two_or_more_is_a_contiguous_run_of_the_documents_tokens(text, data):
    start = data.draw(st.integers(0, len(text) - 2))
    end = data.draw(st.integers(start + 2, len(text)))
    doc = search.tokens(text)
    (phrase,) = search.query_phrases(text[start:end])
    assert any(doc[i : i + len(phrase)] == phrase for i in range(len(doc) - len(phrase) + 1))
