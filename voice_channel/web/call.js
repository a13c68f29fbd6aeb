// The hands-free call: the page talks to the cabinet as a phone does, over the
// channel's media stream WebSocket (/webhooks/voice/stream, the Twilio Media Streams
// protocol). The microphone is streamed without pause as 20 ms frames of 16 kHz
// little-endian 16-bit PCM ("audio/x-l16"); the server finds the turns itself, sends
// the cabinet's voice back in the same format (paced in real time), `clear` when the
// caller speaks over it, and the JSON events `transcript`, `bot` and `transfer`. It
// closes the socket when the call is over (goodbye, transfer).
import { ApiError, callUrl, requestCallTicket } from "./api.js";
import { StreamPlayer } from "./player.js";
import { MicrophoneStream } from "./recorder.js";
import { StreamResampler } from "./resample.js";

const RATE = 16000;
const FRAME_SAMPLES = RATE / 50; // 20 ms
const CONNECT_TIMEOUT_MS = 20_000;

/** A call that could not start or was cut; `message` is for the user, in French. */
export class CallError extends Error {}

const UNREACHABLE =
  "Le serveur du cabinet est injoignable. Vérifiez votre connexion, puis réessayez dans un instant.";
const REFUSED =
  "Accès refusé : le code d'accès est absent ou incorrect. Ouvrez cette page avec le lien " +
  "complet fourni par le cabinet.";
const CUT = "La connexion avec le cabinet a été coupée. Vous pouvez rappeler.";
const BUSY = "Toutes nos lignes sont occupées. Merci de rappeler dans quelques minutes.";

/**
 * One call. `handlers`: `transcript(text)`, `bot(text)`, `transfer(number)`,
 * `speaking(boolean)` (the cabinet's voice is heard or not), and `ended(reason, error)`
 * once, when it is over: reason "hangup" (the user), "closed" (the server ended it),
 * "transfer", or "error" with a CallError.
 */
export class HandsFreeCall {
  #handlers;
  #context = null;
  #microphone = null;
  #socket = null;
  #player = null;
  #resampler = null;
  #frame = new Int16Array(FRAME_SAMPLES);
  #filled = 0;
  #chunk = 0;
  #streamSid;
  #ended = false;
  #transferred = false;
  #ticket;

  constructor(handlers) {
    this.#handlers = handlers;
    const id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    this.#streamSid = `MZweb${id}`;
    this.callSid = null; // given by the server with the call's ticket
    this.#ticket = null;
  }

