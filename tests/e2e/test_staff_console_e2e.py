"""The staff console in headless Chromium, on the real stack of the Procfile (its
``staff`` line included), under its strict Content-Security-Policy: a staff member
created with ``make staff-user``'s command (the first: an administrator) logs in and
registers a patient, who then books by voice; staff find the booking in the agenda, move
it, read the audit row, open the conversation's transcript and log out; a wrong
password, a forged form (no CSRF token) and an expired session are refused; the member
sees the team on « Comptes » and changes their password. Screenshots go to
``results/screenshots/staff_console_*.png``."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from selenium.common.exceptions import (
    NoSuchElementException, StaleElementReferenceException, WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import create_engine, text

from spoken_french.say import say_date
from tests.e2e.browser import launch_chromium, require_chromium
from simulation.stack import PROJECT_ROOT, Stack, running_stack
from tests.e2e.test_stack_e2e import (
    ASK_BOOKING, appointments_of, next_open_weekday, speak, type_with_speech, utc_naive)
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS as PROMPTS

pytestmark = pytest.mark.e2e

SCREENSHOTS = PROJECT_ROOT / "results" / "screenshots"
STAFF, PASSWORD, NEW_PASSWORD = "accueil", "un-mot-de-passe-long", "un-nouveau-mot-de-passe"
PATIENT_ID = "615243"
# The patient as the clinic registered them: clinic.yml books registered patients only.
PATIENT = (PATIENT_ID, "Petit", "Paul", "06 42 15 33 21")
# The same patient in the console's « Enregistrer un patient » form.
REGISTRATION_FORM = dict(zip(("patient_id", "last_name", "first_name", "phone"), PATIENT))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_chromium()
    with running_stack(tmp_path_factory.mktemp("staff_stack")) as running:
        yield running


def create_staff_user(stack: Stack) -> None:
    """``make staff-user NAME=accueil``'s command, the password typed twice."""
    done = subprocess.run([sys.executable, "-m", "staff_console.create_user", STAFF],
                          input=f"{PASSWORD}\n{PASSWORD}\n", text=True, env=stack.env,
                          cwd=PROJECT_ROOT, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def say_until_heard(stack: Stack, caller: str, *phrasings: str) -> str:
    """Say the first phrasing, then the next ones while the bot says it did not hear
    (as a caller would); the bot's last message."""
    for words in phrasings:
        turn = speak(stack, caller, words)
        last = turn["messages"][-1]["text"]
        if not last.startswith(PROMPTS.not_heard):
            return last
    raise AssertionError(f"{phrasings!r} never heard: {turn.get('rejected')}")


def book_by_voice(stack: Stack, day) -> None:
    """As tests/e2e/test_stack_e2e.py's booking by voice: request, names and confirmation
    spoken (Whisper base), patient ID, phone and date typed in the same conversation."""
    caller = "e2e-staff-console"  # PATIENT, registered by staff in the console first
    assert "nom de famille" in say_until_heard(stack, caller, *ASK_BOOKING)
    assert say_until_heard(stack, caller, "Je m'appelle Petit", "Petit") == "Et votre prénom ?"
    # The first name said as in tests/e2e/test_stack_e2e.py: a lone « Paul » with no silence
    # around it is heard « Poules. » with the 20 s encoder window (README, phone line).
    assert "dossier" in say_until_heard(stack, caller, "Je m'appelle Paul", "Paul")
    assert type_with_speech(stack, caller, PATIENT_ID)[-1] == "Quel est votre numéro de téléphone ?"
    assert "Quel jour" in type_with_speech(stack, caller, PATIENT[3])[-1]
    assert type_with_speech(stack, caller, f"{say_date(day)} à 15h")[-1].startswith("Je récapitule")
    done = say_until_heard(stack, caller, "oui, je confirme", "oui", "oui, c'est bien ça")
    assert done.startswith("C'est noté."), done


def appointment_id(stack: Stack) -> int:
    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT a.id FROM appointments a JOIN patients p ON p.id = a.patient_id "
                "WHERE p.clinic_patient_id = :pid"), {"pid": PATIENT_ID}).scalar_one()
    finally:
        engine.dispose()


