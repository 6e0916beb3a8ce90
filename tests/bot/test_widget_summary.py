"""The printable summary's content, from a conversation's events (bot/widget/summary.py)."""
from __future__ import annotations

import json
import threading
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bot.widget import summary

YES_NO = {"buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"},
                      {"title": "Go back", "payload": "/go_back"}]}


def bot(action, text, data=None, at=1764547200.0):
    return {"event": "bot", "text": text, "data": data or {}, "metadata": {"utter_action": action}, "timestamp": at}


def user(text):
    return {"event": "user", "text": text}


START = {"event": "action", "name": "action_start_screening"}


def test_questions_as_asked_last_answers_and_the_outcome():
    rows = [
        user("an earlier checklist"), START, bot("utter_ask_fracture_found", "old question"), user("no"),
        bot("utter_screening_outcome_no_known_fracture", "old outcome"),
        user("could it help my dad"), START,
        bot("utter_ask_screening_consent", "Shall we start?"), user("/affirm"),
        bot("utter_ask_warning_signs", "Question 1 of 7. Does your dad have...", YES_NO), user("/deny"),
        bot("utter_ask_fracture_found", "Question 2 of 7. In your dad's spine?", YES_NO), user("/affirm"),
        bot("utter_ask_fracture_cause", "Question 3 of 7. What caused it?"), user("go back"),
        bot("utter_screening_going_back", "Here is the previous question again."),
        bot("utter_ask_fracture_found", "Question 2 of 7. In your dad's spine?", YES_NO), user("I think so, yes"),
        bot("utter_ask_fracture_cause", "Question 3 of 7. What caused it?"), user("how long is recovery?"),
        bot("utter_recovery/timeline", "About..."),
        bot("utter_ask_fracture_cause", "Question 3 of 7. What caused it?"), user("he fell"),
        bot("utter_screening_outcome_needs_mri", "An MRI is usually needed first.\nA note.", at=1764633600.0),
        bot("utter_offer_callback", "Would you like a call?"), user("thanks"),
    ]
    built = summary.build(rows)
    assert [(q["question"][:14], q["answer"]) for q in built["questions"]] == [
        ("Question 1 of ", "No"), ("Question 2 of ", "I think so, yes"), ("Question 3 of ", "he fell")]
    assert built["outcome"] == "An MRI is usually needed first.\nA note."
    assert built["date"] == "2 December 2025"
    assert "not a diagnosis" in built["not_a_diagnosis"]


def test_no_outcome_no_summary():
    assert summary.build([START, bot("utter_ask_warning_signs", "Question 1 of 7."), user("/deny")]) is None
    assert summary.build([]) is None


def test_it_reads_the_conversation_asked_for_from_rasa_with_the_token():
    """A stand-in for Rasa's HTTP API: the tracker of the conversation named, only with the token."""
    seen = []

    class Rasa(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            query = parse_qs(urlsplit(self.path).query)
            sender = urlsplit(self.path).path.split("/")[2]
            if query.get("token") != ["secret-token"]:
                self.send_response(401)
                self.end_headers()
                return
            rows = [START, bot("utter_ask_warning_signs", "Q", YES_NO), user("/deny"),
                    bot("utter_screening_outcome_not_painful", f"Outcome for {sender}")]
            body = json.dumps({"sender_id": sender, "events": rows}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Rasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert summary.for_conversation("web-b", url, "secret-token")["outcome"] == "Outcome for web-b"
        assert seen[-1].startswith("/conversations/web-b/tracker?")
        try:
            summary.for_conversation("web-b", url, "wrong")
            raise AssertionError("a refused request must not give a summary")
        except urllib.error.HTTPError as error:
            assert error.code == 401
    finally:
        server.shutdown()
