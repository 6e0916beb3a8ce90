"""The patient chat widget and its demo practice page server.

`python -m bot.widget` serves the demo page, the widget's static files and
POST /session, which issues a signed session token (see tokens.py). This
package never imports `rasa`: the Rasa side (channels/socketio.py) only shares
the token format.
"""