def expire_sessions(stack: Stack) -> None:
    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE staff_sessions SET expires_at = :past"),
                               {"past": utc_naive(next_open_weekday(), 0, 0) - timedelta(days=30)})
    finally:
        engine.dispose()


def log_in(browser, stack: Stack, password: str = PASSWORD) -> None:
    browser.get(stack.staff_url)
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.ID, "name").send_keys(STAFF)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login-button").click()


def register_patient(browser, wait) -> None:
    """The agenda's « Enregistrer un patient » form, filled and sent."""
    browser.find_element(By.CSS_SELECTOR, '#tabs [data-tab="agenda"]').click()
    browser.find_element(By.CSS_SELECTOR, "#register-panel summary").click()
    form = wait.until(EC.visibility_of_element_located((By.ID, "register-form")))
    for field, value in REGISTRATION_FORM.items():
        form.find_element(By.NAME, field).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "Patient enregistré."))


def change_password(browser, wait) -> None:
    """« Comptes »: the team (an administrator sees it), then a new password."""
    browser.find_element(By.CSS_SELECTOR, '#tabs [data-tab="accounts"]').click()
    row = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, f'#accounts tr[data-account="{STAFF}"]')))
    assert "Administrateur" in row.text and "Actif" in row.text
    form = browser.find_element(By.ID, "password-form")
    for field, value in (("current", PASSWORD), ("new", NEW_PASSWORD), ("confirm", NEW_PASSWORD)):
        form.find_element(By.NAME, field).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "Mot de passe changé"))


def click_when_settled(wait, css: str) -> None:
    """Click ``css``, again if the tab re-rendered it meanwhile (its content reloads)."""
    def click(browser) -> bool:
        try:
            browser.find_element(By.CSS_SELECTOR, css).click()
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    wait.until(click)


def shoot(browser, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"staff_console_{name}.png"))


