"""The chat in a real browser: Playwright driving Debian's Chromium against the real app on a loopback port.

Each step leaves a screenshot in ``test-artifacts/web/``. Console errors (a Content-Security-Policy
violation is one) fail the test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings
from web import create_app
from web.store import Store

from .server import running

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"
ARABIC = "ما هو مهرجان نوفمبر الرقمي؟"

# Records whether an answer was ever marked busy: the streaming state can be shorter than a poll.
WATCH_BUSY = """
window.__busySeen = false;
new MutationObserver(() => {
  if (document.querySelector('[data-role="answer"][aria-busy="true"]')) window.__busySeen = true;
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: run `make browser` (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("web") / "app.db")


@pytest.fixture(scope="module")
def base_url(built_index: Settings, assistant, web_store: Store) -> Iterator[str]:
    with running(create_app(built_index, assistant=assistant, store=web_store)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Session:
    """One browser context (its own cookies) with a page that fails the test on console errors."""

    def __init__(self, browser, base_url: str, name: str, **options) -> None:
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.page.add_init_script(WATCH_BUSY)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.name = name
        self.step = 0
        self.phone = bool(options.get("has_touch"))

    def press(self, locator) -> None:
        """A tap on a touch screen, a click elsewhere."""
        locator.tap() if self.phone else locator.click()

    def shot(self, label: str, **options) -> Path:
        self.step += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.step:02d}-{label}.png"
        self.page.screenshot(path=str(path), **options)
        return path

    def ask(self, question: str):
        page = self.page
        before = page.locator('[data-role="answer"]').count()
        box = page.locator('textarea[name="message"]')
        box.fill(question)
        box.press("Enter")
        answer = page.locator('[data-role="answer"]').nth(before)
        answer.wait_for()
        page.wait_for_function(
            "n => { const a = document.querySelectorAll('[data-role=\"answer\"]')[n];"
            " return a && a.getAttribute('aria-busy') === 'false'; }", arg=before)
        return answer

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs


@pytest.fixture
def session(browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Session]:
    s = Session(browser, base_url, request.node.name.removeprefix("test_"), locale="fr-FR",
                viewport={"width": 1280, "height": 860})
    yield s
    s.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DEVICES = {"desktop": {"viewport": {"width": 1280, "height": 860}}, "phone": PHONE}
LOCALES = {"fr": "fr-FR", "ar": "ar"}
DIRS = {"fr": "ltr", "ar": "rtl"}
QUESTIONS = {"fr": NOVEMBRE, "ar": ARABIC}
ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")


def in_language(lang: str, text: str) -> bool:
    """Interface text in Arabic has no Latin word; in French, no Arabic letter."""
    if lang == "ar":
        return bool(ARABIC_LETTERS.search(text)) and not LATIN_WORD.search(text)
    return not ARABIC_LETTERS.search(text)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def in_sight_above_the_input(page, locator) -> None:
    """The element is on the screen, and not under the question box (which stays at the bottom)."""
    box = locator.bounding_box()
    ask = page.locator('form[data-role="ask"]').bounding_box()
    assert box is not None and ask is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= ask["y"] + 1, (box, ask)
    assert 0 <= box["x"] and box["x"] + box["width"] <= page.viewport_size["width"] + 1, box


def focused(page, selector: str) -> None:
    page.wait_for_function("s => document.activeElement && document.activeElement.matches(s)", arg=selector)


def page_language(page) -> tuple[str | None, str | None]:
    html = page.locator("html")
    return html.get_attribute("lang"), html.get_attribute("dir")


def test_question_streams_a_cited_answer(session: Session) -> None:
    page = session.page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator('[data-role="suggestion"]').count() >= 3
    assert page.locator('[data-role="toc"] a').count() > 5
    assert page.locator('[data-role="messages"]').get_attribute("aria-live") == "polite"
    session.shot("empty")

    box = page.locator('textarea[name="message"]')
    box.fill("première ligne")
    box.press("Shift+Enter")
    box.type("deuxième ligne")
    assert box.input_value() == "première ligne\ndeuxième ligne"
    assert page.locator('[data-role="answer"]').count() == 0  # Shift+Enter did not send

    answer = session.ask(NOVEMBRE)
    assert page.evaluate("window.__busySeen") is True
    assert "Novembre Numérique" in answer.inner_text()
    cites = answer.locator("a[data-citation]")
    assert cites.count() >= 1
    assert cites.first.get_attribute("data-citation") == "1"
    assert cites.first.inner_text() == "[1]"
    assert re.fullmatch(r".*/c/[0-9a-f]{32}", page.url)
    assert page.locator('[data-role="conversations"] a').count() == 1
    session.shot("answer")


def test_a_list_and_a_comparison_are_whole_and_cited_in_the_page(session: Session) -> None:
    page = session.page
    page.goto("/")
    answer = session.ask("Quels sont les trois axes de la feuille de route ?")
    items = answer.locator("ul > li")  # the answer's list, not its numbered sources
    assert items.count() == 3
    for i, start in enumerate(("I.", "II.", "III.")):
        assert items.nth(i).inner_text().startswith(start)
        assert items.nth(i).locator("a[data-citation]").count() == 1
    comparison = session.ask("Compare Culturethèque and MyFrenchFilmFestival.")
    text = comparison.inner_text()
    assert "According to the documents" in text and "Culturethèque" in text and "MyFrenchFilmFestival" in text
    session.shot("whole-answers")


def test_citation_opens_the_passage_panel_and_page(session: Session) -> None:
    page = session.page
    page.goto("/")
    answer = session.ask(NOVEMBRE)
    panel = page.locator('[data-role="passage"]')
    assert panel.is_hidden()
    answer.locator('a[data-citation="1"]').first.click()
    panel.wait_for(state="visible")
    text = panel.inner_text()
    assert "Festival Novembre Numérique" in text
    assert "2022-01-21" in text and "Coopération internationale" in text  # date and section path
    session.shot("panel")

    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    answer.locator('a[data-citation="1"]').first.click()
    panel.wait_for(state="visible")
    panel.locator('[data-role="passage-link"]').click()
    page.wait_for_url(re.compile(r".*/passages/[0-9a-f]+.*"))
    highlighted = page.locator('[data-role="highlight"]')
    assert "Festival Novembre Numérique" in highlighted.inner_text()
    session.shot("passage-page")


def test_arabic_question_gets_a_right_to_left_answer(session: Session) -> None:
    page = session.page
    page.goto("/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    answer = session.ask(ARABIC)
    assert answer.get_attribute("dir") == "rtl" and answer.get_attribute("lang") == "ar"
    question = page.locator('[data-role="question"]').last
    assert question.get_attribute("dir") == "rtl"
    answer.locator('a[data-citation="1"]').first.click()
    panel = page.locator('[data-role="passage"]')
    panel.wait_for(state="visible")
    assert panel.locator('[data-role="original"]').is_visible()
    translation = panel.locator('[data-role="translation"] blockquote')
    assert translation.get_attribute("lang") == "ar" and translation.get_attribute("dir") == "rtl"
    session.shot("arabic")


def test_reload_shows_the_conversation(session: Session) -> None:
    page = session.page
    page.goto("/")
    session.ask(NOVEMBRE)
    session.ask("Qui l'organise ?")
    url = page.url
    page.reload()
    assert page.url == url
    assert page.locator('[data-role="answer"]').count() == 2
    assert page.locator('[data-role="question"] .text').first.inner_text() == NOVEMBRE
    assert page.locator('[data-role="answer"] a[data-citation]').count() >= 2
    session.shot("reloaded")
    third = session.ask("Et Culturethèque ?")  # the reloaded page continues the same conversation
    assert third.is_visible() and page.url == url
    assert page.locator('[data-role="conversations"] a').count() == 1


def test_feedback_is_stored(session: Session, web_store: Store) -> None:
    page = session.page
    page.goto("/")
    answer = session.ask(NOVEMBRE)
    message_id = answer.get_attribute("data-message-id")
    form = answer.locator('[data-role="feedback"]')
    form.locator("summary").click()
    form.locator('input[value="wrong_source"]').check()
    form.locator('textarea[name="comment"]').fill("La deuxième source est hors sujet.")
    form.locator('button[data-vote="down"]').click()
    status = answer.locator('[data-role="feedback-status"]')
    status.wait_for()
    assert answer.locator('button[data-vote="down"]').get_attribute("aria-pressed") == "true"
    session.shot("feedback")
    [row] = [r for r in web_store.feedback_rows("down") if r["message_id"] == message_id]
    assert row["question"] == NOVEMBRE and row["reasons"] == ["wrong_source"]
    assert row["comment"] == "La deuxième source est hors sujet." and row["passage_ids"]


def test_reasons_and_comment_added_after_the_vote_are_stored(session: Session, web_store: Store) -> None:
    # the issue's report: vote, then open the details, tick a reason, type a comment: it used to be lost
    page = session.page
    page.goto("/")
    answer = session.ask(NOVEMBRE)
    message_id = answer.get_attribute("data-message-id")
    answer.locator('[data-role="feedback"] button[data-vote="down"]').click()
    answer.locator('[data-role="feedback-status"]').wait_for()
    [row] = [r for r in web_store.feedback_rows("down") if r["message_id"] == message_id]
    assert row["reasons"] == [] and row["comment"] == ""
    form = answer.locator('[data-role="feedback"]')
    form.locator("summary").click()
    form.locator('input[value="wrong_source"]').check()
    form.locator('textarea[name="comment"]').fill("Ajouté après le vote.")
    with page.expect_response(lambda r: r.url.endswith(f"/m/{message_id}/feedback") and r.ok):
        form.locator('[data-role="feedback-send"]').click()
    [row] = [r for r in web_store.feedback_rows("down") if r["message_id"] == message_id]
    assert row["reasons"] == ["wrong_source"] and row["comment"] == "Ajouté après le vote."
    assert answer.locator('button[data-vote="down"]').get_attribute("aria-pressed") == "true"
    session.shot("feedback-details")


def test_conversations_can_be_searched_renamed_and_deleted(session: Session, web_store: Store) -> None:
    page = session.page
    page.goto("/")
    session.ask(NOVEMBRE)
    festival = page.url.rsplit("/", 1)[-1].split("#")[0]
    page.goto("/")
    session.ask("Qu'est-ce que le Pass Culture ?")
    pass_culture = page.url.rsplit("/", 1)[-1].split("#")[0]
    items = page.locator('[data-role="conversation"]')
    items.nth(1).wait_for()
    assert items.count() == 2
    assert items.first.locator("time").get_attribute("datetime").endswith("Z")
    # search, as typed (no Enter): case and accents aside
    page.locator("#conv-q").fill("novembre NUMERIQUE")
    page.wait_for_function("() => document.querySelectorAll('[data-role=conversation]').length === 1")
    assert items.first.get_attribute("data-conversation-id") == festival
    page.locator("#conv-q").fill("")
    page.wait_for_function("() => document.querySelectorAll('[data-role=conversation]').length === 2")
    # rename the festival's conversation
    item = page.locator(f'[data-conversation-id="{festival}"]')
    item.locator(".conv-actions > summary").click()
    item.locator('input[name="title"]').fill("Le festival, à relire")
    item.locator('[data-role="rename"] button').click()
    page.locator(f'[data-conversation-id="{festival}"] a', has_text="Le festival, à relire").wait_for()
    assert web_store.conversation(festival).title == "Le festival, à relire"
    page.wait_for_function("() => document.activeElement && document.activeElement.textContent === 'Le festival, à relire'")
    # delete the Pass Culture one, which is the page shown: after confirming, a new chat
    item = page.locator(f'[data-conversation-id="{pass_culture}"]')
    item.locator(".conv-actions > summary").click()
    item.locator(".confirm > summary").click()
    session.shot("confirm-delete")
    item.locator('[data-role="confirm-delete"]').click()
    page.wait_for_url(re.compile(r"/$"))
    assert web_store.conversation(pass_culture) is None
    assert page.locator('[data-role="conversation"]').count() == 1
    session.shot("after-delete")


def _console_failures_only(session: Session) -> None:
    """Forget the browser's own console lines about a request the test made fail on purpose."""
    session.errors = [e for e in session.errors if "Failed to load resource" not in e and "ERR_" not in e]


# What the page says for each way an answer can fail, in each language: (how the request fails, what it says).
FAILURES = {
    "fr": {"network": "Impossible de joindre le serveur", "busy": "Trop de questions d'un coup",
           "invalid": "ne peut pas être envoyée", "server": "Le serveur a rencontré une erreur",
           "stream": "Le serveur a rencontré une erreur", "stopped": "Réponse interrompue",
           "timeout": "Le serveur ne répond plus", "retry": "Réessayer"},
    "ar": {"network": "تعذر الوصول إلى الخادم", "busy": "أسئلة كثيرة دفعة واحدة",
           "invalid": "لا يمكن إرسال هذا السؤال", "server": "واجه الخادم خطأ",
           "stream": "واجه الخادم خطأ", "stopped": "أوقفت الإجابة",
           "timeout": "توقف الخادم عن الاستجابة", "retry": "أعد المحاولة"},
}
FAILING = {  # how the stream request is made to fail
    "network": lambda route: route.abort("connectionrefused"),
    "busy": lambda route: route.fulfill(status=429, body="{}", content_type="application/json"),
    "invalid": lambda route: route.fulfill(status=422, body="{}", content_type="application/json"),
    "server": lambda route: route.fulfill(status=500, body="{}", content_type="application/json"),
    "stream": lambda route: route.fulfill(status=200, content_type="text/event-stream",
                                          body='event: token\ndata: "Le"\n\nevent: error\ndata: {}\n\n'),
}


@pytest.mark.parametrize("device, lang", [("desktop", "fr"), ("phone", "ar")])
def test_every_failure_is_said_in_the_page_language_and_retries_the_same_question(
        browser, base_url: str, device: str, lang: str) -> None:
    s = Session(browser, base_url, f"failures-{device}-{lang}", locale=LOCALES[lang], **DEVICES[device])
    page = s.page
    question = QUESTIONS[lang]
    said = FAILURES[lang]
    page.goto("/")
    box = page.locator('textarea[name="message"]')
    for n, (kind, fail) in enumerate(FAILING.items(), start=1):
        page.route("**/api/chat/stream", fail)
        box.fill(question)
        s.press(page.locator('[data-role="send"]'))
        # this attempt's failure, not the one before it (``.last`` would find that one at once)
        page.wait_for_function(f"() => document.querySelectorAll('[data-role=answer].failed').length >= {n}")
        failed = page.locator('[data-role="answer"].failed').last
        text = failed.locator(".text").inner_text()
        assert said[kind] in text, (kind, text)
        assert "Failed to fetch" not in text and in_language(lang, text)
        assert failed.locator('[data-role="retry"]').inner_text() == said["retry"]
        assert box.input_value() == question  # the question is kept
        focused(page, "#message")
        page.unroute("**/api/chat/stream")
        if kind == "network":
            s.shot("failed")
            in_sight_above_the_input(page, failed.locator('[data-role="retry"]'))
            assert no_sideways_scroll(page)
            assert page.locator('[data-role="counter"]').get_attribute("dir") == "ltr"  # "41 / 2000", not reversed
            # the focus ring is not the red of the failed answer's frame
            page.keyboard.press("Tab")
            ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                                 " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; })()")
            frame = failed.evaluate("e => getComputedStyle(e).borderColor")
            assert ring[0] == "solid" and ring[1] >= 2 and ring[2] != frame, (ring, frame)
        box.fill("")

    page.route("**/api/chat/stream", lambda route: None)  # a server that never answers
    box.fill(question)
    box.press("Enter")
    stop = page.locator('[data-role="stop"]')
    stop.wait_for(state="visible")
    assert stop.inner_text() == ("إيقاف" if lang == "ar" else "Arrêter")
    s.press(stop)
    stopped = page.locator('[data-role="answer"].failed').last
    stopped.wait_for()
    assert said["stopped"] in stopped.inner_text()
    assert stop.is_hidden() and page.locator('[data-role="send"]').is_enabled()
    failures = page.locator('[data-role="answer"].failed').count()
    page.evaluate("document.querySelector('form[data-role=ask]').dataset.idleMs = '800'")
    s.press(stopped.locator('[data-role="retry"]'))  # in place of the stopped pair
    timed_out = page.locator('[data-role="answer"].failed', has_text=said["timeout"])
    timed_out.wait_for(timeout=10_000)
    assert page.locator('[data-role="answer"].failed').count() == failures
    assert box.input_value() == question
    s.shot("timed-out")

    page.unroute("**/api/chat/stream")
    questions = page.locator('[data-role="question"]').count()
    s.press(timed_out.locator('[data-role="retry"]'))
    answer = page.locator('[data-role="answer"][data-message-id]')
    answer.wait_for()
    assert answer.get_attribute("dir") == DIRS[lang] and answer.get_attribute("lang") == lang
    assert page.locator('[data-role="question"]').count() == questions  # the failed pair gave way to the answer
    page.locator('[data-role="conversation"]').first.wait_for()
    s.shot("answered")
    _console_failures_only(s)
    s.close()


def test_an_empty_or_overlong_question_is_explained_not_sent_nor_cut(session: Session) -> None:
    page = session.page
    page.goto("/")
    box = page.locator('textarea[name="message"]')
    assert page.evaluate("document.activeElement.name") == "message"  # the box has the focus on load
    box.fill("   ")
    box.press("Enter")
    status = page.locator('[data-role="ask-status"]')
    assert "Écrivez d'abord une question" in status.inner_text()
    long = "culture " * 300  # 2,400 characters pasted
    box.fill(long)
    assert box.input_value() == long  # nothing cut
    counter = page.locator('[data-role="counter"]')
    assert counter.inner_text().startswith(f"{len(long)} / 2000") and "over" in counter.get_attribute("class")
    box.press("Enter")
    assert "2000 au plus" in status.inner_text()
    assert page.locator('[data-role="question"]').count() == 0
    grown = page.evaluate("document.querySelector('#message').getBoundingClientRect().height")
    assert grown > 60  # the box grew with the text
    session.shot("too-long")


def test_skip_link_moves_focus_without_reloading_and_a_follow_up_shows_how_it_was_read(session: Session) -> None:
    page = session.page
    page.goto("/")
    page.evaluate("window.__sameDocument = true")
    page.locator(".skip-link").focus()  # (Shift+Tab from the question box, which has the focus on load)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    session.ask(NOVEMBRE)
    cid = page.url.rsplit("/", 1)[-1]
    # the page now shows this conversation: language links and export keep to it
    assert page.locator('a[data-lang="en"]').get_attribute("href") == f"/c/{cid}?lang=en"
    export = page.locator('[data-role="export"] a')
    assert export.is_visible() and export.get_attribute("href") == f"/api/conversations/{cid}/export.md"
    follow = session.ask("Qui l'organise ?")
    searched = follow.locator('[data-role="searched"]')
    assert "Novembre" in searched.inner_text()
    session.shot("follow-up")


def test_api_docs_render_from_vendored_files_under_their_csp(session: Session) -> None:
    page = session.page
    page.goto("/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() >= 10  # every route of /openapi.json
    session.shot("docs")
    # the session's close() asserts that nothing was blocked (a CSP violation is a console error)


def test_html_in_a_question_stays_text(session: Session) -> None:
    page = session.page
    page.goto("/")
    payload = "<img src=x onerror=alert(1)> Novembre Numérique <b>gras</b>"
    session.ask(payload)
    question = page.locator('[data-role="question"] .text').last
    assert question.inner_text() == payload
    assert page.locator('[data-role="messages"] img, [data-role="messages"] b').count() == 0
    page.reload()
    assert page.locator('[data-role="question"] .text').last.inner_text() == payload
    assert page.locator('[data-role="messages"] img, [data-role="messages"] b').count() == 0
    session.shot("inert-html")
    # the session's close() asserts that no dialog opened and no script error occurred


def test_aids_page_filters(session: Session) -> None:
    page = session.page
    page.goto("/aids")
    total = page.locator('[data-role="aid"]').count()
    page.locator('select[name="sector"]').select_option("video-games")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-role=\"aid\"]').length < n", arg=total)
    assert "sector=video-games" in page.url
    count = int(page.locator('[data-role="aid-count"]').inner_text())
    assert 0 < count < total
    session.shot("aids")


# The aid-finder issue's profiles, as a person types them in each language: (profile, a card that
# fits it, or None when no aid of the documents does).
AID_PROFILES = {
    "fr": [("je dirige une salle de concert, on veut diffuser nos concerts en ligne", "cnm-aide-diffusions-alternatives"),
           ("on est un studio de jeu vidéo, quel soutien peut-on obtenir ?", "cnc-soutien-jeu-video"),
           ("subvention pour un tracteur pour éleveurs laitiers", None)],
    "en": [("I run a concert hall and want to stream our concerts", "cnm-aide-diffusions-alternatives"),
           ("I'm a video game studio, what support can I get?", "cnc-soutien-jeu-video"),
           ("tractor subsidy for dairy farmers", None)],
    "ar": [("أدير قاعة حفلات موسيقية وأريد بث حفلاتنا عبر الإنترنت", "cnm-aide-diffusions-alternatives"),
           ("نحن استوديو ألعاب فيديو، ما الدعم الذي يمكننا الحصول عليه؟", "cnc-soutien-jeu-video"),
           ("دعم لشراء جرار لمربي الأبقار الحلوب", None)],
}


@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_aid_finder_gives_fitting_cards_or_an_honest_none(browser, base_url: str, lang: str) -> None:
    s = Session(browser, base_url, f"aids-{lang}", viewport={"width": 1280, "height": 900})
    page = s.page
    page.goto(f"/aids?lang={lang}")
    for profile, expected in AID_PROFILES[lang]:
        box = page.locator('input[name="q"]')
        box.fill(profile)
        box.press("Enter")
        page.wait_for_function("q => new URL(location.href).searchParams.get('q') === q", arg=profile)
        page.locator('[data-role="aid-results"]').wait_for()
        cards = page.locator('[data-role="aid"]')
        if expected is None:
            page.locator('[data-role="no-aids"]').wait_for()
            assert cards.count() == 0
            assert page.locator('[data-reason="out-of-scope"]').count() == 1  # said so, no sectors to browse
            s.shot("none")
            continue
        page.locator(f'[data-aid-id="{expected}"]').wait_for()
        ids = [cards.nth(i).get_attribute("data-aid-id") for i in range(cards.count())]
        assert expected in ids[:3] and len(ids) <= 8
        card = page.locator(f'[data-aid-id="{expected}"]')
        # what the card is worth: who it is for, the document and date that describe it, why it matched
        assert card.locator('[data-role="aid-who"]').inner_text().strip()
        assert "2022" in card.locator('[data-role="aid-described"]').inner_text()
        assert card.locator('[data-role="aid-why"] [data-role="why-facet"]').count() >= 1
        link = card.locator(".aid-citations a").first.get_attribute("href")
        assert f"tr={lang}" in link
    s.shot("cards")
    s.close()


# One person's way through the chat, in each language: what they type and what the page says back.
WALKS = {
    "fr": {"follow_up": "Qui l'organise ?", "searched": "Question comprise :", "other": "Qu'est-ce que le Pass Culture ?",
           "search": "novembre NUMERIQUE", "title": "Le festival, à relire", "empty": "Écrivez d'abord une question",
           "too_long": "2000 au plus", "new_chat": "Nouvelle discussion", "thanks": "Merci",
           "confirm": "C'est définitif", "back": "Retour à la discussion"},
    "ar": {"follow_up": "ومن ينظمه؟", "searched": "فُهم السؤال على أنه:", "other": "ما هي منصة كولتوريتيك؟",
           "search": "نوفمبر", "title": "المهرجان، للمراجعة", "empty": "اكتب سؤالا أولا",
           "too_long": "والحد الأقصى 2000", "new_chat": "محادثة جديدة", "thanks": "شكرا",
           "confirm": "لا يمكن التراجع", "back": "العودة إلى المحادثة"},
}


@pytest.mark.parametrize("device, lang", [("phone", "ar"), ("desktop", "fr")])
def test_a_walk_through_the_chat(browser, base_url: str, web_store: Store, device: str, lang: str) -> None:
    """Every item of the chat people expect, one after the other as a person meets them, on a 390×844 phone
    in Arabic and on a desktop in French (the interface language from the browser's, as a visitor's)."""
    s = Session(browser, base_url, f"walk-{device}-{lang}", locale=LOCALES[lang], **DEVICES[device])
    page = s.page
    walk = WALKS[lang]
    ask_status = page.locator('[data-role="ask-status"]')

    # arriving: the page in the reader's language, the question box focused, "New chat" and the history on
    # the screen above it (on a phone too: not pushed below the conversation)
    page.goto("/")
    assert page_language(page) == (lang, DIRS[lang])
    focused(page, "#message")
    new_chat = page.locator(".new-chat")
    assert new_chat.inner_text() == walk["new_chat"]
    for element in (new_chat, page.locator("#history-title"), page.locator("#conv-q")):
        in_sight_above_the_input(page, element)
    assert no_sideways_scroll(page)
    s.shot("start")

    # the skip link moves the focus to the conversation, without a reload
    page.evaluate("window.__sameDocument = true")
    page.locator(".skip-link").focus()
    page.keyboard.press("Enter")
    focused(page, "#main")
    assert page.evaluate("window.__sameDocument") is True

    # an empty or overlong question is explained, in the page's language, not sent nor cut; the box grows
    box = page.locator('textarea[name="message"]')
    box.fill("   ")
    box.press("Enter")
    assert walk["empty"] in ask_status.inner_text() and in_language(lang, ask_status.inner_text())
    start_height = box.bounding_box()["height"]
    long = ("ثقافة " if lang == "ar" else "culture ") * 400
    box.fill(long)
    assert box.input_value() == long
    counter = page.locator('[data-role="counter"]')
    assert counter.inner_text().startswith(f"{len(long)} / 2000") and "over" in counter.get_attribute("class")
    assert counter.is_visible()
    box.press("Enter")
    assert walk["too_long"] in ask_status.inner_text() and in_language(lang, ask_status.inner_text())
    assert box.bounding_box()["height"] > start_height + 20
    assert page.locator('[data-role="question"]').count() == 0
    s.shot("too-long")
    box.fill("")

    # the first answer: streamed, right-to-left in Arabic; the URL, language links and export follow it
    answer = s.ask(QUESTIONS[lang])
    assert page.evaluate("window.__busySeen") is True
    assert answer.get_attribute("dir") == DIRS[lang] and answer.get_attribute("lang") == lang
    first = page.url.rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert page.locator('a[data-lang="en"]').get_attribute("href") == f"/c/{first}?lang=en"
    export = page.locator('[data-role="export"] a')
    assert export.is_visible() and export.get_attribute("href") == f"/api/conversations/{first}/export.md"
    item = page.locator(f'[data-conversation-id="{first}"]')
    item.wait_for()
    assert item.locator("time").get_attribute("datetime").endswith("Z") and item.locator("time").inner_text().strip()
    assert no_sideways_scroll(page)
    s.shot("answer", full_page=True)

    # a follow-up shows, in the page's language, the question it was searched as
    follow = s.ask(walk["follow_up"])
    searched = follow.locator('[data-role="searched"]')
    assert searched.locator(".label").inner_text() == walk["searched"]
    assert QUESTIONS[lang].split()[2].strip("?؟") in searched.inner_text()

    # a citation: its link names the passage's anchor and the reader's language; it opens the passage beside
    # the answer (over the whole screen on a phone) with the focus in it, and closing gives the focus back
    cite = follow.locator('a[data-citation="1"]').first
    assert re.fullmatch(rf"/passages/[0-9a-f]+\?tr={lang}(&s=[0-9.]+)?#p-[0-9a-f]+", cite.get_attribute("href"))
    s.press(cite)
    panel = page.locator('[data-role="passage"]')
    panel.wait_for(state="visible")
    focused(page, '[data-role="passage"]')
    bounds = panel.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= page.viewport_size["width"] + 1
    if device == "phone":
        assert bounds["width"] >= page.viewport_size["width"] - 1
    assert in_language(lang, panel.locator("#panel-title").inner_text())
    s.shot("panel")
    s.press(panel.locator('[data-action="close-panel"]'))
    panel.wait_for(state="hidden")
    focused(page, f'#{follow.get_attribute("id")} a[data-citation="1"]')

    # a new chat, then back to the first one from the history: it opens at its latest exchange
    s.press(new_chat)
    page.wait_for_url(re.compile(r"/$"))
    focused(page, "#message")
    s.ask(walk["other"])
    other = page.url.rsplit("/", 1)[-1]
    items = page.locator('[data-role="conversation"]')
    items.nth(1).wait_for()
    assert items.count() == 2
    s.press(page.locator(f'[data-conversation-id="{first}"] a'))
    page.wait_for_url(re.compile(rf"/c/{first}#latest$"))
    assert page.evaluate("document.documentElement.scrollHeight > window.innerHeight")  # there is somewhere to scroll
    latest = page.locator('[data-role="question"]').last
    assert latest.inner_text().strip().endswith(walk["follow_up"])
    in_sight_above_the_input(page, latest)
    s.shot("latest")

    # feedback: the vote, then reasons and a comment added after it, stored; the focus on what the page says
    answer = page.locator('[data-role="answer"]').last
    message_id = answer.get_attribute("data-message-id")
    s.press(answer.locator('button[data-vote="down"]'))
    focused(page, f'#m-{message_id} [data-role="feedback-status"]')
    status = answer.locator('[data-role="feedback-status"]')
    assert walk["thanks"] in status.inner_text() and in_language(lang, status.inner_text())
    form = answer.locator('[data-role="feedback"]')
    s.press(form.locator("details > summary"))
    reason = form.locator('label', has=page.locator('input[value="wrong_source"]'))
    assert in_language(lang, reason.inner_text())
    s.press(reason)
    comment = "المصدر الثاني خارج الموضوع." if lang == "ar" else "La deuxième source est hors sujet."
    form.locator('textarea[name="comment"]').fill(comment)
    with page.expect_response(lambda r: r.url.endswith(f"/m/{message_id}/feedback") and r.ok):
        s.press(form.locator('[data-role="feedback-send"]'))
    focused(page, f'#m-{message_id} [data-role="feedback-status"]')
    [row] = [r for r in web_store.feedback_rows("down") if r["message_id"] == message_id]
    assert row["reasons"] == ["wrong_source"] and row["comment"] == comment
    s.shot("feedback")

    # the history: searched as typed, renamed (the focus on the new name), one deleted after confirming
    page.locator("#conv-q").fill(walk["search"])
    page.wait_for_function("() => document.querySelectorAll('[data-role=conversation]').length === 1")
    assert items.first.get_attribute("data-conversation-id") == first
    page.locator("#conv-q").fill("")
    page.wait_for_function("() => document.querySelectorAll('[data-role=conversation]').length === 2")
    item = page.locator(f'[data-conversation-id="{first}"]')
    s.press(item.locator(".conv-actions > summary"))
    item.locator('input[name="title"]').fill(walk["title"])
    s.press(item.locator('[data-role="rename"] button'))
    page.locator(f'[data-conversation-id="{first}"] a', has_text=walk["title"]).wait_for()
    assert web_store.conversation(first).title == walk["title"]
    page.wait_for_function("t => document.activeElement && document.activeElement.textContent === t",
                           arg=walk["title"])
    item = page.locator(f'[data-conversation-id="{other}"]')
    s.press(item.locator(".conv-actions > summary"))
    s.press(item.locator(".confirm > summary"))
    confirm = item.locator('[data-role="delete"] p')
    assert walk["confirm"] in confirm.inner_text() and in_language(lang, confirm.inner_text())
    assert item.locator('[data-role="confirm-delete"]').is_visible()
    s.shot("confirm-delete")
    s.press(item.locator('[data-role="confirm-delete"]'))
    page.locator(f'[data-conversation-id="{other}"]').wait_for(state="detached")
    focused(page, "#conv-q")
    assert web_store.conversation(other) is None and items.count() == 1
    assert no_sideways_scroll(page)

    # the passage page: in the reader's language throughout, the cited sentence marked and on the screen
    cite = page.locator('[data-role="answer"]').first.locator('a[data-citation="1"]').first
    s.press(cite)
    page.locator('[data-role="passage"]').wait_for(state="visible")
    s.press(page.locator('[data-role="passage-link"]'))
    page.wait_for_url(re.compile(r".*/passages/[0-9a-f]+.*"))
    assert page_language(page) == (lang, DIRS[lang])
    assert walk["back"] in page.locator(".breadcrumbs").inner_text()
    highlighted = page.locator('[data-role="highlight"]')
    assert highlighted.locator("mark").count() >= 1
    mark = highlighted.locator("mark").first.bounding_box()
    assert 0 <= mark["y"] < page.viewport_size["height"]
    if lang == "ar":  # the documents are French: each heading and paragraph beside its Arabic translation
        translated = page.locator('.section-text [data-role="translation"] blockquote[lang="ar"][dir="rtl"]')
        assert translated.count() == page.locator(".section-text .para").count() > 1
        assert highlighted.locator('[data-role="translation"] mark').count() >= 1
    assert no_sideways_scroll(page)
    s.shot("passage-page")
    s.close()


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("device, lang", [("desktop", "fr"), ("desktop", "ar"), ("phone", "fr"), ("phone", "ar")])
def test_accessibility_of_every_page_light_and_dark(browser, base_url: str, device: str, lang: str) -> None:
    # axe is injected as a script: this context alone bypasses the CSP that would (rightly) block it.
    s = Session(browser, base_url, f"axe-{device}-{lang}", bypass_csp=True, locale=LOCALES[lang], **DEVICES[device])
    page = s.page

    def no_violations(label: str) -> None:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert axe_violations(page) == [], (label, scheme)
            s.shot(f"{label}-{scheme}")

    page.goto(f"/?lang={lang}")
    no_violations("empty")
    # a failed answer (its red frame and Retry), then an answer with every fold of the page open
    page.route("**/api/chat/stream", lambda route: route.abort("connectionrefused"))
    page.locator('textarea[name="message"]').fill(QUESTIONS[lang])
    s.press(page.locator('[data-role="send"]'))
    page.locator('[data-role="answer"].failed').wait_for()
    page.unroute("**/api/chat/stream")
    answer = s.ask(QUESTIONS[lang])
    s.press(answer.locator('[data-role="feedback"] details > summary'))
    item = page.locator('[data-role="conversation"]').first
    s.press(item.locator(".conv-actions > summary"))
    s.press(item.locator(".confirm > summary"))
    no_violations("chat")
    s.press(answer.locator('a[data-citation="1"]').first)
    page.locator('[data-role="passage"]').wait_for(state="visible")
    no_violations("panel")
    href = answer.locator('a[data-citation="1"]').first.get_attribute("href")
    page.goto(href)
    no_violations("passage")
    page.goto("/aids")
    no_violations("aids")
    _console_failures_only(s)
    s.close()


def test_readme_screenshot(browser, base_url: str) -> None:
    """The README's picture of the page: written to test-artifacts/, copied to docs/ when asked
    (WEB_UPDATE_SCREENSHOT=1) or when docs/screenshot.png does not exist yet."""
    s = Session(browser, base_url, "readme", viewport={"width": 1280, "height": 820}, locale="fr-FR")
    s.page.goto("/")
    answer = s.ask(NOVEMBRE)
    answer.locator('a[data-citation="1"]').first.click()
    s.page.locator('[data-role="passage"]').wait_for(state="visible")
    path = s.shot("chat")
    s.close()
    target = REPO / "docs" / "screenshot.png"
    if os.environ.get("WEB_UPDATE_SCREENSHOT") == "1" or not target.exists():
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, target)
