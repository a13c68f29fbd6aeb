// The microphone, recorded while the button is held: getUserMedia → AudioContext →
// a capture node (AudioWorklet, or ScriptProcessor where worklets are missing) →
// samples, resampled to 16 kHz and written as a WAV for the channel's /audio route.
import { resample } from "./resample.js";
import { encodeWav } from "./wav.js";

const TARGET_RATE = 16000;
const FLUSH_TIMEOUT_MS = 500;

// The sound as the microphone hears it, without the processing browsers apply for calls.
// With Chromium's processing on, Whisper misheard two of our test sentences in 7 runs
// out of 8 ("ta mère en mémo" for "prendre un rendez-vous"), and its gain control
// clipped them; raw, it heard them as it hears the same file uploaded. Push-to-talk
// stops the cabinet's voice when the button is pressed, so there is no echo to cancel.
const RAW_MICROPHONE = {
  channelCount: 1,
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: false,
};

/** The microphone cannot be used; `message` is for the user, in French. */
export class MicrophoneError extends Error {}

/** Why the microphone cannot be used on this page at all, in French, or null. */
export function microphoneUnavailableReason() {
  // Browsers only offer the microphone to pages served over https or from localhost.
  if (!window.isSecureContext) {
    return "Le microphone n'est pas disponible : cette page doit être ouverte en https " +
      "(ou à l'adresse localhost). Vous pouvez écrire votre message ci-dessous.";
  }
  if (!navigator.mediaDevices?.getUserMedia || !window.AudioContext) {
    return "Votre navigateur ne permet pas d'utiliser le microphone sur cette page. " +
      "Vous pouvez écrire votre message ci-dessous.";
  }
  return null;
}

function explain(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "L'accès au microphone est refusé. Pour parler au cabinet, autorisez le microphone " +
        "dans les réglages du navigateur (icône à gauche de l'adresse de la page), puis " +
        "réessayez. Vous pouvez aussi écrire votre message ci-dessous.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "Aucun microphone n'a été trouvé. Branchez-en un, ou écrivez votre message ci-dessous.";
    case "NotReadableError":
    case "AbortError":
      return "Le microphone est utilisé par une autre application, ou ne répond pas. " +
        "Fermez-la, puis réessayez.";
    default:
      return "Le microphone n'a pas pu être ouvert. Réessayez, ou écrivez votre message ci-dessous.";
  }
}

export class Recorder {
  #context = null;
  #capture = null; // { node, flush }
  #stream = null;
  #source = null;
  #blocks = [];
  #recording = false;

  /** Opens the microphone and starts keeping its samples; throws MicrophoneError. */
  async start() {
    const unavailable = microphoneUnavailableReason();
    if (unavailable) throw new MicrophoneError(unavailable);
    // The audio graph first (the worklet takes a moment to load the first time), then
    // the microphone: its first words would be lost if it waited for the graph.
    let context;
    try {
      context = await this.#runningContext();
    } catch (error) {
      throw new MicrophoneError(
        "L'enregistrement n'a pas pu démarrer dans ce navigateur. Réessayez, ou écrivez " +
          "votre message ci-dessous.",
        { cause: error },
      );
    }
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({ audio: RAW_MICROPHONE });
    } catch (error) {
      context.suspend();
      throw new MicrophoneError(explain(error), { cause: error });
    }
    this.#blocks = [];
    this.#recording = true;
    this.#source = context.createMediaStreamSource(this.#stream);
    this.#source.connect(this.#capture.node);
  }

  /** Stops; returns `{ wav, seconds }`: the recording as a 16 kHz mono WAV Blob. */
  async stop() {
    this.#source?.disconnect();
    await this.#capture?.flush();
    this.#release();
    const rate = this.#context?.sampleRate ?? TARGET_RATE;
    const samples = concatenate(this.#blocks);
    this.#blocks = [];
    return {
      wav: encodeWav(resample(samples, rate, TARGET_RATE), TARGET_RATE),
      seconds: samples.length / rate,
    };
  }

  /** Stops and forgets what was recorded. */
  cancel() {
    this.#release();
    this.#blocks = [];
  }

  #release() {
    this.#recording = false;
    this.#source?.disconnect();
    this.#source = null;
    // Stopping the tracks turns the browser's "recording" indicator off between turns.
    this.#stream?.getTracks().forEach((track) => track.stop());
    this.#stream = null;
    this.#context?.suspend();
  }

  // One AudioContext for the page, at the device's own rate, resumed for each turn.
  async #runningContext() {
    if (!this.#context) {
      const context = new AudioContext();
      this.#capture = await createCaptureNode(context, (block) => {
        if (this.#recording) this.#blocks.push(block);
      });
      this.#context = context;
    }
    if (this.#context.state !== "running") await this.#context.resume();
    return this.#context;
  }
}