def test_staff_console_in_a_browser(stack, tmp_path):
    started = time.monotonic()
    day = next_open_weekday()
    create_staff_user(stack)
    browser = launch_chromium(tmp_path / "profile")
    browser.set_window_size(1280, 1000)
    # A page that redraws an element while Chrome reads it answers « Node with given id
    # does not belong to the document » (a WebDriverException, not a stale element): the
    # wait reads it again, and still fails with a timeout if the text never comes.
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,
                                                          WebDriverException))
    try:
        # A wrong password is refused.
        log_in(browser, stack, password="pas-le-bon-mot-de-passe")
        wait.until(EC.text_to_be_present_in_element((By.ID, "login-message"), "incorrect"))
        assert browser.get_cookie("staff_session") is None
        shoot(browser, "wrong_password")

        # Staff register the patient (clinic.yml as shipped books registered patients only),
        # who then books by voice.
        log_in(browser, stack)
        wait.until(EC.text_to_be_present_in_element((By.ID, "user"), STAFF))
        register_patient(browser, wait)
        shoot(browser, "register_patient")
        book_by_voice(stack, day)
        booked = appointment_id(stack)
        assert appointments_of(stack, PATIENT_ID) == [("martin", utc_naive(day, 15, 0), "booked")]

        # Logged in: the booking made by voice is in the agenda.
        browser.get(stack.staff_url)
        wait.until(EC.text_to_be_present_in_element((By.ID, "user"), STAFF))
        cookie = browser.get_cookie("staff_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        wait.until(lambda b: b.find_element(By.CSS_SELECTOR, "#figures .card"))
        browser.find_element(By.CSS_SELECTOR, '#tabs [data-tab="agenda"]').click()
        browser.execute_script("document.getElementById('agenda-date').value = arguments[0];",
                               day.isoformat())
        browser.find_element(By.CSS_SELECTOR, "#agenda-form button").click()
        slot = f'.slot[data-appointment="{booked}"]'
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, slot)))
        shown = browser.find_element(By.CSS_SELECTOR, slot)
        assert "15:00" in shown.text and f"Paul Petit (dossier {PATIENT_ID})" in shown.text
        shoot(browser, "agenda")

        # Move it to 16:00 through the console.
        shown.find_element(By.CSS_SELECTOR, "button.move").click()
        form = wait.until(EC.visibility_of_element_located((By.ID, "change-form")))
        browser.execute_script(
            "const f = arguments[0]; f.elements.date.value = arguments[1]; f.elements.time.value = '16:00';",
            form, day.isoformat())
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "Rendez-vous déplacé"))
        wait.until(lambda b: "16:00" in b.find_element(By.CSS_SELECTOR, slot).text)
        assert appointments_of(stack, PATIENT_ID) == [("martin", utc_naive(day, 16, 0), "booked")]

        # The audit row: who, when, what.
        browser.find_element(By.CSS_SELECTOR, '#tabs [data-tab="audit"]').click()
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#audit tbody tr")))
        assert STAFF in row.text and "Déplacement" in row.text and str(booked) in row.text
        assert "15:00" in row.text and "16:00" in row.text
        shoot(browser, "audit")

        # The conversation that booked it, turn by turn, numbers masked.
        browser.find_element(By.CSS_SELECTOR, '#tabs [data-tab="agenda"]').click()
        click_when_settled(wait, f"{slot} button.conversation")
        wait.until(EC.text_to_be_present_in_element((By.ID, "transcript"), "Je récapitule"))
        transcript = browser.find_element(By.ID, "transcript").text
        assert "Page web" in transcript and "Assistant" in transcript and "Patient" in transcript
        assert "••••43" in transcript and "•• •• •• •• 21" in transcript, transcript
        assert PATIENT_ID not in transcript and "06 42 15 33 21" not in transcript
        assert browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr[data-id]")
        shoot(browser, "transcript")

        # A forged form (no CSRF token) changes nothing.
        browser.execute_script(
            "const f = document.createElement('form'); f.method = 'post';"
            "f.action = '/staff/api/appointments/' + arguments[0] + '/cancel';"
            "document.body.append(f); f.submit();", booked)
        wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "Jeton de s"))
        assert appointments_of(stack, PATIENT_ID)[0][2] == "booked"
        shoot(browser, "forged_form")

        # Log out: the console is closed again.
        browser.get(stack.staff_url)
        wait.until(EC.element_to_be_clickable((By.ID, "logout"))).click()
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))
        browser.get(stack.staff_url)
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))

        # An expired session is refused.
        log_in(browser, stack)
        wait.until(EC.text_to_be_present_in_element((By.ID, "user"), STAFF))
        expire_sessions(stack)
        browser.get(stack.staff_url)
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))
        shoot(browser, "expired_session")

        # « Comptes »: the team, and a new password, which is the one that works now.
        log_in(browser, stack)
        wait.until(EC.text_to_be_present_in_element((By.ID, "user"), STAFF))
        change_password(browser, wait)
        shoot(browser, "accounts")
        wait.until(EC.element_to_be_clickable((By.ID, "logout"))).click()
        log_in(browser, stack)
        wait.until(EC.text_to_be_present_in_element((By.ID, "login-message"), "incorrect"))
        log_in(browser, stack, password=NEW_PASSWORD)
        wait.until(EC.text_to_be_present_in_element((By.ID, "user"), STAFF))
        assert not [entry for entry in browser.get_log("browser")
                    if "Content Security Policy" in entry["message"]]
    finally:
        browser.quit()
    print(f"staff console browser test: {time.monotonic() - started:.0f} s after the stack started")