  /** Opens the microphone, then the stream; throws MicrophoneError or CallError. */
  async start() {
    // Created during the click, so that the browser lets it play sound.
    this.#context = new AudioContext();
    this.#player = new StreamPlayer(this.#context, (on) => this.#handlers.speaking?.(on));
    try {
      this.#microphone = await MicrophoneStream.open(this.#context, (block) => this.#capture(block));
      this.#resampler = new StreamResampler(this.#context.sampleRate, RATE);
      await this.#takeTicket();
      this.#socket = await this.#connect();
    } catch (error) {
      this.#release();
      throw error;
    }
    if (this.#ended) { // hung up while connecting
      this.#release();
      return;
    }
    this.#socket.onmessage = (event) => this.#receive(event.data);
    this.#socket.onclose = (event) => this.#closed(event);
    this.#send({
      event: "start",
      sequenceNumber: "1",
      start: {
        streamSid: this.#streamSid,
        callSid: this.callSid,
        tracks: ["inbound"],
        // "events": the transcript and the bot's texts for the chat. Marks are not
        // echoed (the server's default for L16 clients): it times the playback itself.
        customParameters: { events: "true", ticket: this.#ticket },
        mediaFormat: { encoding: "audio/x-l16", sampleRate: RATE, channels: 1 },
      },
      streamSid: this.#streamSid,
    });
  }

  /** The user ends the call. */
  hangUp() {
    if (this.#ended) return;
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#send({ event: "stop", streamSid: this.#streamSid, stop: { callSid: this.callSid } });
    }
    this.#finish("hangup");
  }

  async #takeTicket() {
    try {
      const { callSid, ticket } = await requestCallTicket();
      this.callSid = callSid;
      this.#ticket = ticket;
    } catch (error) {
      throw new CallError(error instanceof ApiError ? error.message : UNREACHABLE);
    }
  }

  #connect() {
    return new Promise((resolve, reject) => {
      let socket;
      try {
        socket = new WebSocket(callUrl());
      } catch {
        reject(new CallError(UNREACHABLE));
        return;
      }
      const timer = setTimeout(() => {
        socket.close();
        reject(new CallError(UNREACHABLE));
      }, CONNECT_TIMEOUT_MS);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(socket);
      };
      // A browser gives no reason for a failed handshake: an error before the socket
      // opens means the server could not be reached (or refused the upgrade).
      socket.onerror = () => {
        clearTimeout(timer);
        reject(new CallError(UNREACHABLE));
      };
    });
  }

  // Microphone samples → 16 kHz → 20 ms int16 frames → `media` messages.
  #capture(block) {
    if (this.#ended || this.#socket?.readyState !== WebSocket.OPEN) return; // not yet connected
    const samples = this.#resampler.push(block);
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      this.#frame[this.#filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.#filled === FRAME_SAMPLES) {
        this.#sendFrame();
        this.#filled = 0;
      }
    }
  }

  #sendFrame() {
    // Little-endian whatever the machine, as the server expects.
    const bytes = new Uint8Array(FRAME_SAMPLES * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < FRAME_SAMPLES; i++) view.setInt16(i * 2, this.#frame[i], true);
    const chunk = ++this.#chunk;
    this.#send({
      event: "media",
      streamSid: this.#streamSid,
      media: { track: "inbound", chunk: String(chunk), timestamp: String((chunk - 1) * 20), payload: toBase64(bytes) },
    });
  }

  #send(message) {
    try {
      this.#socket.send(JSON.stringify(message));
    } catch {
      // closing: the close handler ends the call
    }
  }

  #receive(data) {
    if (this.#ended || typeof data !== "string") return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return; // not ours to show
    }
    switch (message?.event) {
      case "media":
        if (typeof message.media?.payload === "string") {
          this.#player.enqueue(fromL16(message.media.payload), RATE);
        }
        break;
      case "clear": // the caller spoke over the cabinet: silence at once
        this.#player.stop();
        break;
      case "transcript":
        this.#handlers.transcript?.(message.text ?? "");
        break;
      case "bot":
        if (message.text) this.#handlers.bot?.(message.text);
        break;
      case "transfer":
        this.#transferred = true;
        this.#handlers.transfer?.(message.to ?? "");
        break;
      default: // "mark", "partial": nothing to do
    }
  }

  #closed(event) {
    if (this.#ended) return;
    if (this.#transferred) this.#finish("transfer");
    else if (event.code === 1008) this.#finish("error", new CallError(REFUSED));
    else if (event.code === 1013) this.#finish("error", new CallError(BUSY));
    else if (event.code === 1000 || event.code === 1001 || event.code === 1005) {
      // The server ended the call; let the last words of the cabinet play out.
      this.#finish("closed");
    } else this.#finish("error", new CallError(CUT));
  }

  #finish(reason, error = null) {
    this.#ended = true;
    // The goodbye may still be playing when the server closes: let it end, then release.
    const playOut = reason === "hangup" ? 0 : this.#player?.speaking ? 1000 * this.#remaining() : 0;
    if (reason === "hangup") this.#player?.stop();
    this.#microphone?.close();
    this.#microphone = null;
    try {
      this.#socket?.close(1000);
    } catch {
      // already closed
    }
    setTimeout(() => this.#release(), playOut);
    this.#handlers.ended?.(reason, error);
  }

  #remaining() {
    return Math.max(0, this.#player.until - this.#context.currentTime) + 0.1;
  }

  #release() {
    this.#ended = true;
    this.#microphone?.close();
    this.#microphone = null;
    if (this.#socket && this.#socket.readyState <= WebSocket.OPEN) {
      try {
        this.#socket.close(1000);
      } catch {
        // already closed
      }
    }
    this.#player?.stop();
    this.#context?.close();
    this.#context = null;
  }
}

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
}

// A `media` payload (base64 of little-endian int16) as float samples.
function fromL16(payload) {
  const binary = atob(payload);
  const count = binary.length >> 1;
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    samples[i] = (value >= 0x8000 ? value - 0x10000 : value) / 0x8000;
  }
  return samples;
}
