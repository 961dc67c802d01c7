"""Citations to passages that were not given are dropped, whole or streamed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ragmono.modules.query.prompts import CitationFilter, clean_citations


def test_valid_citations_stay_and_invalid_ones_go_with_their_space() -> None:
    cited: list[int] = []
    text = "Leave is 25 days [1]. Links last 30 minutes [7]. Both [2, 9][3]. Again [1]."
    assert clean_citations(text, 3, cited) == (
        "Leave is 25 days [1]. Links last 30 minutes. Both [2][3]. Again [1]."
    )
    assert cited == [1, 2, 3]


def test_brackets_that_are_not_citations_are_left_alone() -> None:
    assert clean_citations("see [a] and [ 1 ] and [0]", 2) == "see [a] and [ 1 ] and"


def test_a_citation_split_across_tokens_is_still_judged() -> None:
    stream = CitationFilter(2)
    out = "".join(stream.feed(t) for t in ["Fact", " [", "1", "]", " and", " [", "4", "]."])
    out += stream.flush()
    assert out == "Fact [1] and."
    assert stream.cited == [1]


@given(
    st.lists(
        st.sampled_from(["word", " ", "[", "]", "1", "3", ",", ".", "[2]", " [5]", "x[1"]),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=4),
)
def test_streamed_cleaning_equals_cleaning_the_whole_text(pieces: list[str], count: int) -> None:
    stream = CitationFilter(count)
    streamed = "".join(stream.feed(p) for p in pieces) + stream.flush()
    whole_cited: list[int] = []
    assert streamed == clean_citations("".join(pieces), count, whole_cited)
    assert stream.cited == whole_cited
