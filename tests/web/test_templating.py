"""Answers become markup only through escaping; [n] markers become citation links."""

from __future__ import annotations

from web.templating import answer_html


def test_markers_become_links_for_known_citations_only() -> None:
    html = answer_html("Texte [1] et [7].", {1: "abcdef0123456789"}, "fr")
    assert '<a class="cite" href="/passages/abcdef0123456789?tr=fr#p-abcdef0123456789" data-citation="1"' in html
    assert 'hx-get="/passages/abcdef0123456789?tr=fr"' in html
    assert "[7]" in html and 'data-citation="7"' not in html


def test_text_is_escaped() -> None:
    html = answer_html('<img src=x onerror="alert(1)"> [1]', {1: "ab12ab12ab12ab12"}, "en")
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_lines_and_lists() -> None:
    html = answer_html("Selon les documents :\n- un [1]\n- deux [2]\nFin", {1: "aa11aa11", 2: "bb22bb22"}, "fr")
    assert html.startswith("<p>Selon les documents :</p><ul><li>un ")
    assert html.count("<li>") == 2 and html.endswith("<p>Fin</p>")


def test_a_filled_sentence_escapes_its_values_and_isolates_their_direction() -> None:
    from web.templating import env

    out = env.filters["fill"]("Décrit dans « {document} » : {operator}.", document="<script>x</script> l'été",
                              operator="CNC")
    assert str(out) == ("Décrit dans « <bdi>&lt;script&gt;x&lt;/script&gt; l&#39;été</bdi> » : <bdi>CNC</bdi>.")
    assert str(env.filters["fill"]("<b>{x}</b>", x="y")).startswith("&lt;b&gt;")  # the template is text too
