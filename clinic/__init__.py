"""The clinic's domain, without Rasa: its configuration (``clinic.yml``), the database
(models, engine, Alembic's URL), the calendar rules, the operations on patients and
appointments, the identity lockouts and the retention purge.

Run by: the action server (through :mod:`actions`), the staff console, the purge
(``python -m clinic.retention``), the migrations and the command-line tools
(``python -m clinic.config``, ``python -m clinic.database``, ``python -m
clinic.patient_import``).

May import: the standard library, SQLAlchemy, pydantic, PyYAML, phonenumbers and
:mod:`spoken_french`; never Rasa, rasa_sdk, :mod:`actions`, :mod:`voice_channel` nor
:mod:`staff_console` (``tests/test_layout.py`` checks it), except that the purge's
command runs the console's housekeeping (:mod:`staff_console.housekeeping`), as the one
process that purges the clinic database.
"""
