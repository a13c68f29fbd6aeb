// Staff console: plain JavaScript, no framework, no CDN. Every text from the server
// goes in with textContent (transcripts hold what callers said).
"use strict";
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const IS_ADMIN = document.querySelector('meta[name="staff-role"]').content === "admin";
const ME = document.getElementById("user").textContent;
const OUTCOMES = {booked: "Rendez-vous pris", moved: "Déplacé", cancelled: "Annulé",
  transferred: "Transféré à l'accueil", abandoned: "Abandonné", emergency: "Urgence",
  information: "Renseignement"};
const CHANNELS = {phone: "Téléphone", web: "Page web", staff: "Messagerie équipe", other: "Autre"};
const ACTIONS = {book: "Réservation", move: "Déplacement", cancel: "Annulation",
  read: "Lecture d'une conversation", export: "Export CSV", register: "Enregistrement d'un patient",
  password: "Mot de passe changé", disable: "Compte désactivé", enable: "Compte réactivé",
  end_sessions: "Sessions fermées"};
const REGISTERED = {created: "Patient enregistré.", updated: "Fiche du patient mise à jour.",
  unchanged: "Ce patient était déjà enregistré ainsi : rien n'a changé."};
let clinic = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined)
    node.append(child instanceof Node ? child : String(child));
  return node;
}
function status(text, error) {
  const s = document.getElementById("status");
  s.textContent = text || ""; s.className = error ? "error" : "";
}
async function getJson(url) {
  const r = await fetch(url, {credentials: "same-origin"});
  if (r.status === 401) { location.href = "/staff/login"; throw new Error("session"); }
  const body = await r.json();
  if (!r.ok) { status(body.error || "Erreur " + r.status, true); throw new Error(body.error); }
  return body;
}
async function post(url, fields) {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  data.append("csrf_token", CSRF);
  const r = await fetch(url, {method: "POST", body: data, credentials: "same-origin"});
  if (r.status === 401) { location.href = "/staff/login"; throw new Error("session"); }
  const body = await r.json();
  if (!r.ok) { status(body.error || "Erreur " + r.status, true); throw new Error(body.error); }
  return body;
}
const tz = () => (clinic ? clinic.timezone : "Europe/Paris");
function when(value) {  // ISO string or Unix seconds
  const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return d.toLocaleString("fr-FR", {timeZone: tz(), weekday: "short", day: "numeric",
    month: "short", hour: "2-digit", minute: "2-digit"});
}
function duration(s) { return Math.floor(s / 60) + " min " + String(Math.round(s % 60)).padStart(2, "0") + " s"; }
function doctorName(id) { const d = clinic.doctors.find(x => x.id === id); return d ? d.name : id; }

// -- tabs ---------------------------------------------------------------------------
const loaders = {today: loadFigures, agenda: loadAgenda, calls: loadCalls, review: loadReview,
  audit: loadAudit, settings: loadSettings, accounts: loadAccounts};
function show(tab) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === tab);
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== "tab-" + tab;
  status("");
  loaders[tab]().catch(() => {});
}
document.getElementById("tabs").addEventListener("click", e => { if (e.target.dataset.tab) show(e.target.dataset.tab); });

// -- today ----------------------------------------------------------------------------
async function loadFigures() {
  const f = await getJson("/staff/api/figures");
  const cards = [["Appels", f.calls], ["Conversations écrites", f.chats], ["Rendez-vous pris", f.bookings],
    ["Déplacés", f.moves], ["Annulés", f.cancellations], ["Transferts", f.transfers],
    ["Urgences", f.emergencies], ["Durée moyenne d'appel", f.average_call_s === null ? "—" : duration(f.average_call_s)]];
  document.getElementById("figures").replaceChildren(...cards.map(([k, v]) => el("div", {class: "card"}, el("b", {}, v), k)));
  document.getElementById("chart").innerHTML = f.chart_svg;  // numbers only, built by the server
}

