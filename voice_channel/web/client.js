// The page: hold the button to speak, or type, or call hands-free; the conversation
// shows as a chat and the cabinet's answers are played back.
import { ApiError, sendSpeech, sendText } from "./api.js";
import { HandsFreeCall } from "./call.js";
import { Player } from "./player.js";
import { Recorder, microphoneUnavailableReason } from "./recorder.js";

const microphoneProblem = microphoneUnavailableReason();
const STATUS = {
  idle: microphoneProblem
    ? "Microphone indisponible : écrivez votre message"
    : "Prêt : maintenez le bouton pour parler",
  listening: "À l'écoute",
  thinking: "Réflexion…",
  speaking: "Le cabinet vous répond",
  // The hands-free call.
  "call-connecting": "Appel en cours de connexion…",
  "call-online": "En ligne : parlez quand vous voulez",
  "call-speaking": "Le cabinet vous répond",
  "call-ended": "Appel terminé",
};
const CALL_LABEL = { off: "Conversation mains libres", on: "Raccrocher" };
const IN_CALL = new Set(["call-connecting", "call-online", "call-speaking"]);
const MIC_LABEL = {
  idle: "Maintenir pour parler",
  listening: "Relâcher pour envoyer",
};
const SHORTEST_TURN_S = 0.3; // a tap, not a sentence
const LONGEST_TURN_MS = 55_000; // stays under the channel's default limit of 60 s
const SENDER_KEY = "allo-clinique.sender";

const ui = {
  chat: document.getElementById("chat"),
  status: document.getElementById("status"),
  alert: document.getElementById("alert"),
  alertText: document.getElementById("alert-text"),
  alertDetail: document.getElementById("alert-detail"),
  mic: document.getElementById("mic"),
  micLabel: document.getElementById("mic-label"),
  form: document.getElementById("text-form"),
  text: document.getElementById("text-input"),
  send: document.getElementById("text-send"),
  newConversation: document.getElementById("new-conversation"),
  call: document.getElementById("call"),
  callLabel: document.getElementById("call-label"),
};

const recorder = new Recorder();
const player = new Player();
let sender = sessionStorage.getItem(SENDER_KEY) ?? newSender();
let state = "idle";
let recording = null; // the turn being recorded: { started: Promise<boolean>, timer }
let call = null; // the hands-free call in progress, if any

// -- conversation ----------------------------------------------------------------

// One id per browser tab, kept across reloads so the bot remembers the conversation.
function newSender() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const id = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  sessionStorage.setItem(SENDER_KEY, id);
  return id;
}

function startNewConversation() {
  call?.hangUp();
  player.stop();
  if (recording) {
    clearTimeout(recording.timer);
    recording = null;
    recorder.cancel();
  }
  sender = newSender(); // a reply still on its way belongs to the old one: dropped
  ui.chat.replaceChildren();
  hideAlert();
  setState("idle");
  ui.mic.focus();
}

// -- what the user sees ------------------------------------------------------------

function setState(next) {
  state = next;
  ui.status.dataset.state = next;
  ui.status.textContent = STATUS[next];
  document.body.dataset.state = next;
  ui.mic.setAttribute("aria-pressed", String(next === "listening"));
  ui.micLabel.textContent = MIC_LABEL[next === "listening" ? "listening" : "idle"];
  // During a hands-free call the other ways of talking wait: one conversation at a time.
  const inCall = IN_CALL.has(next);
  ui.send.disabled = next === "thinking" || inCall;
  ui.mic.setAttribute("aria-disabled", String(Boolean(microphoneProblem) || inCall));
  ui.call.setAttribute("aria-pressed", String(inCall));
  ui.callLabel.textContent = CALL_LABEL[inCall ? "on" : "off"];
  ui.call.disabled = next === "thinking" || next === "listening";
}

function addBubble(kind, author, text) {
  const item = document.createElement("li");
  item.className = `turn ${kind}`;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = author;
  const body = document.createElement("p");
  body.textContent = text;
  item.append(who, body);
  ui.chat.append(item);
  item.scrollIntoView({ block: "end" });
}

function showUserTurn(text) {
  if (text) addBubble("user", "Vous", text);
  else addBubble("user unheard", "Vous", "(aucune parole reconnue)");
}

function showBotTurn(messages) {
  for (const message of messages) {
    if (message.text) addBubble("bot", "Le cabinet", message.text);
  }
}

function showAlert(message, detail = null) {
  ui.alertText.textContent = message;
  ui.alertDetail.textContent = detail ? `Détail technique : ${detail}` : "";
  ui.alertDetail.hidden = !detail;
  ui.alert.hidden = false;
}

function hideAlert() {
  ui.alert.hidden = true;
}

// -- a turn: send, show, speak -----------------------------------------------------------

// `request` calls the server; `show` puts its answer in the chat and returns the
// speech clips to play.
async function exchange(request, show) {
  const conversation = sender;
  setState("thinking");
  let clips;
  try {
    const answer = await request();
    if (conversation !== sender) return false;
    clips = show(answer);
  } catch (error) {
    if (conversation !== sender) return false;
    setState("idle");
    if (error instanceof ApiError) {
      showAlert(error.message, error.detail);
    } else {
      console.error(error); // a bug here or an answer of an unexpected shape
      showAlert("La réponse du serveur est inattendue. Merci de réessayer.", String(error));
    }
    return false;
  }
  if (clips.length === 0) {
    setState("idle");
    return true;
  }
  setState("speaking");
  try {
    await player.play(clips);
  } catch {
    showAlert("La réponse n'a pas pu être lue à voix haute ; vous pouvez la lire ci-dessus.");
  }
  if (state === "speaking") setState("idle"); // unless the user has already spoken again
  return true;
}

