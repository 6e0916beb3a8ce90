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
 * the tab, which suits health conversations on shared computers. The text
 * size is kept in localStorage: it says nothing about the person's health and
 * should still be right on their next visit.
 *
 * A reply's `metadata` (channels/socketio.py) says which response it is: the
 * emergency reply is shown as an alert with tap-to-call links, and a catalogue
 * answer gets a "Where this comes from" control over its source passages and
 * a "Was this helpful? Yes / No" pair: one tap, optional, sent over the chat's
 * own socket (the server stores it only for an answer this conversation was
 * given), then replaced by a short thank-you. Tapping it never moves focus away
 * from the text box.
 *
 * The checklist's outcome is one message, its main line first: it stays in view
 * (the log does not scroll its top away when the callback offer follows), and
 * a "Printable summary" link under it opens the summary page on the widget's
 * server (/summary), with this chat's session id and token in the address's
 * fragment: the page asks for the answers with them, and removes them from the
 * address at once.
 *
 * Nothing is lost across a reload or a dropped connection: every reply part
 * carries its place in the conversation (metadata.reply_ts, reply_part). The
 * widget keeps the place of the newest one it showed (state.lastReply) and
 * names it in every session_request; the server sends the replies stored after
 * it before it confirms the session, and the ones of a turn still running go
 * to this socket when the turn ends. When a resent message proves handled
 * already, the widget asks once more (missed_replies). A part at or before
 * lastReply is one the widget has already shown: it is skipped, so nothing
 * appears twice.
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
    summaryUrl: new URL("/summary", base).href,
    title: "Ask our assistant",
    phone: "the phone number on your appointment papers",
    // the practice's numbers (bot/settings.py: EMERGENCY_NUMBER, CRISIS_LINE, SOURCE_TITLE)
    emergencyNumber: "911",
    crisisLine: "988",
    sourceTitle: "Kyphoplasty: patient information",
    maxMessageChars: 1000,
    ackTimeoutMs: 45000,
    storageKey: "kyphoChat.v1",
    textSizeKey: "kyphoChat.textSize",
    greeting: "Hello! I can answer questions about kyphoplasty, a treatment for spine fractures. " +
      "I can also walk you through a short checklist.",
    starters: [
      { title: "What is kyphoplasty?", payload: "What is kyphoplasty?" },
      { title: "Start the checklist", payload: "/screening" }
    ],
    disclaimer: null
  };
  Object.keys(userConfig).forEach(function (key) { config[key] = userConfig[key]; });
  if (!config.disclaimer) {
    config.disclaimer = "General information, not medical advice. In an emergency call " + config.emergencyNumber + ".";
  }

  // The response the emergency reply comes from (the answer catalogue contract),
  // and the value of its condition slot that picks the crisis variation (domain.yml).
  var EMERGENCY_REPLY = "utter_emergency";
  // "forget me" confirmed: the server deleted the conversation (actions/forget_me.py)
  var FORGOTTEN_REPLY = "utter_forget_me_done";
  var CRISIS = "crisis";
  // the checklist's outcome: "utter_screening_outcome_" + the outcome (actions/screening_rules.py)
  var OUTCOME_PREFIX = "utter_screening_outcome_";
  // A catalogue answer's response: "utter_" + an answer id with a "/" (the catalogue
  // contract); chitchat is a retrieval response too but no answer from the source.
  function catalogueAnswerId(utterAction) {
    if (typeof utterAction !== "string" || utterAction.indexOf("utter_") !== 0) { return null; }
    var id = utterAction.slice("utter_".length);
    return id.indexOf("/") > 0 && id.indexOf("chitchat/") !== 0 ? id : null;
  }
  // Text sizes: the root font size; everything in widget.css is in em, so it all scales.
  var TEXT_SIZES = [
    { key: "standard", name: "standard" },
    { key: "large", name: "large" },
    { key: "largest", name: "largest" }
  ];

  // ---- state kept across reloads
  var state = load();
  // lastReply: the place of the newest reply shown (null: none yet). A state saved
  // before replies had places has no such key, and asks for no missed replies.
  function fresh() { return { session: null, messages: [], outbox: [], open: false, lastReply: null }; }
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
  var close = el("button", { type: "button", "class": "kc-close", "aria-label": "Close chat" }, "\u00d7");
  header.append(title, close);
  // "Start over" sits at the other end of the panel from the close button (a
  // slip of the finger must not wipe a conversation) and asks first.
  var toolbar = el("div", { "class": "kc-toolbar" });
  var restart = el("button", { type: "button", "class": "kc-restart", "aria-expanded": "false",
    "aria-controls": uid + "-confirm" }, "Start over");
  var sizes = el("div", { "class": "kc-sizes", role: "group", "aria-labelledby": uid + "-sizes" });
  sizes.append(el("span", { id: uid + "-sizes", "class": "kc-sizes-label" }, "Text size"));
  var sizeButtons = TEXT_SIZES.map(function (size) {
    // the name starts with the visible "A" ("A, largest"), so voice control finds it too
    var button = el("button", { type: "button", "class": "kc-size kc-size-" + size.key, "aria-pressed": "false",
      "aria-label": "A, " + size.name, "data-size": size.key }, "A");
    button.addEventListener("click", function () { setTextSize(size.key); });
    sizes.append(button);
    return button;
  });
  toolbar.append(restart, sizes);
  var confirmBox = el("div", { id: uid + "-confirm", "class": "kc-confirm", role: "group",
    "aria-labelledby": uid + "-confirm-q", hidden: "" });
  var confirmYes = el("button", { type: "button", "class": "kc-confirm-yes" }, "Yes, start over");
  var confirmNo = el("button", { type: "button", "class": "kc-confirm-no" }, "No, keep this conversation");
  confirmBox.append(el("p", { id: uid + "-confirm-q", "class": "kc-confirm-q" },
    "Start over? This clears this conversation from the screen and starts a new one."), confirmYes, confirmNo);
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
  panel.append(header, toolbar, confirmBox, disclaimer, log, typing, notice, form);
  root.append(launcher, panel);

  // ---- rendering
  function renderMessage(message, announce) {
    var item = el("div", { "class": "kc-msg kc-" + message.from });
    if (message.urgent) {
      // its own colour and icon, and an alert: a screen reader interrupts with it
      item.classList.add("kc-urgent");
      item.setAttribute("role", "alert");
      item.append(warningIcon(), el("span", { "class": "kc-sr" }, "Urgent. Assistant: "));
    } else {
      item.append(el("span", { "class": "kc-sr" }, message.from === "user" ? "You said: " : "Assistant: "));
    }
    if (message.outcome && message.text.indexOf("\n") > 0) {
      // the checklist's outcome: its main line stands out from the notes under it
      var cut = message.text.indexOf("\n");
      var text = el("span", { "class": "kc-text" });
      text.append(el("strong", { "class": "kc-main-line" }, message.text.slice(0, cut)), message.text.slice(cut));
      item.append(text);
    } else {
      item.append(el("span", { "class": "kc-text" }, message.text));
    }
    if (message.urgent) { item.append(callLinks(message.urgent)); }
    if (message.source && message.source.length) { item.append(renderSource(message.source)); }
    if (message.feedback) { item.append(renderFeedback(message)); }
    if (message.outcome) {
      item.append(renderSummaryLink());
      // the main line stays in view until the person writes again
      if (announce !== false) { pinned = item; }
    }
    if (message.pending) { item.classList.add("kc-pending"); }
    if (message.retrying) { item.classList.add("kc-retrying"); }
    if (message.id) { item.setAttribute("data-id", message.id); }
    log.append(item);
    if (message.buttons && message.buttons.length) { renderButtons(message.buttons, message.answered); }
    if (announce !== false) { scrollToEnd(); }
  }

  function warningIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "kc-urgent-icon");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M12 2 1 21h22L12 2zm1 15h-2v2h2v-2zm0-8h-2v6h2V9z");
    svg.append(path);
    return svg;
  }

  function dialable(number) { return String(number || "").replace(/[^0-9+]/g, ""); }

  // Tap-to-call for the practice's numbers; the crisis variation leads with the crisis line.
  function callLinks(kind) {
    var links = el("p", { "class": "kc-call" });
    var add = function (scheme, verb, number) {
      if (!dialable(number)) { return; }
      links.append(el("a", { "class": "kc-call-link", href: scheme + ":" + dialable(number) }, verb + " " + number));
    };
    if (kind === CRISIS) {
      add("tel", "Call", config.crisisLine);
      add("sms", "Text", config.crisisLine);
    }
    add("tel", "Call", config.emergencyNumber);
    return links;
  }

  var sourceCount = 0;
  function renderSource(passages) {
    var box = el("div", { "class": "kc-source" });
    var id = uid + "-source-" + (++sourceCount);
    var toggle = el("button", { type: "button", "class": "kc-source-toggle", "aria-expanded": "false",
      "aria-controls": id }, "Where this comes from");
    var figure = el("figure", { id: id, "class": "kc-source-passage", hidden: "" });
    var caption = el("figcaption", {}, "From ");
    caption.append(el("cite", {}, config.sourceTitle), ":");
    figure.append(caption);
    passages.forEach(function (passage) {
      var quote = el("blockquote", {});
      quote.append(el("p", {}, passage));
      figure.append(quote);
    });
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      figure.hidden = !open;
      if (open) { figure.scrollIntoView({ block: "nearest" }); }
    });
    box.append(toggle, figure);
    return box;
  }

  // Under the checklist's outcome: the printable summary, in a new tab. The token
  // travels in the fragment, which no server receives; the page drops it at once.
  function renderSummaryLink() {
    var box = el("p", { "class": "kc-summary" });
    var link = el("a", { "class": "kc-summary-link", href: config.summaryUrl, target: "_blank", rel: "noopener" },
      "Printable summary");
    link.append(el("span", { "class": "kc-sr" }, " (opens in a new tab)"));
    link.addEventListener("click", function (event) {
      if (!state.session) { return; }
      // the address with the token is never put on the link itself
      event.preventDefault();
      window.open(config.summaryUrl + "#s=" + encodeURIComponent(state.session.id) +
        "&t=" + encodeURIComponent(state.session.token), "_blank", "noopener");
    });
    box.append(link);
    return box;
  }

  // "Was this helpful?" under a catalogue answer. The buttons never take focus on a
  // tap (mousedown is cancelled), so someone typing the next question keeps typing.
  var THANKS = "Thank you for telling us.";
  function renderFeedback(message) {
    var box = el("div", { "class": "kc-feedback" });
    if (message.feedback.given) {
      box.append(el("span", { "class": "kc-feedback-thanks" }, THANKS));
      return box;
    }
    var id = uid + "-feedback-" + (++sourceCount);
    var group = el("div", { role: "group", "aria-labelledby": id });
    group.append(el("span", { id: id, "class": "kc-feedback-q" }, "Was this helpful?"));
    var buttons = [{ label: "Yes", helpful: true }, { label: "No", helpful: false }].map(function (choice) {
      var button = el("button", { type: "button", "class": "kc-feedback-btn",
        "data-helpful": String(choice.helpful) }, choice.label);
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { sendFeedback(message, choice.helpful, box, buttons); });
      group.append(" ", button);
      return button;
    });
    box.append(group);
    return box;
  }

  function sendFeedback(message, helpful, box, buttons) {
    if (!socket || !confirmed) { showNotice("Not connected. Please try again in a moment."); return; }
    var hadFocus = buttons.indexOf(document.activeElement) >= 0;
    buttons.forEach(function (button) { button.disabled = true; });
    socket.timeout(10000).emit("feedback",
      { answer_id: message.feedback.answerId, message_ts: message.feedback.ts, helpful: helpful },
      function (err, ack) {
        if (err || !ack || (ack.ok === false && ack.retry)) {
          // not stored: the buttons come back for another try
          buttons.forEach(function (button) { button.disabled = false; });
          return;
        }
        // stored (or this answer already had a tap, which stands), or refused for good:
        // either way the question is done
        message.feedback.given = ack.ok ? (helpful ? "yes" : "no") : "refused";
        save();
        box.textContent = "";
        if (ack.ok) { box.append(el("span", { "class": "kc-feedback-thanks" }, THANKS)); }
        if (hadFocus) { input.focus(); }
      });
  }

  function renderButtons(buttons, answered) {
    var group = el("div", { "class": "kc-buttons", role: "group", "aria-label": "Quick replies" });
    buttons.forEach(function (button) {
      var node = el("button", { type: "button", "class": "kc-quick" }, button.title);
      if (answered) { node.disabled = true; }
      node.addEventListener("click", function () {
        sendMessage(button.title, button.payload);
        // the clicked button is now disabled: without this, focus falls to the page body
        input.focus();
      });
      group.append(node);
    });
    log.append(group);
  }

  function renderAll() {
    log.textContent = "";
    state.messages.forEach(function (message) { renderMessage(message, false); });
    scrollToEnd();
  }

  // The newest message in view. Called again whenever the log's layout may have
  // changed under it (the panel shown, the stylesheet loaded, the text size changed):
  // scrolling a hidden or unstyled log leaves it at the top.
  var pinned = null;
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
    if (pinned && pinned.isConnected) {
      var above = pinned.getBoundingClientRect().top - log.getBoundingClientRect().top;
      if (above < 0) { log.scrollTop = Math.floor(log.scrollTop + above); }
    }
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

  function setTyping(on) { typing.hidden = !on; if (on) { scrollToEnd(); } }

  var unreachable = function () {
    return "We can't reach the assistant right now. We'll keep trying. If you need help now, call " +
      config.phone + ". In an emergency call " + config.emergencyNumber + ".";
  };

  // ---- patient controls
  function savedTextSize() {
    try { return window.localStorage.getItem(config.textSizeKey); } catch (e) { return null; }
  }

  function setTextSize(key, remember) {
    if (!TEXT_SIZES.some(function (size) { return size.key === key; })) { key = TEXT_SIZES[0].key; }
    var atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 4;
    TEXT_SIZES.forEach(function (size) { root.classList.toggle("kc-text-" + size.key, size.key === key); });
    sizeButtons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-size") === key));
    });
    if (remember !== false) {
      try { window.localStorage.setItem(config.textSizeKey, key); } catch (e) { /* blocked: this visit only */ }
    }
    if (atEnd) { scrollToEnd(); }
  }

  function askStartOver() {
    confirmBox.hidden = false;
    restart.setAttribute("aria-expanded", "true");
    confirmNo.focus();  // the safe answer first: Enter by habit keeps the conversation
  }

  function cancelStartOver() {
    confirmBox.hidden = true;
    restart.setAttribute("aria-expanded", "false");
    restart.focus();
  }

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

  // A reply part's place in the conversation, from its metadata (channels/socketio.py).
  function replyPlace(meta) {
    if (typeof meta.reply_ts !== "number" || !isFinite(meta.reply_ts) ||
        typeof meta.reply_part !== "number" || meta.reply_part % 1 !== 0) { return null; }
    return { ts: meta.reply_ts, part: meta.reply_part };
  }
  function isAfter(place, than) {
    return !than || place.ts > than.ts || (place.ts === than.ts && place.part > than.part);
  }

  // Binds this socket to the chat; with the place of the newest reply shown, the
  // server first sends what came after it (a reply made while the page reloaded).
  var sessionRetry = null;
  function requestSession() {
    if (!socket || !state.session) { return; }
    clearTimeout(sessionRetry);
    var request = { session_id: state.session.id, token: state.session.token };
    if ("lastReply" in state) { request.last_reply = state.lastReply; }
    var asked = socket;
    socket.emit("session_request", request, function (ack) {
      if (asked !== socket || !ack || ack.ok !== false || !ack.retry) { return; }
      // missed replies not readable yet, or asked too often: not bound; ask again
      sessionRetry = setTimeout(function () {
        if (asked === socket && socket.connected && !confirmed) { requestSession(); }
      }, (ack.retry_after || 2) * 1000);
    });
  }

  // A resent message was handled already (before a reload, or on another server):
  // its replies went to a socket this one is not; ask for what came after lastReply.
  function askMissed() {
    if (!socket || !confirmed || !("lastReply" in state)) { return; }
    var asked = socket;
    socket.timeout(10000).emit("missed_replies", { last_reply: state.lastReply }, function (err, ack) {
      if (asked !== socket || err || !ack || ack.ok !== false || !ack.retry) { return; }
      setTimeout(askMissed, (ack.retry_after || 2) * 1000);
    });
  }

  function connect() {
    if (socket) { return; }
    socket = window.io(config.socketUrl, { path: config.socketPath, transports: ["websocket", "polling"],
      reconnectionDelay: 1000, reconnectionDelayMax: 5000 });
    socket.on("connect", function () {
      showNotice("");
      requestSession();
    });
    socket.on("session_confirm", function () { confirmed = true; showNotice(""); flush(); });
    socket.on("session_refused", function () {
      // the token expired or the server's secret changed: a new conversation
      confirmed = false;
      newSession().then(function () {
        state.lastReply = null;  // a new conversation: none of its replies shown yet
        addMessage({ from: "note", text: "A new conversation has started." });
        requestSession();
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
      var message = { from: "bot", text: data.text, buttons: buttons };
      var meta = data.metadata && typeof data.metadata === "object" ? data.metadata : {};
      var place = replyPlace(meta);
      if (place) {
        // sent again after a reconnect (or both live and in the replay): shown already
        if (!isAfter(place, state.lastReply)) { return; }
        state.lastReply = place;  // saved with the message, by addMessage
      }
      if (meta.utter_action === FORGOTTEN_REPLY) {
        forgotten(message);
        return;
      }
      if (meta.utter_action === EMERGENCY_REPLY) {
        message.urgent = meta.variation && meta.variation.emergency_kind === CRISIS ? CRISIS : "emergency";
      }
      if (Array.isArray(meta.source)) {
        var source = meta.source.filter(function (passage) { return typeof passage === "string" && passage; });
        if (source.length) { message.source = source; }
      }
      if (typeof meta.utter_action === "string" && meta.utter_action.indexOf(OUTCOME_PREFIX) === 0) {
        message.outcome = true;
      }
      var answerId = catalogueAnswerId(meta.utter_action);
      if (answerId && typeof meta.message_ts === "number" && isFinite(meta.message_ts)) {
        message.feedback = { answerId: answerId, ts: meta.message_ts };
      }
      addMessage(message);
    });
    socket.on("session_replaced", function () {
      // this chat was opened in another window: this one stops receiving replies
      confirmed = false;
      setTyping(false);
      showNotice("This chat is open in another window.", {
        label: "Continue here",
        run: requestSession
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
          if (ack && ack.ok === false && ack.error === "busy") {
            // sent before a reload and still being answered: its replies come to this
            // socket when the turn ends; ask again then, to learn it is done
            setTimeout(flush, (ack.retry_after || 2) * 1000);
            return;
          }
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
          if (ack && ack.duplicate) { askMissed(); }
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
    pinned = null;
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
    confirmBox.hidden = true;
    restart.setAttribute("aria-expanded", "false");
    if (socket) { socket.disconnect(); socket = null; }
    confirmed = false;
    inFlight = {};
    state = fresh();
    state.open = true;
    save();
    renderAll();
    greet();
    input.focus();  // the confirm step just disappeared: focus must not fall to the page body
    start().then(function () { input.focus(); });
  }

  // The server has deleted the conversation: so does the browser. Its history
  // and session token leave sessionStorage, a new session starts (the old
  // token now names an empty conversation), and only the confirmation is shown.
  function forgotten(confirmation) {
    if (socket) { socket.disconnect(); socket = null; }
    confirmed = false;
    inFlight = {};
    var open = state.open;
    state = fresh();
    state.open = open;
    try { window.sessionStorage.removeItem(config.storageKey); } catch (e) { /* blocked */ }
    save();
    renderAll();
    addMessage(confirmation);
    start().then(function () { if (state.open) { input.focus(); } });
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
      scrollToEnd();
      if (!socket) { start(); }
      input.focus();
    } else {
      launcher.focus();
    }
  }

  // ---- events
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); });
  restart.addEventListener("click", function () {
    if (confirmBox.hidden) { askStartOver(); } else { cancelStartOver(); }
  });
  confirmYes.addEventListener("click", startOver);
  confirmNo.addEventListener("click", cancelStartOver);
  panel.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    if (!confirmBox.hidden) { cancelStartOver(); } else { setOpen(false); }
  });
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
    style.addEventListener("load", scrollToEnd);
    document.head.append(style);
    notice.hidden = true;
    setTextSize(savedTextSize(), false);
    document.body.append(root);
    renderAll();
    if (state.open) { setOpen(true); }
  }
  window.kyphoChat = { open: function () { setOpen(true); }, startOver: startOver };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); } else { boot(); }
})();
