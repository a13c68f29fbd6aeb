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
    const centre = i * step;
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
    output[i] = weights ? sum / weights : 0;
  }
  return output;
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