function press() {
  if (recording || !(state === "idle" || state === "speaking" || state === "call-ended")) return;
  if (ui.mic.getAttribute("aria-disabled") === "true") return;
  player.stop(); // the user speaks over the cabinet: let them
  hideAlert();
  setState("listening");
  const turn = { timer: setTimeout(release, LONGEST_TURN_MS) };
  turn.started = recorder.start().then(
    () => true,
    (error) => {
      clearTimeout(turn.timer);
      if (recording === turn) recording = null;
      recorder.cancel();
      setState("idle");
      showAlert(error.message);
      return false;
    },
  );
  recording = turn;
}

async function release() {
  const turn = recording;
  if (!turn) return;
  recording = null;
  clearTimeout(turn.timer);
  if (!(await turn.started)) return; // the microphone failed: already explained
  setState("thinking");
  const { wav, seconds } = await recorder.stop();
  if (seconds < SHORTEST_TURN_S) {
    setState("idle");
    showAlert("Maintenez le bouton enfoncé pendant toute votre phrase, puis relâchez-le.");
    return;
  }
  await exchange(() => sendSpeech(sender, wav), (answer) => {
    showUserTurn(answer.transcript);
    showBotTurn(answer.messages);
    return answer.audio ? [answer.audio] : [];
  });
}

async function sendTyped(event) {
  event.preventDefault();
  const message = ui.text.value.trim();
  if (!message || recording || state === "thinking" || IN_CALL.has(state)) return;
  player.stop();
  hideAlert();
  const sent = await exchange(() => sendText(sender, message), (messages) => {
    showUserTurn(message);
    showBotTurn(messages);
    return messages.filter((m) => m.audio).map((m) => m.audio);
  });
  if (sent) ui.text.value = ""; // on failure the text stays, to be sent again
}

// -- the hands-free call ---------------------------------------------------------------------

function note(text) {
  addBubble("note", "Appel", text);
}

async function toggleCall() {
  if (call) {
    call.hangUp();
    return;
  }
  if (microphoneProblem) {
    showAlert(microphoneProblem);
    return;
  }
  if (recording || state === "thinking") return;
  player.stop();
  hideAlert();
  setState("call-connecting");
  const current = new HandsFreeCall({
    transcript: (text) => {
      if (call === current) showUserTurn(text);
    },
    bot: (text) => {
      if (call === current) addBubble("bot", "Le cabinet", text);
    },
    transfer: (number) => {
      if (call === current) {
        note(number ? `Je vous passe l'accueil au ${number}.` : "Je vous passe l'accueil.");
      }
    },
    speaking: (on) => {
      if (call === current && state !== "call-connecting") setState(on ? "call-speaking" : "call-online");
    },
    ended: (reason, error) => {
      if (call !== current) return;
      call = null;
      setState("call-ended");
      if (reason === "error") showAlert(error.message);
      else if (reason !== "transfer") note("L'appel est terminé.");
    },
  });
  call = current;
  try {
    await current.start();
  } catch (error) {
    if (call !== current) return; // hung up meanwhile
    call = null;
    setState("idle");
    if (!(error instanceof Error) || !error.message) console.error(error);
    showAlert(error?.message || "L'appel n'a pas pu démarrer. Merci de réessayer.");
    return;
  }
  if (call === current && state === "call-connecting") setState("call-online");
}

// -- wiring ----------------------------------------------------------------------------

// Mouse and touch alike: held down = recording. The capture keeps the release on the
// button even if the finger slides off it.
ui.mic.addEventListener("pointerdown", (event) => {
  if (event.pointerType === "mouse" && event.button !== 0) return;
  ui.mic.setPointerCapture(event.pointerId);
  press();
});
ui.mic.addEventListener("pointerup", release);
ui.mic.addEventListener("pointercancel", release);
ui.mic.addEventListener("contextmenu", (event) => event.preventDefault()); // long press on phones

// Keyboard: Space or Enter held down. Default actions (scrolling, a click) are not wanted.
const isTalkKey = (event) => event.key === " " || event.key === "Enter";
ui.mic.addEventListener("keydown", (event) => {
  if (!isTalkKey(event)) return;
  event.preventDefault();
  if (!event.repeat) press();
});
ui.mic.addEventListener("keyup", (event) => {
  if (!isTalkKey(event)) return;
  event.preventDefault();
  release();
});
ui.mic.addEventListener("blur", release);
document.addEventListener("visibilitychange", () => {
  if (document.hidden) release();
});

ui.form.addEventListener("submit", sendTyped);
ui.newConversation.addEventListener("click", startNewConversation);
ui.call.addEventListener("click", toggleCall);
window.addEventListener("pagehide", () => call?.hangUp());

setState("idle");
if (microphoneProblem) {
  ui.mic.setAttribute("aria-disabled", "true");
  ui.call.setAttribute("aria-disabled", "true");
  showAlert(microphoneProblem);
}