// -- agenda ---------------------------------------------------------------------------
async function loadAgenda() {
  const form = document.getElementById("agenda-form");
  const q = new URLSearchParams(new FormData(form));
  const data = await getJson("/staff/api/agenda?" + q);
  const days = data.days.map(day => el("div", {class: "day"},
    el("h3", {}, new Date(day.date + "T12:00:00").toLocaleDateString("fr-FR", {weekday: "long", day: "numeric", month: "long"})),
    day.closed ? el("p", {}, "Pas de consultation.") : day.slots.map(slot => slotView(slot, data.doctor))));
  document.getElementById("agenda").replaceChildren(...days);
}
function slotView(slot, doctor) {
  const b = slot.booked;
  const node = el("div", {class: "slot " + (b ? "booked" : "free") + (slot.past ? " past" : ""),
    "data-start": slot.start, "data-appointment": b ? b.appointment_id : null}, el("strong", {}, slot.time), " ");
  if (b) {
    node.append(b.name + " (dossier " + b.clinic_patient_id + ")");
    if (!slot.past) node.append(
      el("button", {class: "move", on: {click: () => movePanel(b, doctor)}}, "Déplacer"),
      el("button", {class: "cancel", on: {click: () => cancelAppointment(b)}}, "Annuler"));
    node.append(el("button", {class: "conversation", on: {click: () => openConversationOf(b.appointment_id)}}, "Conversation"));
  } else {
    node.append(slot.past ? "—" : "libre");
    if (!slot.past) node.append(el("button", {class: "book", on: {click: () => bookPanel(slot, doctor)}}, "Réserver"));
  }
  for (const c of slot.cancelled) node.append(el("span", {class: "cancelled"}, "annulé : " + c.name));
  return node;
}
function panel(title, fields, submitText, onSubmit) {
  const p = document.getElementById("change-panel");
  const form = el("form", {id: "change-form"}, el("h3", {}, title), fields,
    el("button", {type: "submit"}, submitText),
    el("button", {type: "button", on: {click: () => { p.hidden = true; }}}, "Fermer"));
  form.addEventListener("submit", async e => {
    e.preventDefault();
    try { await onSubmit(Object.fromEntries(new FormData(form))); p.hidden = true; await loadAgenda(); } catch (_) {}
  });
  p.replaceChildren(form); p.hidden = false;
}
function doctorSelect(selected) {
  return el("label", {}, "Médecin", el("select", {name: "doctor_id"},
    clinic.doctors.map(d => el("option", {value: d.id, selected: d.id === selected ? "selected" : null}, d.name))));
}
function movePanel(b, doctor) {
  panel("Déplacer le rendez-vous de " + b.name, [
    el("label", {}, "Nouvelle date", el("input", {type: "date", name: "date", required: true})),
    el("label", {}, "Nouvelle heure", el("input", {type: "time", name: "time", step: 300, required: true})),
    doctorSelect(doctor)], "Déplacer", async f => {
      const r = await post("/staff/api/appointments/" + b.appointment_id + "/move", f);
      status("Rendez-vous déplacé au " + when(r.start) + ".");
    });
}
function bookPanel(slot, doctor) {
  const [date, time] = [slot.start.slice(0, 10), slot.start.slice(11, 16)];
  panel("Réserver le " + when(slot.start), [
    el("input", {type: "hidden", name: "date", value: date}), el("input", {type: "hidden", name: "time", value: time}),
    el("input", {type: "hidden", name: "doctor_id", value: doctor}),
    el("label", {}, "N° de dossier", el("input", {name: "patient_id", required: true, inputmode: "numeric"})),
    el("label", {}, "Prénom (nouveau patient)", el("input", {name: "first_name"})),
    el("label", {}, "Nom (nouveau patient)", el("input", {name: "last_name"})),
    el("label", {}, "Téléphone (nouveau patient)", el("input", {name: "phone", type: "tel"}))],
    "Réserver", async f => { await post("/staff/api/appointments", f); status("Rendez-vous réservé."); });
}
async function cancelAppointment(b) {
  if (!confirm("Annuler le rendez-vous de " + b.name + " ?")) return;
  try { await post("/staff/api/appointments/" + b.appointment_id + "/cancel", {}); status("Rendez-vous annulé."); await loadAgenda(); } catch (_) {}
}
document.getElementById("agenda-form").addEventListener("submit", e => { e.preventDefault(); loadAgenda().catch(() => {}); });
document.getElementById("search-form").addEventListener("submit", async e => {
  e.preventDefault();
  const q = new URLSearchParams(new FormData(e.target));
  const found = await getJson("/staff/api/patients?" + q).catch(() => null);
  if (!found) return;
  document.getElementById("search-results").replaceChildren(found.length ? el("ul", {}, found.map(p =>
    el("li", {}, p.first_name + " " + p.last_name + " — dossier " + p.clinic_patient_id + " — " + p.phone + " — ",
      p.upcoming.length ? p.upcoming.map(a => el("span", {}, when(a.start) + " (" + doctorName(a.doctor_id) + ") ",
        el("button", {on: {click: () => movePanel({appointment_id: a.appointment_id, name: p.first_name + " " + p.last_name}, a.doctor_id)}}, "Déplacer"),
        el("button", {on: {click: () => cancelAppointment({appointment_id: a.appointment_id, name: p.first_name + " " + p.last_name})}}, "Annuler")))
      : "aucun rendez-vous à venir"))) : el("p", {}, "Aucun patient trouvé."));
});

