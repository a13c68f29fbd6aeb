"""The console's JSON and CSV routes under ``/staff/api/``: agenda, patients (search and
registration), changes to appointments, audit, conversations, review, settings and
figures. Reading a transcript and exporting conversations are audited.

They run behind the guard of :mod:`staff_console.guard` (session, and CSRF token on POST).
Bad input gets a 400 with a French reason; blocking work runs in worker threads.
"""
from __future__ import annotations

import asyncio
import csv
import io
import logging
from datetime import date, datetime, timedelta
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request

from nlu_review.__main__ import domain_intents
from spoken_french.numbers import mask_patient_id
from conversation_names import CHANNELS
from staff_console import agenda, audit, conversations, figures, review_queue
from staff_console.registration import register_patient
from staff_console.settings_view import clinic_settings
from staff_console.staff_actions import ActionRefused
from staff_console.web import console, error, form_fields

logger = logging.getLogger("staff_console")
MAX_LIST_DAYS = 366


class BadRequest(ValueError):
    pass


def _int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Paramètre « {name} » invalide.") from None
    if not low <= value <= high:
        raise BadRequest(f"Paramètre « {name} » : entre {low} et {high}.")
    return value


def _choice(request: Request, name: str, allowed) -> Optional[str]:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise BadRequest(f"Paramètre « {name} » invalide.")
    return value


def _list_filters(request: Request) -> dict:
    """The list's filters as asked (days, channel, outcome), checked."""
    return {"days": _int_arg(request, "days", 7, 1, MAX_LIST_DAYS),
            "channel": _choice(request, "channel", CHANNELS),
            "outcome": _choice(request, "outcome", conversations.OUTCOMES)}


def _listed(c, filters: dict):
    """The conversations of the list ``filters`` select (in a worker thread)."""
    now = datetime.now(c.config.timezone)
    return conversations.summaries(
        c.tracker, c.config.privacy.conversation_retention_days,
        since=(now - timedelta(days=filters["days"])).timestamp(),
        channel=filters["channel"], outcome=filters["outcome"])


def register(app: Sanic) -> None:
    """Every route of the API, and the refusals its routes raise."""
    _refusals(app)
    _clinic_routes(app)
    _agenda_routes(app)
    _appointment_routes(app)
    _conversation_routes(app)
    _review_routes(app)


def _refusals(app: Sanic) -> None:
    @app.exception(BadRequest)
    async def bad_request(request: Request, refused: BadRequest):
        return error(400, str(refused))

    @app.exception(ActionRefused)
    async def refused(request: Request, refused: ActionRefused):
        return error(refused.status, refused.reason)


def _clinic_routes(app: Sanic) -> None:
    """The clinic's doctors, clinic.yml as it is on disk, and the audit of staff's work."""
    @app.get("/staff/api/clinic")
    async def clinic(request: Request):
        config = console(request).config
        return response.json({
            "name": config.name, "timezone": str(config.timezone),
            "doctors": [{"id": d.id, "name": f"{d.title.capitalize()} {d.first_name} "
                         f"{d.last_name}", "specialty": d.specialty} for d in config.doctors]})

    @app.get("/staff/api/settings")
    async def settings_view(request: Request):
        return response.json(await asyncio.to_thread(clinic_settings))

    @app.get("/staff/api/audit")
    async def audit_view(request: Request):
        c = console(request)
        limit = _int_arg(request, "limit", 100, 1, 1000)
        return response.json(await asyncio.to_thread(audit.recent, c.sessions,
                                                     c.config.timezone, limit))


def _agenda_routes(app: Sanic) -> None:
    """A doctor's days, and the patients: search and registration."""
    @app.get("/staff/api/agenda")
    async def agenda_view(request: Request):
        c = console(request)
        doctor = request.args.get("doctor") or c.config.doctors[0].id
        try:
            first = date.fromisoformat(request.args.get("date") or
                                       datetime.now(c.config.timezone).date().isoformat())
        except ValueError:
            raise BadRequest("Date invalide (AAAA-MM-JJ).") from None
        days = _int_arg(request, "days", 1, 1, agenda.MAX_DAYS)
        if doctor not in {d.id for d in c.config.doctors}:
            raise BadRequest("Médecin inconnu.")
        result = await asyncio.to_thread(agenda.agenda, c.sessions, c.config, doctor, first,
                                         days, c.operations.now())
        return response.json({"doctor": doctor, "days": result})

    @app.get("/staff/api/patients")
    async def patients(request: Request):
        c = console(request)
        try:
            found = await asyncio.to_thread(agenda.search_patients, c.sessions, c.config,
                                            request.args.get("q") or "", c.operations.now())
        except ValueError as refused:
            raise BadRequest(str(refused)) from None
        return response.json(found)

    @app.post("/staff/api/patients")
    async def patient_register(request: Request):
        c = console(request)
        member, form = request.ctx.session.member, form_fields(request)
        result = await asyncio.to_thread(register_patient, c.sessions,
                                         c.config.patient_id_digits, member, form)
        logger.info("staff member %s registered patient %s (%s)", member.name,
                    mask_patient_id((form.get("patient_id") or "").strip()), result)
        return response.json({"result": result}, status=201 if result == "created" else 200)


