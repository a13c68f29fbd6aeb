// The calls to the voice channel (/webhooks/voice/…), with every failure turned into
// an ApiError whose message is for the user, in French.

// This module is served at …/client/api.js: the channel's routes are one level up.
const CHANNEL = new URL("../", import.meta.url);
const TIMEOUT_MS = 120_000; // the first turn also loads the speech models

export class ApiError extends Error {
  constructor(message, detail = null) {
    super(message);
    this.detail = detail; // the server's own words, shown as a technical detail
  }
}

/** A spoken turn: `{ sender, transcript, messages: [{ text }], audio: { mime, base64 }, timings_ms }`. */
export function sendSpeech(sender, wav) {
  const form = new FormData();
  form.append("sender", sender);
  form.append("audio", wav, "tour.wav");
  return call("audio", { method: "POST", body: form });
}

/** A typed turn: the bot's messages, each with its speech in `audio`. */
export function sendText(sender, message) {
  return call("webhook?audio=true", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sender, message }),
  });
}

/**
 * A ticket for one hands-free call: `{ callSid, ticket }`. The stream is accepted only
 * with a ticket issued for its call SID (or with the page's token), once, within a minute.
 */
export function requestCallTicket() {
  return call("stream/ticket", { method: "POST" });
}

/**
 * The hands-free call's WebSocket address: the channel's `stream` route, on this
 * page's host, `wss://` when the page is https (`ws://` otherwise), with the page's
 * `?token=` (a WebSocket cannot carry an Authorization header from a browser).
 */
export function callUrl() {
  const url = new URL("stream", CHANNEL);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const token = new URLSearchParams(window.location.search).get("token");
  if (token) url.searchParams.set("token", token);
  return url.href;
}

async function call(path, init) {
  let response;
  try {
    response = await fetch(new URL(path, CHANNEL), {
      ...init,
      headers: { ...init.headers, ...authorization() },
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (error.name === "TimeoutError") {
      throw new ApiError("Le serveur du cabinet met trop de temps à répondre. Merci de réessayer dans un instant.");
    }
    throw new ApiError(
      "Le serveur du cabinet est injoignable. Vérifiez votre connexion, puis réessayez dans un instant.",
    );
  }
  if (!response.ok) {
    throw new ApiError(messageFor(response.status), await serverError(response));
  }
  try {
    return await response.json();
  } catch {
    throw new ApiError("La réponse du serveur est illisible. Merci de réessayer.");
  }
}

// The channel accepts its token as a Bearer header; the page takes it from its own
// address (…/client?token=…), so that the link given to the staff is all they need.
function authorization() {
  const token = new URLSearchParams(window.location.search).get("token");
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function messageFor(status) {
  if (status === 401 || status === 403) {
    return "Accès refusé : le code d'accès est absent ou incorrect. Ouvrez cette page avec " +
      "le lien complet fourni par le cabinet.";
  }
  if (status === 429) {
    return "Trop d'appels depuis cette connexion. Merci de réessayer dans une minute.";
  }
  if (status === 413) {
    return "Votre message est trop long pour être traité. Merci de le raccourcir.";
  }
  if (status === 415) {
    return "Le son enregistré n'a pas pu être lu par le serveur. Merci de réessayer.";
  }
  if (status === 400) {
    return "Le serveur n'a pas compris la demande. Merci de réessayer.";
  }
  if (status >= 500) {
    return "Le serveur du cabinet a rencontré une erreur. Merci de réessayer dans un instant.";
  }
  return `Le serveur du cabinet a refusé la demande (code ${status}).`;
}

// The channel answers its errors as {"error": "…"}; anything else (a proxy's HTML
// page, say) is left out rather than shown raw.
async function serverError(response) {
  try {
    const body = await response.json();
    return typeof body?.error === "string" ? body.error : null;
  } catch {
    return null;
  }
}
