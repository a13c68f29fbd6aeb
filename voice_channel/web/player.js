// Plays the bot's speech, one clip after another, and stops at once when the user
// presses the microphone again (barge-in) or starts a new conversation.

export class Player {
  #stopCurrent = null;

  /** Plays each `{ mime, base64 }` in turn; resolves when done or stopped. */
  async play(clips) {
    this.stop();
    for (const clip of clips) {
      const stopped = await this.#playOne(clip);
      if (stopped) return;
    }
  }

  stop() {
    this.#stopCurrent?.();
  }

  // Resolves true when stopped, false when played to the end; rejects when the
  // browser cannot play it.
  #playOne({ mime, base64 }) {
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const audio = new Audio(url);
    return new Promise((resolve, reject) => {
      const finish = (settle) => {
        audio.pause();
        URL.revokeObjectURL(url);
        this.#stopCurrent = null;
        settle();
      };
      this.#stopCurrent = () => finish(() => resolve(true));
      audio.onended = () => finish(() => resolve(false));
      audio.onerror = () => finish(() => reject(new Error("audio illisible")));
      audio.play().catch((error) => finish(() => reject(error)));
    });
  }
}

/**
 * The hands-free call's speaker: the cabinet's voice arrives as 20 ms frames of 16 kHz
 * PCM, paced in real time by the server, and each frame is scheduled on the Web Audio
 * clock right after the previous one (AudioBufferSourceNodes back to back), so the
 * speech plays without gaps. `stop()` (the server's `clear`: the caller spoke over the
 * cabinet) silences it at once and drops what was scheduled.
 */
export class StreamPlayer {
  // Kept ahead of the clock when playback (re)starts, to absorb the network's jitter.
  static LEAD_S = 0.08;

  #context;
  #sources = new Set();
  #until = 0; // context time at which the scheduled audio ends
  #onSpeaking;
  #quietTimer = null;

  /** `onSpeaking(true|false)`: the cabinet's voice starts or stops being heard. */
  constructor(context, onSpeaking = () => {}) {
    this.#context = context;
    this.#onSpeaking = onSpeaking;
  }

  get speaking() {
    return this.#until > this.#context.currentTime;
  }

  /** The context time at which the scheduled audio ends. */
  get until() {
    return this.#until;
  }

  /** Schedules `samples` (Float32Array at `rate` Hz) after what is already scheduled. */
  enqueue(samples, rate) {
    if (samples.length === 0) return;
    const context = this.#context;
    const buffer = context.createBuffer(1, samples.length, rate);
    buffer.copyToChannel(samples, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    const wasSpeaking = this.speaking;
    const at = Math.max(this.#until, context.currentTime + (wasSpeaking ? 0 : StreamPlayer.LEAD_S));
    source.start(at);
    this.#until = at + buffer.duration;
    this.#sources.add(source);
    source.onended = () => this.#sources.delete(source);
    if (!wasSpeaking) this.#onSpeaking(true);
    this.#watchEnd();
  }

  /** Stops at once and forgets everything scheduled. */
  stop() {
    for (const source of this.#sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // never started: nothing to stop
      }
      source.disconnect();
    }
    this.#sources.clear();
    const wasSpeaking = this.speaking;
    this.#until = 0;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = null;
    if (wasSpeaking) this.#onSpeaking(false);
  }

  // Tells when the last scheduled sample has played (re-armed by each new frame).
  #watchEnd() {
    clearTimeout(this.#quietTimer);
    const left = this.#until - this.#context.currentTime;
    this.#quietTimer = setTimeout(() => {
      this.#quietTimer = null;
      if (this.speaking) this.#watchEnd();
      else this.#onSpeaking(false);
    }, Math.max(0, left * 1000) + 50);
  }
}