def _appointment_routes(app: Sanic) -> None:
    """Booking, moving and cancelling on a patient's behalf."""
    @app.post("/staff/api/appointments")
    async def book(request: Request):
        c = console(request)
        done = await asyncio.to_thread(c.actions.book, request.ctx.session.member,
                                       form_fields(request))
        logger.info("staff member %s booked appointment %d", request.ctx.session.member.name,
                    done["appointment_id"])
        return response.json(done, status=201)

    @app.post("/staff/api/appointments/<appointment_id:int>/move")
    async def move(request: Request, appointment_id: int):
        c = console(request)
        done = await asyncio.to_thread(c.actions.move, request.ctx.session.member,
                                       appointment_id, form_fields(request))
        logger.info("staff member %s moved appointment %d", request.ctx.session.member.name,
                    appointment_id)
        return response.json(done)

    @app.post("/staff/api/appointments/<appointment_id:int>/cancel")
    async def cancel(request: Request, appointment_id: int):
        c = console(request)
        done = await asyncio.to_thread(c.actions.cancel, request.ctx.session.member,
                                       appointment_id)
        logger.info("staff member %s cancelled appointment %d", request.ctx.session.member.name,
                    appointment_id)
        return response.json(done)


def _conversation_routes(app: Sanic) -> None:
    """The conversations: an appointment's, the list and its CSV export (audited), one
    transcript (its reading audited), and today's figures."""
    @app.get("/staff/api/appointments/<appointment_id:int>/conversations")
    async def appointment_conversations(request: Request, appointment_id: int):
        c = console(request)
        return response.json(await asyncio.to_thread(
            conversations.of_appointment, c.tracker, appointment_id,
            c.config.privacy.conversation_retention_days))

    @app.get("/staff/api/conversations")
    async def conversation_list(request: Request):
        found = await asyncio.to_thread(_listed, console(request), _list_filters(request))
        return response.json([s.as_dict() for s in found])

    @app.get("/staff/api/conversations.csv")
    async def conversation_csv(request: Request):
        c = console(request)
        filters = _list_filters(request)
        found = await asyncio.to_thread(_listed, c, filters)
        await asyncio.to_thread(audit.write, c.sessions, request.ctx.session.member, "export",
                                {"conversations": [s.ref for s in found], "filters": filters})
        return response.text(_csv(found, c.config.timezone),
                             content_type="text/csv; charset=utf-8", headers={
                                 "Content-Disposition": 'attachment; filename="conversations.csv"'})

    @app.get("/staff/api/conversations/<handle:int>")
    async def conversation(request: Request, handle: int):
        c = console(request)
        try:
            shown = await asyncio.to_thread(conversations.transcript, c.tracker, handle,
                                            c.config.privacy.conversation_retention_days)
        except conversations.ConversationNotFound:
            return error(404, "Conversation introuvable (ou plus ancienne que la durée de "
                              "conservation).")
        await asyncio.to_thread(audit.write, c.sessions, request.ctx.session.member, "read",
                                {"channel": shown["channel"]}, conversation=shown["ref"])
        return response.json(shown)

    @app.get("/staff/api/figures")
    async def figures_view(request: Request):
        c = console(request)
        start, end = figures.day_bounds(datetime.now(c.config.timezone))
        today = await asyncio.to_thread(
            conversations.summaries, c.tracker, c.config.privacy.conversation_retention_days,
            since=start, until=end)
        return response.json(figures.today_figures(today, c.config.timezone))


def _csv(found, timezone) -> str:
    """The exported list: one row per conversation."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["conversation", "canal", "début", "durée (s)", "issue", "tours"])
    for s in found:
        start = datetime.fromtimestamp(s.start, timezone).isoformat(timespec="seconds")
        writer.writerow([s.handle, s.channel, start, round(s.end - s.start),
                         "+".join(s.outcomes), s.user_turns])
    return out.getvalue()


def _review_routes(app: Sanic) -> None:
    """The messages to review, and corrections queued for training."""
    @app.get("/staff/api/review")
    async def review(request: Request):
        c = console(request)
        days = _int_arg(request, "days", 7, 1, c.config.privacy.conversation_retention_days)
        found = await asyncio.to_thread(review_queue.candidates, c.settings.tracker_store_url,
                                        days, c.settings.review_queue)
        return response.json({"intents": domain_intents(), "messages": found})

    @app.post("/staff/api/review/queue")
    async def review_queue_add(request: Request):
        c = console(request)
        form = form_fields(request)
        days = c.config.privacy.conversation_retention_days
        try:
            queued = await asyncio.to_thread(
                review_queue.queue_correction, c.settings.review_queue,
                c.settings.tracker_store_url, days, form.get("key") or "", form.get("intent") or "")
        except review_queue.ReviewRefused as refused:
            return error(refused.status, str(refused))
        logger.info("staff member %s queued a reviewed example", request.ctx.session.member.name)
        return response.json(queued, status=201)
