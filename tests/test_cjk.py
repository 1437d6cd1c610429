"""URLs in Chinese and Japanese text, which glues punctuation and words to a URL with no space
(issue 21; linkify-it's fixtures 316 and 322): full-width punctuation ends the URL, and a scheme
glued to a CJK character starts one."""

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

