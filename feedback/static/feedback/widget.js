/*
 * Feedback widget: <script src="https://HOST/widget.js" data-site-key="pk_..." async></script>
 * Optional: data-user-id, data-trace-id. On pages of the monitoring site itself the snippet sets
 * data-session="true" and data-csrf-token instead of a site key (posts with the user's session).
 * Plain JS, everything inside a shadow root: host page styles do not reach in, ours do not leak out.
 */
(function () {
  "use strict";
  if (window.__aiFeedbackWidget) return;
  window.__aiFeedbackWidget = true;

  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-site-key], script[src*="widget.js"][data-session]');
  if (!script) return;
  var config = {
    siteKey: script.getAttribute("data-site-key") || "",
    userId: script.getAttribute("data-user-id") || "",
    traceId: script.getAttribute("data-trace-id") || "",
    session: script.getAttribute("data-session") === "true",
    csrfToken: script.getAttribute("data-csrf-token") || "",
    // A selector for the page's own link or button that opens the form (the admin's header link):
    // then no floating button covers the page.
    launcher: script.getAttribute("data-launcher") || "",
    endpoint: new URL("/api/v1/feedback/", script.src).href
  };

  var CSS = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    ".root { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2933; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: inline-flex;",
    "  align-items: center; gap: 8px; padding: 10px 16px; border: 0; border-radius: 999px; cursor: pointer;",
    "  background: #1d4ed8; color: #fff; font: 600 15px/1.2 inherit; font-family: inherit;",
    "  box-shadow: 0 4px 14px rgba(15, 23, 42, .28); }",
    ".launcher:hover { background: #1e40af; }",
    ".launcher svg { width: 18px; height: 18px; }",
    "button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible {",
    "  outline: 3px solid #f59e0b; outline-offset: 2px; }",
    ".backdrop { position: fixed; inset: 0; z-index: 2147483001; background: rgba(15, 23, 42, .35); }",
    ".dialog { position: fixed; right: 20px; bottom: 20px; z-index: 2147483002; width: 380px;",
    "  max-width: calc(100vw - 24px); max-height: calc(100vh - 40px); overflow: auto; padding: 20px;",
    "  background: #fff; border-radius: 12px; box-shadow: 0 12px 40px rgba(15, 23, 42, .35); }",
    "[hidden] { display: none !important; }",
    ".head { display: flex; align-items: center; justify-content: space-between; margin: 0 0 12px; }",
    "h2 { margin: 0; font-size: 18px; font-weight: 700; color: #111827; }",
    ".close { border: 0; background: transparent; color: #4b5563; cursor: pointer; font-size: 24px;",
    "  line-height: 1; width: 36px; height: 36px; border-radius: 8px; }",
    ".close:hover { background: #f3f4f6; }",
    "label { display: block; margin: 12px 0 4px; font-weight: 600; font-size: 14px; color: #111827; }",
    ".hint { font-weight: 400; color: #6b7280; }",
    "textarea, input, select { display: block; width: 100%; padding: 9px 10px; font: inherit; color: #111827;",
    "  background: #fff; border: 1px solid #9ca3af; border-radius: 8px; }",
    "textarea { min-height: 120px; resize: vertical; }",
    ".trap { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }",
    ".actions { display: flex; gap: 8px; justify-content: flex-end; margin-top: 16px; }",
    ".btn { padding: 9px 16px; border-radius: 8px; font: 600 14px/1.2 inherit; font-family: inherit; cursor: pointer; }",
    ".primary { border: 0; background: #1d4ed8; color: #fff; }",
    ".primary:hover { background: #1e40af; }",
    ".primary:disabled { background: #93a3c4; cursor: progress; }",
    ".secondary { border: 1px solid #9ca3af; background: #fff; color: #1f2933; }",
    ".status { margin: 12px 0 0; padding: 10px 12px; border-radius: 8px; font-size: 14px; }",
    ".status.error { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; }",
    ".status.success { background: #ecfdf5; color: #065f46; border: 1px solid #a7f3d0; }",
    "@media (max-width: 480px) {",
    "  .launcher { right: 12px; bottom: 12px; }",
    "  .dialog { left: 0; right: 0; bottom: 0; width: 100%; max-width: 100%; max-height: 92vh;",
    "    border-radius: 16px 16px 0 0; padding: 16px; }",
    "}"
  ].join("\n");

  var HTML = [
    '<div class="root">',
    '<button type="button" class="launcher" part="launcher" aria-haspopup="dialog" aria-expanded="false">',
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">',
    '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>Feedback</button>',
    '<div class="backdrop" hidden></div>',
    '<div class="dialog" role="dialog" aria-modal="true" aria-labelledby="fb-title" hidden>',
    '<div class="head"><h2 id="fb-title">Send feedback</h2>',
    '<button type="button" class="close" aria-label="Close feedback form">&times;</button></div>',
    '<form novalidate>',
    '<label for="fb-message">Message</label>',
    '<textarea id="fb-message" name="message" maxlength="5000" required aria-describedby="fb-status"></textarea>',
    '<label for="fb-category">Category</label>',
    '<select id="fb-category" name="category">',
    '<option value="bug">Bug</option><option value="feature">Feature request</option>',
    '<option value="question">Question</option><option value="general" selected>General</option></select>',
    '<label for="fb-email">Email <span class="hint">(optional, if you want a reply)</span></label>',
    '<input id="fb-email" name="email" type="email" maxlength="254" autocomplete="email">',
    '<div class="trap" aria-hidden="true"><label for="fb-website">Leave this field empty</label>',
    '<input id="fb-website" name="website" type="text" tabindex="-1" autocomplete="off"></div>',
    '<p id="fb-status" class="status" role="status" aria-live="polite" hidden></p>',
    '<div class="actions"><button type="button" class="btn secondary cancel">Cancel</button>',
    '<button type="submit" class="btn primary send">Send feedback</button></div>',
    '</form>',
    '<div class="done" hidden><p class="status success" role="status">Thank you! Your feedback was sent.</p>',
    '<div class="actions"><button type="button" class="btn primary finish">Close</button></div></div>',
    '</div></div>'
  ].join("");

  var FIELD_NAMES = { email: "Email", category: "Category", page_url: "Page address" };
  var FOCUSABLE = 'button:not([disabled]), [href], input:not([tabindex="-1"]), select, textarea';
  var ui = {};
  var token = { promise: null, fetchedAt: 0 };

  function applyStyles(shadow) {
    // Constructed sheets are not inline <style>, so strict host CSPs (style-src without
    // 'unsafe-inline') still accept them; older browsers fall back to a <style> element.
    if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
        return;
      } catch (e) { /* fall through */ }
    }
    var style = document.createElement("style");
    style.textContent = CSS;
    shadow.appendChild(style);
  }

  function build() {
    var host = document.createElement("ai-feedback-widget");
    var shadow = host.attachShadow({ mode: "open" });
    applyStyles(shadow);
    var wrapper = document.createElement("div");
    wrapper.innerHTML = HTML;  // static markup only; user text is always set via textContent
    shadow.appendChild(wrapper.firstChild);
    document.body.appendChild(host);
    ui.shadow = shadow;
    ["launcher", "backdrop", "dialog", "close", "cancel", "send", "finish", "done"].forEach(function (name) {
      ui[name] = shadow.querySelector("." + name);
    });
    ui.form = shadow.querySelector("form");
    ui.status = shadow.getElementById("fb-status");
    ui.message = shadow.getElementById("fb-message");
    bind();
  }

  function bind() {
    var own = config.launcher && document.querySelector(config.launcher);
    if (own) {
      ui.launcher.hidden = true;
      ui.launcher.style.display = "none";
      own.setAttribute("aria-haspopup", "dialog");
      own.setAttribute("aria-expanded", "false");
      ui.launcher = own;
    }
    ui.launcher.addEventListener("click", function (event) {
      event.preventDefault();
      open();
    });
    ui.close.addEventListener("click", close);
    ui.cancel.addEventListener("click", close);
    ui.finish.addEventListener("click", close);
    ui.backdrop.addEventListener("click", close);
    ui.form.addEventListener("submit", submit);
    ui.dialog.addEventListener("keydown", onKey);
  }

  function open() {
    ui.form.hidden = false;
    ui.done.hidden = true;
    ui.dialog.hidden = false;
    ui.backdrop.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    showStatus("", "");
    ui.message.focus();
    fetchToken();
  }

  function close() {
    ui.dialog.hidden = true;
    ui.backdrop.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      trapFocus(event);
    }
  }

  function trapFocus(event) {
    var items = Array.prototype.filter.call(ui.dialog.querySelectorAll(FOCUSABLE), function (el) {
      return el.offsetParent !== null;  // skip hidden parts (form vs. success view)
    });
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    var active = ui.shadow.activeElement;
    if (event.shiftKey && (active === first || !ui.dialog.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !ui.dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  function showStatus(text, kind) {
    ui.status.textContent = text;
    ui.status.className = "status " + kind;
    ui.status.hidden = !text;
  }

  function fetchToken() {
    // The render token is a signed timestamp: the server treats posts sent within a couple of
    // seconds of opening the form as automated. Refetched after an hour (it expires after a day).
    if (config.session) return Promise.resolve("");
    if (token.promise && Date.now() - token.fetchedAt < 3600 * 1000) return token.promise;
    var url = config.endpoint + "?site_key=" + encodeURIComponent(config.siteKey);
    token.fetchedAt = Date.now();
    token.promise = fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) throw new Error("refused");
      return response.json();
    }).then(function (body) {
      ui.send.disabled = false;
      return body.token || "";
    }).catch(function () {
      token.promise = null;
      refused();
      return null;
    });
    return token.promise;
  }

  function payload(renderToken) {
    var data = new FormData(ui.form);
    var href = String(window.location.href);
    return {
      site_key: config.siteKey,
      message: String(data.get("message") || ""),
      category: String(data.get("category") || "general"),
      email: String(data.get("email") || "").trim(),
      website: String(data.get("website") || ""),
      token: renderToken,
      page_url: /^https?:/i.test(href) ? href.slice(0, 2000) : "",
      user_id: config.userId,
      trace_id: config.traceId,
      viewport: window.innerWidth + "x" + window.innerHeight,
      metadata: { language: navigator.language || "" }  // the user agent comes with the request
    };
  }

  function request(body) {
    var headers = { "Content-Type": "application/json" };
    if (config.session) headers["X-CSRFToken"] = config.csrfToken;
    return fetch(config.endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: config.session ? "same-origin" : "omit"
    });
  }

  function submit(event) {
    event.preventDefault();
    if (!ui.message.value.trim()) {
      showStatus("Please write a message.", "error");
      ui.message.focus();
      return;
    }
    ui.send.disabled = true;
    ui.send.textContent = "Sending…";
    showStatus("", "");
    // Wait for the render token when the form was sent before its request came back.
    fetchToken().then(function (renderToken) {
      if (renderToken === null) return refused();
      return request(payload(renderToken)).then(handleResponse);
    }).catch(function () {
      failed("Could not send your feedback. Check your connection and try again.");
    });
  }

  function handleResponse(response) {
    if (response.status === 201) return succeeded();
    return response.json().catch(function () { return {}; }).then(function (body) {
      failed(errorText(response, body));
    });
  }

  function errorText(response, body) {
    if (response.status === 429) {
      var wait = parseInt(response.headers.get("Retry-After") || "60", 10);
      var when = wait > 3600 ? "later" : "in " + Math.max(1, Math.ceil(wait / 60)) + " min";
      return "Too many messages from here. Please try again " + when + ".";
    }
    if (response.status === 403) return "Feedback is not available on this page.";
    if (response.status === 400 && body && typeof body === "object") {
      var field = Object.keys(body)[0];
      var detail = Array.isArray(body[field]) ? body[field][0] : body[field];
      if (detail) return (FIELD_NAMES[field] ? FIELD_NAMES[field] + ": " : "") + detail;
    }
    return "Something went wrong. Please try again later.";
  }

  function succeeded() {
    resetSend();
    ui.form.reset();
    ui.form.hidden = true;
    ui.done.hidden = false;
    ui.finish.focus();
  }

  function failed(text) {
    resetSend();
    showStatus(text, "error");
  }

  function refused() {
    resetSend();
    showStatus("Feedback is not available on this page.", "error");
    ui.send.disabled = true;
  }

  function resetSend() {
    ui.send.disabled = false;
    ui.send.textContent = "Send feedback";
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
