"""genlab.lessons.internals, the helpers of lesson 3 and exercise 03 (the tokenizer only: fast)."""

from __future__ import annotations


def test_token_counts_and_the_77_limit():
    from genlab.lessons import internals

    pipe = internals.pipeline("tiny")
    assert internals.count_tokens(pipe, "a red circle on a blue background") == 9  # 7 words + start + end
    assert internals.tokens(pipe, "a red circle") == ["a</w>", "red</w>", "circle</w>"]
    long = ", ".join(["a large striped yellow star on a purple background"] * 8) + ", with a heart"
    assert internals.count_tokens(pipe, long) > internals.MAX_TOKENS
    assert "heart" not in internals.kept_text(pipe, long)
