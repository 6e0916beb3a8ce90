"""Post-procedure check-ins: short text conversations on set days after the procedure.

    python -m bot.checkins        # the scheduler (scripts/run.sh starts it)

Staff enrol a patient with consent (enrolment.py, the console's check-ins pages);
the due check-ins are rows in the project's database (store.py); a scheduler
(scheduler.py, on APScheduler) claims each due row and asks Rasa to start the
check-in turn on the patient's own conversation (sender.py, Rasa's
trigger_intent), so the patient's reply is an ordinary turn of it.
"""
