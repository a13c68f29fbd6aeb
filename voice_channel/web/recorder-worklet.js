// Runs on the audio thread: hands the microphone's samples (mixed to mono) to the page.
// Samples go out in blocks of 4096 frames rather than every 128-frame render quantum,
// to keep the messages few; the hands-free call asks for smaller blocks
// (`processorOptions.blockFrames`), for less delay.

const BLOCK_FRAMES = 4096;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.block = new Float32Array(options?.processorOptions?.blockFrames ?? BLOCK_FRAMES);
    this.continuous = Boolean(options?.processorOptions?.continuous);
    this.filled = 0;
    // The page asks for the last, partial block when the user lets go of the button;
    // "flushed" tells it that every sample has been sent.
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.send();
        this.port.postMessage("flushed");
      }
    };
  }

  process(inputs) {
    const channels = inputs[0];
    if (channels.length === 0) {
      // No microphone connected (yet), or its track has ended. A call keeps sending
      // silence, as a phone line does; a push-to-talk turn just waits.
      if (this.continuous) {
        for (let i = 0; i < 128; i++) {
          this.block[this.filled++] = 0;
          if (this.filled === this.block.length) this.send();
        }
      }
      return true;
    }
    const frames = channels[0].length;
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (const channel of channels) sum += channel[i];
      this.block[this.filled++] = sum / channels.length;
      if (this.filled === this.block.length) this.send();
    }
    return true;
  }

  send() {
    if (this.filled === 0) return;
    this.port.postMessage(this.block.slice(0, this.filled));
    this.filled = 0;
  }
}

registerProcessor("capture", CaptureProcessor);