async function createCaptureNode(context, onBlock, blockFrames = 4096, continuous = false) {
  // A muted path to the output: browsers only run the nodes that lead to it.
  const mute = context.createGain();
  mute.gain.value = 0;
  mute.connect(context.destination);
  if (context.audioWorklet) {
    try {
      await context.audioWorklet.addModule(new URL("./recorder-worklet.js", import.meta.url));
      const node = new AudioWorkletNode(context, "capture", { processorOptions: { blockFrames, continuous } });
      let flushed = () => {};
      node.port.onmessage = (event) => (event.data === "flushed" ? flushed() : onBlock(event.data));
      node.connect(mute);
      const flush = () => new Promise((resolve) => {
        flushed = resolve;
        node.port.postMessage("flush");
        setTimeout(resolve, FLUSH_TIMEOUT_MS); // never hang the turn on a stuck audio thread
      });
      return { node, flush };
    } catch (error) {
      console.warn("AudioWorklet indisponible, enregistrement par ScriptProcessor.", error);
    }
  }
  const node = context.createScriptProcessor(blockFrames, 1, 1);
  node.onaudioprocess = (event) => onBlock(new Float32Array(event.inputBuffer.getChannelData(0)));
  node.connect(mute);
  return { node, flush: async () => {} };
}

// The microphone for a hands-free call. Unlike push-to-talk, the cabinet's voice plays
// through the speakers while the microphone is open, so the browser's echo cancellation
// is on: without it the bot would hear itself and cut its own sentences (barge-in).
// Noise suppression and gain control stay off, as for push-to-talk (see RAW_MICROPHONE).
const CALL_MICROPHONE = { ...RAW_MICROPHONE, echoCancellation: true };
const CALL_BLOCK_FRAMES = 1024; // ~21 ms at 48 kHz: the call hears the caller promptly

/**
 * The microphone streamed continuously, in `context` (the call's AudioContext, which
 * also plays the cabinet's voice: one clock for both): `onBlock(Float32Array)` gets
 * its samples, mono, at `context.sampleRate`.
 */
export class MicrophoneStream {
  #stream = null;
  #source = null;
  #capture = null;

  /** Opens the microphone; throws MicrophoneError with a French message. */
  static async open(context, onBlock) {
    const unavailable = microphoneUnavailableReason();
    if (unavailable) throw new MicrophoneError(unavailable);
    const microphone = new MicrophoneStream();
    try {
      microphone.#stream = await navigator.mediaDevices.getUserMedia({ audio: CALL_MICROPHONE });
    } catch (error) {
      throw new MicrophoneError(explain(error), { cause: error });
    }
    try {
      if (context.state !== "running") await context.resume();
      microphone.#capture = await createCaptureNode(context, onBlock, CALL_BLOCK_FRAMES, true);
    } catch (error) {
      microphone.close();
      throw new MicrophoneError(
        "L'appel n'a pas pu démarrer dans ce navigateur. Réessayez, ou utilisez le bouton " +
          "« Maintenir pour parler ».",
        { cause: error },
      );
    }
    microphone.#source = context.createMediaStreamSource(microphone.#stream);
    microphone.#source.connect(microphone.#capture.node);
    return microphone;
  }

  close() {
    this.#source?.disconnect();
    this.#source = null;
    this.#capture?.node.disconnect();
    this.#capture = null;
    this.#stream?.getTracks().forEach((track) => track.stop());
    this.#stream = null;
  }
}

function concatenate(blocks) {
  const all = new Float32Array(blocks.reduce((total, block) => total + block.length, 0));
  let offset = 0;
  for (const block of blocks) {
    all.set(block, offset);
    offset += block.length;
  }
  return all;
}
