// Changes the sample rate of mono audio, e.g. the microphone's 48 kHz to the 16 kHz the
// recognizer wants. Done here rather than by a 16 kHz AudioContext because browsers
// differ in whether a microphone may feed a context of another rate (Firefox refuses).

// Filter half-width, in output samples: 8 gives a clean enough cut-off for speech
// while keeping a minute of audio well under a second of work.
const HALF_WIDTH = 8;

/** `input` (Float32Array at `fromRate` Hz) resampled to `toRate` Hz. */
export function resample(input, fromRate, toRate) {
  if (fromRate === toRate) return input;
  const step = fromRate / toRate; // input samples per output sample
  // Going down, cut what the new rate cannot hold (above its Nyquist) to avoid aliasing.
  const cutoff = Math.min(1, 1 / step);
  const reach = HALF_WIDTH * Math.max(1, step); // filter half-width, in input samples
  const output = new Float32Array(Math.floor(input.length / step));
  for (let i = 0; i < output.length; i++) {
    output[i] = sampleAt(input, i * step, cutoff, reach);
  }
  return output;
}

/**
 * The same filter for audio that arrives block by block (the hands-free call): each
 * `push(block)` returns the output samples that the input so far fully determines.
 * It keeps the last input samples the filter still needs, so the blocks' edges leave
 * no trace, unlike resampling each block on its own.
 */
export class StreamResampler {
  #step;
  #cutoff;
  #reach;
  #pending = new Float32Array(0);
  #next = 0; // where the next output sample falls, in input samples from #pending[0]

  constructor(fromRate, toRate) {
    this.#step = fromRate / toRate;
    this.#cutoff = Math.min(1, 1 / this.#step);
    this.#reach = HALF_WIDTH * Math.max(1, this.#step);
  }

  /** Float32Array at `fromRate` in, Float32Array at `toRate` out. */
  push(block) {
    const input = new Float32Array(this.#pending.length + block.length);
    input.set(this.#pending);
    input.set(block, this.#pending.length);
    const ready = Math.max(0, Math.floor((input.length - 1 - this.#reach - this.#next) / this.#step) + 1);
    const output = new Float32Array(ready);
    for (let i = 0; i < ready; i++) {
      output[i] = sampleAt(input, this.#next + i * this.#step, this.#cutoff, this.#reach);
    }
    const next = this.#next + ready * this.#step;
    const keep = Math.max(0, Math.min(input.length, Math.floor(next - this.#reach) - 1));
    this.#pending = input.slice(keep);
    this.#next = next - keep;
    return output;
  }
}

// One output sample: the input around `centre` (in input samples), low-pass filtered.
function sampleAt(input, centre, cutoff, reach) {
  const first = Math.max(0, Math.ceil(centre - reach));
  const last = Math.min(input.length - 1, Math.floor(centre + reach));
  let sum = 0;
  let weights = 0;
  for (let j = first; j <= last; j++) {
    const distance = j - centre;
    const weight = sinc(cutoff * distance) * hann(distance / reach);
    sum += input[j] * weight;
    weights += weight;
  }
  // Dividing by the weights keeps the level right, also at the edges.
  return weights ? sum / weights : 0;
}

function sinc(x) {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

// A window that brings the filter smoothly to zero at its ends.
function hann(t) {
  return Math.abs(t) >= 1 ? 0 : 0.5 * (1 + Math.cos(Math.PI * t));
}
