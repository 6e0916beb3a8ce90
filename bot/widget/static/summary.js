/*
 * The checklist's printable summary (bot/widget/summary.py). The widget opens
 * /summary#s=<session id>&t=<token>: the fragment never reaches a server or a
 * log, and is taken off the address at once. The page asks /summary (POST,
 * same origin) for this chat's last finished checklist and shows it as text.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(window.location.hash.slice(1));
  var sessionId = params.get("s");
  var token = params.get("t");
  try { window.history.replaceState(null, "", window.location.pathname); } catch (e) { /* keep going */ }

  var main = document.getElementById("summary");
  var status = document.getElementById("status");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function show(data) {
    main.textContent = "";
    document.title = data.title;
    main.append(el("h1", "", data.title));
    main.append(el("p", "date", "Date: " + data.date));
    var print = el("button", "print", "Print this page");
    print.type = "button";
    print.addEventListener("click", function () { window.print(); });
    main.append(print);

    main.append(el("h2", "", "Questions and answers"));
    var list = el("ol", "answers");
    data.questions.forEach(function (item) {
      var entry = el("li");
      entry.append(el("p", "question", item.question));
      var answer = el("p", "answer");
      answer.append(el("strong", "", "Answer: "), document.createTextNode(item.answer));
      entry.append(answer);
      list.append(entry);
    });
    main.append(list);

    main.append(el("h2", "", "Outcome"));
    var outcome = el("div", "outcome");
    data.outcome.split("\n").forEach(function (line) { if (line) { outcome.append(el("p", "", line)); } });
    main.append(outcome);
    main.append(el("p", "not-diagnosis", data.not_a_diagnosis));
  }

  function fail(text) { status.textContent = text; }

  if (!sessionId || !token) {
    fail("Open this summary from the chat, with the \u201cPrintable summary\u201d button under the checklist's outcome.");
    return;
  }
  fetch("/summary", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: sessionId, token: token }),
    credentials: "omit",
    cache: "no-store"
  }).then(function (response) {
    if (response.status === 404) { throw new Error("There is no finished checklist in this chat yet."); }
    if (!response.ok) { throw new Error("The summary could not be loaded. Please open it again from the chat."); }
    return response.json();
  }).then(show).catch(function (error) { fail(error.message); });
}());
