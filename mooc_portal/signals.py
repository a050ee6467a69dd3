"""Signals other code (a host application, another domain) may subscribe to."""

from blinker import Namespace

_signals = Namespace()

course_published = _signals.signal("course-published")
"""A course became public. Sender: the Flask app. Keyword args: ``course``, ``actor``."""

account_registered = _signals.signal("account-registered")
"""A learner registered. Sender: the Flask app. Keyword args: ``account``."""

registration_submitted = _signals.signal("registration-submitted")
"""A visitor registered through the portal's form (in that request, after ``account_registered``;
the privacy notice shown is recorded on it). Sender: the app. Keyword args: ``account``."""

mail_sent = _signals.signal("mail-sent")
"""A message left the portal (to SMTP or the log). Sender: the app. Keyword args: ``message``."""

enrolment_changed = _signals.signal("enrolment-changed")
"""An enrolment was created or changed state. Sender: the app. Keyword args: ``enrollment``,
``previous_state`` (None when new), ``actor`` (the account that acted; None for the system)."""

certificate_issued = _signals.signal("certificate-issued")
"""A certificate was issued for a completed enrolment. Sender: the app. Keyword args:
``certificate``."""

lesson_completed = _signals.signal("lesson-completed")
"""A learner marked a lesson as complete. Sender: the app. Keyword args: ``enrollment``,
``lesson``, ``actor``."""

course_completed = _signals.signal("course-completed")
"""A learner completed every counted lesson of a run's course; the enrolment is now completed.
Sender: the app. Keyword args: ``enrollment``, ``actor``."""
