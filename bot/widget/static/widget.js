/*
 * Patient chat widget for the kyphoplasty assistant.
 *
 * Embed with ONE script tag; its data-config attribute is the config object:
 *   <script src="https://chat.example.org/widget/widget.js" defer
 *           data-config='{"socketUrl": "https://chat.example.org", "phone": "(212) 736-5000"}'></script>
 *
 * Plain JS on the maintained socket.io-client (loaded from vendor/ beside this
 * file). Every message is rendered with textContent, never as HTML.
 * The conversation (rendered messages, unsent messages, the signed session
 * token) is kept in sessionStorage: it survives a reload and goes away with
 * the tab, which suits health conversations on shared computers.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-config][src*='widget.js']");
  var base = new URL(".", script.src);
  var userConfig = {};
  try { userConfig = JSON.parse(script.getAttribute("data-config") || "{}"); } catch (e) { userConfig = {}; }

  var config = {
    socketUrl: base.origin,
    socketPath: "/socket.io",
    sessionUrl: new URL("/session", base).href,
    title: "Ask our assistant",
    phone: "the phone number on your appointment papers",
    maxMessageChars: 1000,
    ackTimeoutMs: 45000,
    storageKey: "kyphoChat.v1",
    greeting: "Hello! I can answer questions about kyphoplasty, a treatment for spine fractures. " +
      "I can also walk you through a short checklist.",
    starters: [
      { title: "What is kyphoplasty?", payload: "What is kyphoplasty?" },
      { title: "Start the checklist", payload: "/screening" }
    ],
    disclaimer: "General information, not medical advice. In an emergency call 911."
  };
  Object.keys(userConfig).forEach(function (key) { config[key] = userConfig[key]; });

  // ---- state kept across reloads
  var state = load();
  function fresh() { return { session: null, messages: [], outbox: [], open: false }; }
  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(config.storageKey));
      if (saved && Array.isArray(saved.messages) && Array.isArray(saved.outbox)) { return saved; }
    } catch (e) { /* storage unavailable or corrupt: start fresh */ }
    return fresh();
  }
  function save() {
    try { window.sessionStorage.setItem(config.storageKey, JSON.stringify(state)); } catch (e) { /* full or blocked */ }
  }

  // ---- DOM helpers (text only)
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var uid = "kypho-chat";
  var root = el("div", { "class": "kc-root" });
  var launcher = el("button", { type: "button", "class": "kc-launcher", "aria-expanded": "false",
    "aria-controls": uid + "-panel" }, "Chat with us");
  var panel = el("section", { id: uid + "-panel", "class": "kc-panel", "aria-labelledby": uid + "-title", hidden: "" });
  var header = el("div", { "class": "kc-header" });
  var title = el("h2", { id: uid + "-title", "class": "kc-title" }, config.title);
  var restart = el("button", { type: "button", "class": "kc-restart" }, "Start over");
  var close = el("button", { type: "button", "class": "kc-close", "aria-label": "Close chat" }, "\u00d7");
  header.append(title, restart, close);
  var disclaimer = el("p", { "class": "kc-disclaimer" }, config.disclaimer);
  var log = el("div", { "class": "kc-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation", tabindex: "0" });
  var typing = el("div", { "class": "kc-typing", role: "status", hidden: "" });
  typing.append(el("span", { "class": "kc-dots", "aria-hidden": "true" }, "\u2022\u2022\u2022"),
    el("span", {}, " The assistant is typing"));
  var notice = el("div", { "class": "kc-notice", role: "alert" });
  var form = el("form", { "class": "kc-form" });
  var label = el("label", { "for": uid + "-input", "class": "kc-label" }, "Type your question");
  var input = el("textarea", { id: uid + "-input", "class": "kc-input", rows: "2", autocomplete: "off",
    "aria-describedby": uid + "-hint" });
  var hint = el("p", { id: uid + "-hint", "class": "kc-hint" }, "Press Enter to send, Shift+Enter for a new line.");
  var send = el("button", { type: "submit", "class": "kc-send" }, "Send");
  form.append(label, input, send, hint);
  panel.append(header, disclaimer, log, typing, notice, form);
  root.append(launcher, panel);

  // ---- rendering
  function renderMessage(message, announce) {
    var item = el("div", { "class": "kc-msg kc-" + message.from });
    item.append(el("span", { "class": "kc-sr" }, message.from === "user" ? "You said: " : "Assistant: "));
    item.append(el("span", { "class": "kc-text" }, message.text));
    if (message.pending) { item.classList.add("kc-pending"); }
    if (message.retrying) { item.classList.add("kc-retrying"); }
    if (message.id) { item.setAttribute("data-id", message.id); }
    log.append(item);
    if (message.buttons && message.buttons.length) { renderButtons(message.buttons, message.answered); }
    if (announce !== false) { log.scrollTop = log.scrollHeight; }
  }

  function renderButtons(buttons, answered) {
    var group = el("div", { "class": "kc-buttons", role: "group", "aria-label": "Quick replies" });
    buttons.forEach(function (button) {
      var node = el("button", { type: "button", "class": "kc-quick" }, button.title);
      if (answered) { node.disabled = true; }
      node.addEventListener("click", function () { sendMessage(button.title, button.payload); });
      group.append(node);
    });
    log.append(group);
  }

  function renderAll() {
    log.textContent = "";
    state.messages.forEach(function (message) { renderMessage(message, false); });
    log.scrollTop = log.scrollHeight;
  }

  function disableButtons() {
    log.querySelectorAll(".kc-quick").forEach(function (node) { node.disabled = true; });
    state.messages.forEach(function (message) { if (message.buttons) { message.answered = true; } });
  }

  function addMessage(message) {
    state.messages.push(message);
    if (state.messages.length > 200) { state.messages.splice(0, state.messages.length - 200); }
    save();
    renderMessage(message);
  }

  function showNotice(text, action) {
    notice.textContent = "";
    if (!text) { notice.hidden = true; return; }
    notice.hidden = false;
    notice.append(el("span", {}, text));
    if (action) {
      var button = el("button", { type: "button", "class": "kc-retry" }, action.label);
      button.addEventListener("click", action.run);
      notice.append(" ", button);
    }
  }

  function setTyping(on) { typing.hidden = !on; if (on) { log.scrollTop = log.scrollHeight; } }

  var unreachable = function () {
    return "We can't reach the assistant right now. We'll keep trying. If you need help now, call " +
      config.phone + ". In an emergency call 911.";
  };

  // ---- session and connection
  var socket = null;
  var confirmed = false;
  var inFlight = {};

  function newSession() {
    return fetch(config.sessionUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })
      .then(function (response) {
        if (!response.ok) { throw new Error("session " + response.status); }
        return response.json();
      })
      .then(function (data) {
        state.session = { id: data.session_id, token: data.token };
        save();
        return state.session;
      });
  }

  var ioReady = new Promise(function (resolve, reject) {
    var loader = el("script", { src: new URL("vendor/socket.io.min.js", base).href });
    loader.addEventListener("load", resolve);
    loader.addEventListener("error", reject);
    document.head.append(loader);
  });

  function connect() {
    if (socket) { return; }
    socket = window.io(config.socketUrl, { path: config.socketPath, transports: ["websocket", "polling"],
      reconnectionDelay: 1000, reconnectionDelayMax: 5000 });
    socket.on("connect", function () {
      showNotice("");
      socket.emit("session_request", { session_id: state.session.id, token: state.session.token });
    });
    socket.on("session_confirm", function () { confirmed = true; showNotice(""); flush(); });
    socket.on("session_refused", function () {
      // the token expired or the server's secret changed: a new conversation
      confirmed = false;
      newSession().then(function () {
        addMessage({ from: "note", text: "A new conversation has started." });
        socket.emit("session_request", { session_id: state.session.id, token: state.session.token });
      }).catch(function () { showNotice(unreachable(), { label: "Try again", run: start }); });
    });
    socket.on("disconnect", function () {
      confirmed = false;
      inFlight = {};
      setTyping(false);
      showNotice("Connection lost. Reconnecting\u2026 Your messages will be sent when we are back.");
    });
    socket.on("connect_error", function () { confirmed = false; setTyping(false); showNotice(unreachable()); });
    socket.on("bot_uttered", function (data) {
      if (!data || typeof data.text !== "string") { return; }
      var buttons = (data.quick_replies || data.buttons || []).filter(function (b) {
        return b && typeof b.title === "string" && typeof b.payload === "string";
      }).map(function (b) { return { title: b.title, payload: b.payload }; });
      addMessage({ from: "bot", text: data.text, buttons: buttons });
    });
    socket.on("session_replaced", function () {
      // this chat was opened in another window: this one stops receiving replies
      confirmed = false;
      setTyping(false);
      showNotice("This chat is open in another window.", {
        label: "Continue here",
        run: function () {
          socket.emit("session_request", { session_id: state.session.id, token: state.session.token });
        }
      });
    });
    socket.on("message_refused", function (data) {
      var reason = data && data.reason;
      if (data && data.message_id) { drop(data.message_id); }
      setTyping(false);
      if (reason === "too_long") {
        showNotice("That message is too long for the chat (over " + data.limit + " characters). Please shorten it.");
      } else if (reason === "no_session") {
        showNotice("Reconnecting\u2026");
      }
    });
  }

  function markRetrying(id, on) {
    var node = log.querySelector(".kc-msg[data-id='" + id + "']");
    if (node) { node.classList.toggle("kc-retrying", on); }
    state.messages.forEach(function (m) { if (m.id === id) { m.retrying = on || undefined; } });
    if (!on && /not sent yet|quickly/.test(notice.textContent)) { showNotice(""); }
  }

  function drop(id) {
    state.outbox = state.outbox.filter(function (m) { return m.id !== id; });
    delete inFlight[id];
    var node = log.querySelector(".kc-msg[data-id='" + id + "']");
    if (node) { node.classList.remove("kc-pending"); }
    state.messages.forEach(function (m) { if (m.id === id) { delete m.pending; } });
    save();
  }

  function flush() {
    if (!socket || !confirmed) { return; }
    state.outbox.forEach(function (message) {
      if (inFlight[message.id]) { return; }
      inFlight[message.id] = true;
      setTyping(true);
      socket.timeout(config.ackTimeoutMs).emit("user_uttered",
        { message: message.payload, message_id: message.id, session_id: state.session.id },
        function (err, ack) {
          delete inFlight[message.id];
          if (err) {
            // no answer in time: keep it queued, it is resent (the server ignores repeats)
            setTyping(false);
            showNotice("The assistant is taking longer than usual. We'll retry your message.");
            setTimeout(flush, 2000);
            return;
          }
          if (ack && ack.ok === false && ack.error === "no_session") { return; }
          if (ack && ack.ok === false && ack.retry) {
            // the server could not store it: nothing was answered; say so and send it again
            setTyping(false);
            markRetrying(message.id, true);
            showNotice(ack.error === "slow_down"
              ? "You are sending messages quickly. I will send this one in a moment\u2026"
              : "Your message was not sent yet. Retrying\u2026");
            setTimeout(flush, (ack.retry_after || 2) * 1000);
            return;
          }
          markRetrying(message.id, false);
          drop(message.id);
          if (!Object.keys(inFlight).length) { setTyping(false); }
        });
    });
  }

  function messageId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sendMessage(display, payload) {
    display = (display || "").trim();
    payload = (payload || display).trim();
    if (!payload) { return false; }
    if (payload.length > config.maxMessageChars) {
      showNotice("Your message is too long (" + payload.length + " characters). Please keep it under " +
        config.maxMessageChars + " characters.");
      return false;
    }
    showNotice("");
    disableButtons();
    var id = messageId();
    state.outbox.push({ id: id, payload: payload });
    addMessage({ from: "user", text: display, id: id, pending: true });
    flush();
    if (!confirmed) { showNotice(socket && socket.connected ? "Connecting\u2026" : unreachable()); }
    return true;
  }

  function start() {
    showNotice("");
    var ready = state.session ? Promise.resolve(state.session) : newSession();
    return ready.then(function () { return ioReady; }).then(connect).catch(function () {
      showNotice(unreachable(), { label: "Try again", run: start });
    });
  }

  function startOver() {
    if (socket) { socket.disconnect(); socket = null; }
    confirmed = false;
    inFlight = {};
    state = fresh();
    state.open = true;
    save();
    renderAll();
    greet();
    start().then(function () { input.focus(); });
  }

  function greet() {
    if (!state.messages.length) {
      addMessage({ from: "bot", text: config.greeting, buttons: config.starters });
    }
  }

  function setOpen(open) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.hidden = open;
    if (open) {
      greet();
      if (!socket) { start(); }
      input.focus();
    } else {
      launcher.focus();
    }
  }

  // ---- events
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); });
  restart.addEventListener("click", startOver);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { setOpen(false); } });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sendMessage(input.value)) { input.value = ""; }
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  // ---- start
  function boot() {
    var style = el("link", { rel: "stylesheet", href: new URL("widget.css", base).href });
    document.head.append(style);
    notice.hidden = true;
    document.body.append(root);
    renderAll();
    if (state.open) { setOpen(true); }
  }
  window.kyphoChat = { open: function () { setOpen(true); }, startOver: startOver };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); } else { boot(); }
})();
