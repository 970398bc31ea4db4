"""Server mode: a real `chroma run` on loopback holds the vectors; ingest writes there and the assistant answers
through it.

Chroma 1.5.9's server (the Rust frontend started by `chroma run`) has no server-side auth to enforce a
token: neither its config file nor the old ``CHROMA_SERVER_AUTHN_*`` variables make it refuse a request.
``CHROMA_AUTH_TOKEN`` is sent as ``Authorization: Bearer …`` for a front that checks it (a reverse proxy,
a hosted Chroma); the last test puts such a proxy in front of the real server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, REPO, make_settings
from tests.processes import free_port, serving

pytestmark = pytest.mark.server
CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    command = [str(CHROMA), "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", folder / "server.log", 60, cwd=folder):
        yield port


def test_ingest_writes_the_vectors_to_the_server_and_the_assistant_answers_through_it(chroma_server, tmp_path):
    import chromadb

    from assistant.service import Assistant
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import get_embeddings
    from vectorstore.index import Index, current_build

    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    embeddings = get_embeddings(settings.embedding_model, settings.embedding_backend)
    report = run_ingest(CORPUS, settings.data_dir, embeddings, settings.chroma(),
                        vector_seed=current_build(REPO / "data"))
    assert report.changed

    # The vectors are in the server, not in the build folder.
    build = current_build(settings.data_dir)
    assert not (build / "chroma").exists()
    server = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    name = f"passages-{report.build_id}"
    index = Index.open(settings.data_dir, settings.chroma())
    entries = sum(1 + len(p.translations) for p in index.passages.values())
    assert server.get_collection(name).count() == index.info["entries"] == entries

    answer = Assistant.from_settings(settings).answer("Qu'est-ce que le Festival Novembre Numérique ?")
    assert not answer.abstained and answer.citations
    assert any("Novembre Numérique" in c.text for c in answer.citations)

    # Unchanged corpus: nothing rebuilt, but what a killed ingest left (its staging folder and its half-written
    # collection on the server) is removed.
    (settings.data_dir / "indexes" / ".staging-20260101-000000-deadbeef").mkdir()
    server.create_collection("passages-20260101-000000-deadbeef")
    unchanged = run_ingest(CORPUS, settings.data_dir, embeddings, settings.chroma())
    assert not unchanged.changed and unchanged.cleaned == ["indexes/.staging-20260101-000000-deadbeef"]
    assert "passages-20260101-000000-deadbeef" not in {c.name for c in server.list_collections()}
    # A server that lost the live collection: rebuilt (nothing to embed), and the old build's collection dropped.
    server.delete_collection(name)
    again = run_ingest(CORPUS, settings.data_dir, embeddings, settings.chroma())
    assert again.changed and again.embedded == 0
    names = {c.name for c in server.list_collections()}
    assert f"passages-{again.build_id}" in names and name not in names


@pytest.fixture(scope="module")
def token_proxy(chroma_server):
    """A reverse proxy in front of the server that requires ``Authorization: Bearer s3cret``: how a Chroma
    server is exposed with a token (the 1.5.9 server itself does not check one)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    upstream = httpx.Client(base_url=f"http://127.0.0.1:{chroma_server}", timeout=30)

    class Proxy(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            if self.headers.get("Authorization") != "Bearer s3cret":
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": "Unauthorized", "message": "missing or wrong token"}')
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            res = upstream.request(self.command, self.path, content=body, headers=headers)
            self.send_response(res.status_code)
            for key, value in res.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(res.content)))
            self.end_headers()
            self.wfile.write(res.content)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    upstream.close()


def test_the_auth_token_setting_reaches_a_token_checking_front(token_proxy, tmp_path):
    from ingest.parse import parse_page
    from vectorstore.chroma import ChromaConfig, make_client
    from vectorstore.embeddings import get_embeddings
    from vectorstore.errors import ChromaServerError
    from vectorstore.index import Index, build_index

    for token in ("", "wrong"):
        with pytest.raises(ChromaServerError, match=f"cannot use the Chroma server at 127.0.0.1:{token_proxy}"):
            make_client(ChromaConfig(host="127.0.0.1", port=token_proxy, auth_token=token), None)

    config = ChromaConfig(host="127.0.0.1", port=token_proxy, auth_token="s3cret")
    passages, _ = parse_page("Le festival\n\nLe festival Novembre Numérique présente la création numérique.\n",
                             "doc", "Doc", "fr")
    embeddings = get_embeddings()
    build_index(tmp_path, passages, {}, embeddings, config)
    index = Index.open(tmp_path, config)
    hits = index.dense(embeddings.encode(["Novembre Numérique"])[0], 1)
    assert index.passages[hits[0][0].split(":")[0]].text.startswith("Le festival Novembre Numérique")
