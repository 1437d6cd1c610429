"""URLs in scripts other than Latin (issue 21; linkify-it's fixtures 55, 316 and 322): Chinese and
Japanese text glues punctuation and words to a URL with no space, so full-width punctuation ends the
URL and a scheme glued to a CJK character starts one; a zero-width joiner that spells an Indic or
Persian word stays in the path."""

from __future__ import annotations

import pytest

from archiver.lint.run import lint_paths


@pytest.mark.parametrize(("printed", "url"), [
    ("详见 https://www.gov.cn/zhengce/2021-01/01/content_1.htm。下一句", "https://www.gov.cn/zhengce/2021-01/01/content_1.htm"),
    ("参考：https://www.stats.gov.cn/sj/，以及其他", "https://www.stats.gov.cn/sj/"),
    ("（https://www.nhk.or.jp/news/html/20210101/k1.html）", "https://www.nhk.or.jp/news/html/20210101/k1.html"),
    ("「https://www.asahi.com/articles/ASP1.html」と報じた", "https://www.asahi.com/articles/ASP1.html"),
    ("详见https://www.gov.cn/a/b.htm。", "https://www.gov.cn/a/b.htm"),  # the scheme is kept, not read from www.
    ("｜http://google.com｜bar", "http://google.com"),
    ("記事【https://www3.nhk.or.jp/news/k1.html】参照", "https://www3.nhk.or.jp/news/k1.html"),
])
def test_full_width_punctuation_ends_the_url(tmp_path, printed, url):
    doc = tmp_path / "notes.txt"
    doc.write_text(printed + "\n", encoding="utf-8")
    (found,) = lint_paths([str(doc)])
    assert [(r.url, [f.code for f in r.findings]) for r in found.repaired] == [(url, [])]



@pytest.mark.parametrize(("printed", "url", "codes"), [
    # a Malayalam chillu letter is virama + ZWJ: part of the word (linkify-it's fixture, line 55)
    ("http://lyricstranslate.com/en/someone-you-നിന്നെ-പോലൊരാള്\u200d.html",
     "http://lyricstranslate.com/en/someone-you-നിന്നെ-പോലൊരാള്\u200d.html", []),
    # Persian spells "می‌خواهم" with a ZWNJ after its first letter
    ("https://fa.wikipedia.org/wiki/می\u200cخواهم", "https://fa.wikipedia.org/wiki/می\u200cخواهم", []),
    # after Cyrillic letters too (Russian has no joiners)
    ("https://ria.ru/новости\u200d/2021", "https://ria.ru/новости/2021", ["U103"]),
    # after Latin letters, a ZWJ or ZWSP is copy-paste damage and goes
    ("https://www.bbc.co.uk/news/world\u200d-asia\u200b-123", "https://www.bbc.co.uk/news/world-asia-123", ["U103"]),
])
def test_joiners_that_spell_a_word_stay_in_the_path(tmp_path, printed, url, codes):
    doc = tmp_path / "notes.txt"
    doc.write_text(printed + "\n", encoding="utf-8")
    (found,) = lint_paths([str(doc)])
    assert [(r.url, [f.code for f in r.findings]) for r in found.repaired] == [(url, codes)]
