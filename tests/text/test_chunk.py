"""Paragraphs, sentences and engine-sized chunks."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from broadcaster.text.chunk import Chunk, chunk_text, split_paragraphs, split_sentences
from broadcaster.text.normalize import normalize

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "nghi-quyet-tom-tat.md"

SPOKEN = (
    "Sáng ngày mười lăm tháng ba, Ủy ban nhân dân tỉnh tổ chức hội nghị quán triệt nghị quyết "
    "về khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số. Hội nghị bắt đầu lúc bảy giờ "
    "ba mươi phút.\n\nĐến năm hai nghìn không trăm ba mươi, kinh tế số chiếm ba mươi phần trăm "
    "tổng sản phẩm trên địa bàn của tỉnh; thu nhập bình quân đạt một trăm năm mươi triệu đồng "
    "trên năm!\n\nXin cảm ơn."
)


def test_split_paragraphs() -> None:
    text = "\n  Đoạn một,\ndòng hai.\n\n\n \nĐoạn hai.\n\n"
    assert split_paragraphs(text) == ["Đoạn một,\ndòng hai.", "Đoạn hai."]
    assert split_paragraphs("") == []
    assert split_paragraphs("\n\n \n") == []


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("Một. Hai! Ba? Bốn", ["Một.", "Hai!", "Ba?", "Bốn"]),
        ("Chờ đã… rồi đi.", ["Chờ đã…", "rồi đi."]),
        ("Xin chào... bạn khỏe không?", ["Xin chào...", "bạn khỏe không?"]),
        ("Thật sao?! Vâng.", ["Thật sao?!", "Vâng."]),
        ("Ông nói: “Đồng ý.” Sau đó về.", ["Ông nói: “Đồng ý.”", "Sau đó về."]),
        ("Dấu chấm.giữa chữ không cắt.", ["Dấu chấm.giữa chữ không cắt."]),
        ("Một\n  dòng  xuống. Hai", ["Một dòng xuống.", "Hai"]),
        ("   ", []),
    ],
    ids=["marks", "ellipsis-char", "three-dots", "run", "quote", "no-space", "whitespace", "empty"],
)
def test_split_sentences(paragraph: str, sentences: list[str]) -> None:
    assert split_sentences(paragraph) == sentences


def test_short_text_gives_one_chunk_per_sentence_with_the_right_pauses() -> None:
    chunks = chunk_text(SPOKEN, 400)
    assert chunks == [
        Chunk(
            "Sáng ngày mười lăm tháng ba, Ủy ban nhân dân tỉnh tổ chức hội nghị quán triệt "
            "nghị quyết về khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số.",
            "sentence",
        ),
        Chunk("Hội nghị bắt đầu lúc bảy giờ ba mươi phút.", "paragraph"),
        Chunk(
            "Đến năm hai nghìn không trăm ba mươi, kinh tế số chiếm ba mươi phần trăm tổng sản "
            "phẩm trên địa bàn của tỉnh; thu nhập bình quân đạt một trăm năm mươi triệu đồng "
            "trên năm!",
            "paragraph",
        ),
        Chunk("Xin cảm ơn.", "paragraph"),
    ]


def test_long_sentence_is_cut_at_the_last_phrase_mark_that_fits() -> None:
    # The first sentence is 147 characters; up to "khoa học," would be 101, one too many.
    assert chunk_text(SPOKEN, 100) == [
        Chunk("Sáng ngày mười lăm tháng ba,", "phrase"),
        Chunk(
            "Ủy ban nhân dân tỉnh tổ chức hội nghị quán triệt nghị quyết về khoa học, công nghệ,",
            "phrase",
        ),
        Chunk("đổi mới sáng tạo và chuyển đổi số.", "sentence"),
        Chunk("Hội nghị bắt đầu lúc bảy giờ ba mươi phút.", "paragraph"),
        Chunk("Đến năm hai nghìn không trăm ba mươi,", "phrase"),
        Chunk("kinh tế số chiếm ba mươi phần trăm tổng sản phẩm trên địa bàn của tỉnh;", "phrase"),
        Chunk("thu nhập bình quân đạt một trăm năm mươi triệu đồng trên năm!", "paragraph"),
        Chunk("Xin cảm ơn.", "paragraph"),
    ]


def test_without_a_phrase_mark_the_cut_is_at_the_last_space() -> None:
    text = "một hai ba bốn năm sáu bảy tám chín mười"
    assert chunk_text(text, 14) == [
        Chunk("một hai ba bốn", "none"),
        Chunk("năm sáu bảy", "none"),
        Chunk("tám chín mười", "paragraph"),
    ]


def test_a_word_longer_than_the_limit_is_a_chunk_of_its_own() -> None:
    word = "x" * 30
    assert chunk_text(f"a {word} b.", 10) == [
        Chunk("a", "none"),
        Chunk(word, "none"),
        Chunk("b.", "paragraph"),
    ]
    assert chunk_text(f"Đầu câu. {word}. Hết", 10) == [
        Chunk("Đầu câu.", "sentence"),
        Chunk(word + ".", "sentence"),
        Chunk("Hết", "paragraph"),
    ]


def test_a_mark_not_followed_by_a_space_is_not_a_cut() -> None:
    chunks = chunk_text("giá 3,5 triệu đồng một tháng", 12)
    assert [c.text for c in chunks] == ["giá 3,5", "triệu đồng", "một tháng"]
    assert [c.pause for c in chunks] == ["none", "none", "paragraph"]


def test_chunks_are_nfc_and_stripped() -> None:
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh.  \n\n  Hết.")
    chunks = chunk_text(decomposed, 100)
    assert [c.text for c in chunks] == ["Ủy ban nhân dân tỉnh.", "Hết."]
    assert all(unicodedata.is_normalized("NFC", c.text) for c in chunks)


def test_empty_text_has_no_chunks() -> None:
    assert chunk_text("", 100) == []
    assert chunk_text(" \n\n ", 100) == []


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        chunk_text("a", 0)


# -- properties over many texts and limits ---------------------------------------------------------


def _texts() -> list[str]:
    body = EXAMPLE.read_text(encoding="utf-8").split("---", 2)[2]
    rng = random.Random(57)
    vocabulary = [*SPOKEN.replace("\n", " ").split(), "siêudàikhôngcódấucáchnàocả" * 3, "…"]
    generated = []
    for _ in range(40):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 120))]
        for _ in range(rng.randint(0, 4)):
            words.insert(rng.randrange(len(words) + 1), "\n\n")
        generated.append(" ".join(words))
    return [SPOKEN, normalize(body), *generated]


@pytest.mark.parametrize("max_chars", [1, 5, 10, 20, 37, 60, 100, 400, 600])
def test_chunk_properties(max_chars: int) -> None:
    for text in _texts():
        chunks = chunk_text(text, max_chars)
        assert [w for c in chunks for w in c.text.split()] == text.split()
        for chunk in chunks:
            assert chunk.text and chunk.text == chunk.text.strip()
            assert len(chunk.text) <= max_chars or " " not in chunk.text, chunk
            assert chunk.pause in ("none", "phrase", "sentence", "paragraph")
            if chunk.pause == "phrase":
                assert chunk.text[-1] in ",;:"
            if chunk.pause == "sentence":
                assert chunk.text[-1] in ".!?…"
        assert chunks[-1].pause == "paragraph"
        assert sum(c.pause == "paragraph" for c in chunks) == len(split_paragraphs(text))


def test_gtts_limit_on_the_example() -> None:
    spoken = normalize(EXAMPLE.read_text(encoding="utf-8").split("---", 2)[2])
    chunks = chunk_text(spoken, 100)
    assert all(len(c.text) <= 100 for c in chunks)
    kinds = {c.pause for c in chunks}
    assert {"phrase", "sentence", "paragraph"} <= kinds