document.getElementById("register-form").addEventListener("submit", async e => {
  e.preventDefault();
  try {
    const r = await post("/staff/api/patients", Object.fromEntries(new FormData(e.target)));
    status(REGISTERED[r.result]); e.target.reset();
  } catch (_) {}
});

// -- calls and conversations ----------------------------------------------------------
async function loadCalls() {
  const q = new URLSearchParams(new FormData(document.getElementById("calls-form")));
  for (const [k, v] of [...q.entries()]) if (!v) q.delete(k);
  document.getElementById("csv-link").href = "/staff/api/conversations.csv?" + q;
  const rows = await getJson("/staff/api/conversations?" + q);
  document.querySelector("#calls tbody").replaceChildren(...rows.map(c => el("tr", {"data-id": c.id},
    el("td", {}, when(c.start)), el("td", {}, CHANNELS[c.channel]), el("td", {}, duration(c.duration_s)),
    el("td", {}, c.outcomes.map(o => OUTCOMES[o]).join(", ")), el("td", {}, c.user_turns),
    el("td", {}, el("button", {on: {click: () => openConversation(c.id)}}, "Transcription")))));
  if (!rows.length) document.querySelector("#calls tbody").append(el("tr", {}, el("td", {colspan: 6}, "Aucune conversation.")));
}
async function openConversationOf(appointmentId) {
  const handles = await getJson("/staff/api/appointments/" + appointmentId + "/conversations");
  if (!handles.length) { status("Aucune conversation de l'assistant pour ce rendez-vous (pris par l'équipe, ou purgée).", true); return; }
  show("calls"); await openConversation(handles[handles.length - 1]);
}
async function openConversation(id) {
  const t = await getJson("/staff/api/conversations/" + id);
  const turns = t.turns.map(turn => {
    const who = {user: "Patient", bot: "Assistant", system: "Système"}[turn.who];
    const notes = [];
    if (turn.keypad) notes.push("saisi au clavier");
    if (turn.intent) notes.push("intention " + turn.intent + (turn.confidence != null ? " (" + turn.confidence.toFixed(2) + ")" : ""));
    const node = el("div", {class: "turn " + turn.who}, el("small", {}, who + " · " + when(turn.at) + (notes.length ? " · " + notes.join(" · ") : "")), turn.text);
    for (const cut of turn.barge_in || []) node.append(el("small", {class: "barge-in"},
      "A coupé la parole à l'assistant (entendu " + Number(cut.heard_seconds || 0).toFixed(1) + " s sur " + Number(cut.seconds || 0).toFixed(1) + " s) : « " + cut.text + " »"));
    return node;
  });
  document.getElementById("transcript").replaceChildren(el("h3", {}, "Conversation " + t.conversation + " — " + CHANNELS[t.channel]), ...turns);
  document.getElementById("transcript").scrollIntoView();
}
document.getElementById("calls-form").addEventListener("submit", e => { e.preventDefault(); loadCalls().catch(() => {}); });

