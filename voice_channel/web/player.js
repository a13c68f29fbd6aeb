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
