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
  assistant's own :class:`~actions.clinic_operations.ClinicOperations`, each change
  recorded by :mod:`.audit`;
* :mod:`.conversations` reads Rasa's tracker store (calls, chats, outcomes, transcripts),
  masked by :mod:`.masking`; :mod:`.figures` sums today up;
* :mod:`.registration` registers a patient through :mod:`actions.patient_registry`;
* :mod:`.review_queue` lets staff correct the intents ``make review`` would export;
* :mod:`.app` is the Sanic application (:mod:`.api_routes` its API, :mod:`.web` what
  routes share, :mod:`.headers` the security headers); ``static/`` its page (no CDN, no
  build step, nothing inline: the Content-Security-Policy allows none).

The voice channel never imports this package: it is a separate process.
"""