// -- review, audit, settings ----------------------------------------------------------
async function loadReview() {
  const data = await getJson("/staff/api/review");
  document.querySelector("#review tbody").replaceChildren(...data.messages.map(m => {
    const select = el("select", {}, data.intents.map(i => el("option", {value: i, selected: i === m.intent ? "selected" : null}, i)));
    const button = el("button", {disabled: m.queued ? "disabled" : null, on: {click: async () => {
      try { await post("/staff/api/review/queue", {key: m.key, intent: select.value}); button.disabled = true; button.textContent = "En file"; status("Ajouté à la file de réentraînement."); } catch (_) {}
    }}}, m.queued ? "En file" : "Mettre en file");
    return el("tr", {}, el("td", {}, m.text), el("td", {}, m.intent), el("td", {}, m.confidence.toFixed(2)),
      el("td", {}, m.reason), el("td", {}, m.count), el("td", {}, select, button));
  }));
  if (!data.messages.length) document.querySelector("#review tbody").append(el("tr", {}, el("td", {colspan: 6}, "Rien à revoir.")));
}
function summary(s) { return s ? doctorName(s.doctor_id) + ", " + when(s.start) + (s.status === "cancelled" ? " (annulé)" : "") : ""; }
function subject(a) {
  if (a.conversation) return "conversation " + a.conversation;
  if (a.action === "export") return a.details.conversations.length + " conversation(s)";
  return a.details.account ? "compte " + a.details.account : "";
}
async function loadAudit() {
  const rows = await getJson("/staff/api/audit");
  document.querySelector("#audit tbody").replaceChildren(...rows.map(a => el("tr", {},
    el("td", {}, when(a.at)), el("td", {}, a.staff), el("td", {}, ACTIONS[a.action]), el("td", {}, subject(a)),
    el("td", {}, a.appointment_id),
    el("td", {}, a.clinic_patient_id), el("td", {}, summary(a.details.before)), el("td", {}, summary(a.details.after)))));
}
async function loadSettings() {
  const s = await getJson("/staff/api/settings");
  const p = document.getElementById("settings-status");
  p.textContent = (s.valid ? "✔ " : "✘ ") + s.message + " (" + s.path + ", lecture seule ; vérifiée comme par make check-config)";
  p.className = s.valid ? "ok" : "error";
  document.getElementById("settings-text").textContent = s.text;
}

// -- accounts ---------------------------------------------------------------------------
async function loadAccounts() {
  document.getElementById("team").hidden = !IS_ADMIN;
  if (!IS_ADMIN) return;
  const rows = await getJson("/staff/api/accounts");
  document.querySelector("#accounts tbody").replaceChildren(...rows.map(a => el("tr", {"data-account": a.name},
    el("td", {}, a.name), el("td", {}, a.role === "admin" ? "Administrateur" : "Équipe"), el("td", {}, when(a.created_at)),
    el("td", {}, a.disabled ? "Désactivé le " + when(a.disabled_at) : "Actif"), el("td", {}, a.sessions),
    el("td", {}, a.disabled
      ? el("button", {class: "enable", on: {click: () => accountAction(a, "enable", "Compte réactivé.")}}, "Réactiver")
      : a.name === ME ? null  // one's own account stays open
      : el("button", {class: "disable", on: {click: () => accountAction(a, "disable", "Compte désactivé ; ses sessions sont fermées.",
          "Désactiver le compte « " + a.name + " » ? Ses sessions seront fermées aussitôt.")}}, "Désactiver"),
      el("button", {class: "end-sessions", on: {click: () => accountAction(a, "end-sessions", "Sessions fermées.")}}, "Déconnecter")))));
}
async function accountAction(account, action, done, question) {
  if (question && !confirm(question)) return;
  try { await post("/staff/api/accounts/" + account.id + "/" + action, {}); status(done); await loadAccounts(); } catch (_) {}
}
document.getElementById("password-form").addEventListener("submit", async e => {
  e.preventDefault();
  try {
    await post("/staff/api/password", Object.fromEntries(new FormData(e.target)));
    e.target.reset(); status("Mot de passe changé ; vos autres sessions sont fermées.");
  } catch (_) {}
});

(async () => {
  clinic = await getJson("/staff/api/clinic");
  document.getElementById("clinic-name").textContent = "Console — " + clinic.name;
  document.getElementById("agenda-doctor").replaceChildren(...clinic.doctors.map(d => el("option", {value: d.id}, d.name + " (" + d.specialty + ")")));
  document.getElementById("agenda-date").value = new Date().toLocaleDateString("sv-SE", {timeZone: tz()});
  document.getElementById("calls-outcome").append(...Object.entries(OUTCOMES).map(([k, v]) => el("option", {value: k}, v)));
  show("today");
})();
