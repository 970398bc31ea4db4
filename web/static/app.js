// The chat page's behaviour: streamed answers, Enter to send, the passage side panel.
//
// Streaming uses fetch() on POST /api/chat/stream and reads the server-sent events from the response
// body: EventSource (and so htmx's SSE extension) can only GET, and a question belongs in a request
// body, not in a URL that lands in logs and history. Text from the stream is only ever added as text
// nodes; when the answer is complete the server's own rendering of it (escaped by Jinja, with its
// citation links and feedback form) replaces the streamed text.
(function () {
  "use strict";

  const form = document.querySelector('form[data-role="ask"]');
  const panel = document.querySelector('[data-role="passage"]');
  let lastTrigger = null;

  // --- passage panel (filled by htmx from the citation links) --------------------------------------
  function openPanel() {
    if (!panel) return;
    panel.hidden = false;
    panel.focus();
  }

  function closePanel() {
    if (!panel || panel.hidden) return;
    panel.hidden = true;
    if (lastTrigger && document.contains(lastTrigger)) lastTrigger.focus();
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-citation], [data-source], .closest a");
    if (link) lastTrigger = link;
    if (event.target.closest('[data-action="close-panel"]')) closePanel();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel();
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "passage-body") openPanel();
  });

  if (!form) return;

  // The URL moves to /c/<id> after the first answer; going back or forward shows what that URL holds.
  window.addEventListener("popstate", function () {
    location.reload();
  });

  // --- asking ------------------------------------------------------------------------------------
  const box = form.elements.message;
  const conversationField = form.elements.conversation_id;
  const sendButton = form.querySelector('[data-role="send"]');
  const messages = document.querySelector('[data-role="messages"]');
  let busy = false;

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.addEventListener("submit", function (event) {
    const target = event.target;
    if (!target.matches('form[data-role="ask"], form[data-role="suggestions"]')) return;
    event.preventDefault();
    const submitter = event.submitter;
    const text = submitter && submitter.name === "message" ? submitter.value : box.value;
    if (busy || !text.trim()) return;
    ask(text);
  });

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Server-sent events from a fetch() body: yields {event, data} for each complete event.
  async function* readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let content = colon < 0 ? "" : line.slice(colon + 1);
          if (content.startsWith(" ")) content = content.slice(1);
          if (field === "event") name = content;
          else if (field === "data") data.push(content);
        }
        if (data.length) yield { event: name, data: JSON.parse(data.join("\n")) };
      }
    }
  }

  function describe(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg || "").join("; ");
    return "";
  }

  async function ask(text) {
    busy = true;
    sendButton.disabled = true;
    const discover = document.querySelector('[data-role="discover"]');
    if (discover) discover.remove();

    const question = element("article", { class: "msg question", "data-role": "question", dir: "auto" });
    question.append(element("p", { class: "text" }, text));
    const answer = element("article", {
      class: "msg answer", "data-role": "answer", "aria-busy": "true", dir: "auto",
    });
    const answerText = element("div", { class: "text" });
    answer.append(answerText);
    messages.append(question, answer);
    question.scrollIntoView({ block: "start" });
    box.value = "";

    const payload = { message: text };
    if (conversationField.value) payload.conversation_id = conversationField.value;
    try {
      const response = await fetch("/api/chat/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(payload),
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new Error(describe(problem.detail) || String(response.status));
      }
      let final = null;
      for await (const { event, data } of readEvents(response.body)) {
        if (event === "token") answerText.append(document.createTextNode(data));
        else if (event === "citations") final = data;
        else if (event === "error") throw new Error(describe(data.detail));
        else if (event === "done") break;
      }
      if (!final) throw new Error("");
      await showFinal(final, question, answer);
    } catch (error) {
      answer.classList.add("failed");
      answer.setAttribute("aria-busy", "false");
      answerText.textContent = form.dataset.error + (error.message ? " — " + error.message : ".");
    } finally {
      busy = false;
      sendButton.disabled = false;
      box.focus();
    }
  }

  async function showFinal(final, question, answer) {
    const id = final.conversation_id;
    conversationField.value = id;
    if (location.pathname !== "/c/" + id) history.pushState(null, "", "/c/" + id);
    question.lang = final.language;
    question.dir = final.language === "ar" ? "rtl" : "ltr";
    const response = await fetch("/c/" + id + "/messages/" + final.message_id, {
      headers: { "HX-Request": "true" },
    });
    if (!response.ok) throw new Error(String(response.status));
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const rendered = template.content.firstElementChild;
    answer.replaceWith(rendered);
    if (window.htmx) window.htmx.process(rendered);
    document.body.dispatchEvent(new CustomEvent("conversations-changed"));
  }
})();
