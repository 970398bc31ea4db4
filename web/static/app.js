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
    const swapped = event.target;
    // after a rename the focus goes to the renamed conversation, after a delete to the search box
    if (swapped && swapped.matches && swapped.matches('[data-role="conversations"]')) {
      const source = event.detail.requestConfig && event.detail.requestConfig.elt;
      const action = source && source.getAttribute && source.getAttribute("hx-post");
      const found = action && /^\/c\/([0-9a-f]{32})\/(rename|delete)$/.exec(action);
      if (found) {
        const link = found[2] === "rename" ? swapped.querySelector('[data-conversation-id="' + found[1] + '"] a') : null;
        const target = link || document.getElementById("conv-q");
        if (target) target.focus();
      }
    }
    // after a vote the form is replaced: focus goes to what it says, not back to the top of the page
    if (swapped && swapped.matches && swapped.matches('[data-role="feedback"]')) {
      const said = swapped.querySelector('[data-role="feedback-status"]');
      if (said) {
        said.tabIndex = -1;
        said.focus();
      }
    }
  });

  if (!form) return;

  // The URL moves to /c/<id> after the first answer; going back or forward shows what that URL holds.
  // A move within the page (the skip link's #main, a #latest) is no reason to reload it.
  let shownPath = location.pathname;
  window.addEventListener("popstate", function () {
    if (location.pathname !== shownPath) location.reload();
  });

  // --- asking ------------------------------------------------------------------------------------
  const box = form.elements.message;
  const conversationField = form.elements.conversation_id;
  const sendButton = form.querySelector('[data-role="send"]');
  const stopButton = form.querySelector('[data-role="stop"]');
  const counter = form.querySelector('[data-role="counter"]');
  const status = form.querySelector('[data-role="ask-status"]');
  const messages = document.querySelector('[data-role="messages"]');
  const maxChars = Number(form.dataset.maxChars) || 2000;
  let busy = false;
  let controller = null;

  function say(text) {
    status.textContent = text;
  }

  // The box grows with what is typed, and counts it: a long paste is shown over the limit, never cut.
  function measure() {
    const n = box.value.length;
    counter.textContent = n + " / " + maxChars;
    counter.classList.toggle("over", n > maxChars);
    box.setAttribute("aria-invalid", n > maxChars ? "true" : "false");
    box.style.blockSize = "auto";
    box.style.blockSize = Math.min(box.scrollHeight + 2, window.innerHeight * 0.4) + "px";
  }
  box.addEventListener("input", function () {
    measure();
    if (box.value.length <= maxChars && status.textContent) say("");
  });
  measure();

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
    if (busy) return;
    if (!text.trim()) {
      say(form.dataset.empty);
      box.focus();
      return;
    }
    if (text.length > maxChars) {
      say(form.dataset.tooLong.replace("{n}", String(text.length)).replace("{max}", String(maxChars)));
      box.focus();
      return;
    }
    say("");
    ask(text);
  });

  if (stopButton) {
    stopButton.addEventListener("click", function () {
      if (controller) controller.abort("stopped");
    });
  }

  // What went wrong, in the page's language (never the browser's own "Failed to fetch").
  function failure(error, response) {
    const d = form.dataset;
    if (error === "stopped") return d.stopped;
    if (error === "timeout") return d.timeout;
    if (response && response.status === 429) return d.busy;
    if (response && response.status >= 400 && response.status < 500) return d.invalid;
    if (response && response.status >= 500) return d.serverError;
    return d.network;
  }

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

  async function ask(text) {
    busy = true;
    sendButton.disabled = true;
    if (stopButton) stopButton.hidden = false;
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
    measure();

    controller = new AbortController();
    const current = controller;
    const idleMs = Number(form.dataset.idleMs) || 45000; // no word from the server for this long: give up
    let timer = null;
    const wait = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { current.abort("timeout"); }, idleMs);
    };
    const payload = { message: text };
    if (conversationField.value) payload.conversation_id = conversationField.value;
    let response = null;
    try {
      wait();
      response = await fetch("/api/chat/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(payload),
        signal: current.signal,
      });
      if (!response.ok) throw new Error("status");
      let final = null;
      for await (const { event, data } of readEvents(response.body)) {
        wait();
        if (event === "token") answerText.append(document.createTextNode(data));
        else if (event === "citations") final = data;
        else if (event === "error") throw new Error("server");
        else if (event === "done") break;
      }
      if (!final) throw new Error("server");
      await showFinal(final, question, answer);
    } catch (error) {
      const reason = current.signal.aborted ? current.signal.reason : null;
      const failedStatus = response && !response.ok ? response : (error.message === "server" ? { status: 500 } : null);
      answer.classList.add("failed");
      answer.setAttribute("aria-busy", "false");
      answerText.textContent = failure(reason, failedStatus);
      // Retry asks the same question again, in place of this failed pair; the box gets it back too.
      const retry = element("button", { type: "button", class: "retry", "data-role": "retry" }, form.dataset.retry);
      retry.addEventListener("click", function () {
        if (busy) return;
        question.remove();
        answer.remove();
        ask(text);
      });
      answer.append(retry);
      if (!box.value) {
        box.value = text;
        measure();
      }
    } finally {
      clearTimeout(timer);
      controller = null;
      busy = false;
      sendButton.disabled = false;
      if (stopButton) stopButton.hidden = true;
      box.focus();
    }
  }

  async function showFinal(final, question, answer) {
    const id = final.conversation_id;
    conversationField.value = id;
    if (location.pathname !== "/c/" + id) {
      history.pushState(null, "", "/c/" + id);
      shownPath = location.pathname;
      // the page now shows this conversation: its language links and export keep to it
      for (const link of document.querySelectorAll("a[data-lang]")) {
        link.href = "/c/" + id + "?lang=" + link.dataset.lang;
      }
      const exportLink = document.querySelector('[data-role="export"]');
      if (exportLink) {
        exportLink.querySelector("a").href = "/api/conversations/" + id + "/export.md";
        exportLink.hidden = false;
      }
    }
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
