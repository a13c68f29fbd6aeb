"""The clinic staff's console: a small web server of its own (``python -m staff_console``,
started by ``make run`` on 127.0.0.1:5006) behind a login.

* :mod:`.settings` reads the environment (one place);
* :mod:`.models` holds the console's tables (staff users, sessions, login failures, audit);
* :mod:`.passwords`, :mod:`.sessions` and :mod:`.lockout` are the login (argon2 hashes,
  server-side sessions with expiry and a CSRF token, lockout counted in the database);
  :mod:`.housekeeping` is their part of the hourly purge;
* :mod:`.accounts` manages accounts (admin role, disabling, ending sessions, passwords),
  from the console (:mod:`.account_routes`) or ``make staff-user`` (:mod:`.create_user`);
* :mod:`.agenda` shows the doctors' days and weeks and changes appointments through the
  assistant's own :class:`~clinic.operations.ClinicOperations`, each change
  recorded by :mod:`.audit`;
* :mod:`.conversations` reads Rasa's tracker store (calls, chats, outcomes, transcripts),
  masked by :mod:`.masking`; :mod:`.figures` sums today up;
* :mod:`.registration` registers a patient through :mod:`clinic.patient_registry`;
* :mod:`.review_queue` lets staff correct the intents ``make review`` would export;
* :mod:`.app` puts the Sanic application together: :mod:`.guard` in front of every
  route (session, CSRF token), :mod:`.login_routes` the pages and the login,
  :mod:`.api_routes` its API, :mod:`.web` what routes share, :mod:`.headers` the
  security headers; ``static/`` its page (no CDN, no build step, nothing inline: the
  Content-Security-Policy allows none).

The voice channel never imports this package: it is a separate process.

Run by: the staff console process (``python -m staff_console``, the Procfile's
``staff``); :mod:`.housekeeping` also by the purge (``python -m clinic.retention``).

May import: :mod:`clinic`, :mod:`spoken_french`, :mod:`conversation_names` and
:mod:`nlu_review`; never Rasa, :mod:`actions` nor :mod:`voice_channel`.
"""
