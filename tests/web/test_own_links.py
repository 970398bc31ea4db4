"""Links and redirects are built from the app's own paths, never from the request's path or Host
(issue 23: the 404 page's language links followed the request path, so "//evil.example/x" became a link
off the site, and "/static" redirected to whatever Host the request named)."""

from __future__ import annotations

import re
from html import unescape as html_unescape

import pytest
from fastapi.testclient import TestClient

# Paths a browser resolves to another host when written into an href: "//host", "///host" and "/\host"
# (a backslash reads as a slash in http URLs), sent as such or percent-encoded.
OFF_SITE = ["//evil.example/x", "///evil.example/x", "/%2F%2Fevil.example/x", "/%2F/evil.example", "/\\evil.example/x",
            "/%5Cevil.example/x", "/%5C%5Cevil.example", "/c//evil.example"]


def _language_links(html: str) -> list[str]:
    return [html_unescape(link) for link in re.findall(r'<a href="([^"]*)"[^>]*data-lang=', html)]


@pytest.mark.parametrize("path", OFF_SITE)
def test_the_404_page_links_only_to_the_app(client: TestClient, path: str) -> None:
    r = client.get(f"http://testserver{path}")  # the full URL keeps the path as sent
    assert r.status_code == 404
    links = _language_links(r.text)
    assert len(links) == 3
    for link in links:
        assert re.fullmatch(r"/\?lang=(fr|en|ar)", link), link


def test_a_page_keeps_its_path_and_query_in_its_language_links(client: TestClient) -> None:
    links = _language_links(client.get("/aids?q=musique").text)
    assert links == ["/aids?q=musique&lang=fr", "/aids?q=musique&lang=en", "/aids?q=musique&lang=ar"]
    # A page the app has, with a parameter it does not know: the parameter is quoted into the app's path.
    r = client.get("http://testserver/c/abc%5C%3Fx%22")
    assert r.status_code == 404 and _language_links(r.text)[0] == "/c/abc%5C%3Fx%22?lang=fr"


@pytest.mark.parametrize("path", ["/static", "/static/", "/c/", "/aids/", "//evil.example/", "/%2F%2Fevil.example/"])
def test_no_redirect_names_the_requests_host(client: TestClient, path: str) -> None:
    r = client.get(f"http://testserver{path}", headers={"host": "evil.example"}, follow_redirects=False)
    location = r.headers.get("location", "")
    assert "evil.example" not in location
    assert not location or (location.startswith("/") and not location.startswith(("//", "/\\")))


def test_a_trailing_slash_redirects_to_the_apps_own_path(client: TestClient) -> None:
    r = client.get("/aids/?q=musique", headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/aids?q=musique"
    assert client.get("/c/", follow_redirects=False).headers["location"] == "/c"
    assert client.get("/static", follow_redirects=False).status_code == 404
    assert client.get("/static/app.css").status_code == 200
