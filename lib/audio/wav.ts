/**
 * Decoding RIFF/WAVE (`.wav`) files into floating-point samples.
 *
 * Supported sample formats: PCM 8-bit unsigned, PCM 16/24/32-bit signed, IEEE float 32/64, and
 * the same inside `WAVE_FORMAT_EXTENSIBLE` (0xFFFE) headers, whose sub-format GUID says PCM or
 * IEEE float. Written by hand because the `wav-decoder` package rejects extensible headers,
 * which most multichannel and high-resolution recorders write.
 *
 * @module
 */

import { FormatError } from '../errors.js';
import { optionalOptions, requireBytes, requirePath } from '../arguments.js';
import { DEFAULT_MAX_FILE_BYTES, readRegularFile } from '../io/read-file.js';
import { requireMaxSeconds, sampleRateProblem, tooLongMessage } from './limits.js';

/** Decoded audio: one array of samples per channel, all of the same length. */
export interface DecodedAudio {
  /** Frames per second. */
  sampleRate: number;
  /** Samples of each channel, in file order. Integer PCM is scaled to [-1, 1); float is kept as stored. */
  channels: Float32Array[];
}

/** Most channels accepted (header field `channels`); beyond every recorder and mixing desk. */
export const MAX_WAV_CHANNELS = 256;

/** Options of {@link decodeWav} and {@link readWav}. */
export interface DecodeWavOptions {
  /**
   * Longest audio accepted, seconds (default 3600, 1 hour); a
   * longer file is refused with a {@link FormatError} before its samples are decoded.
   */
  maxSeconds?: number;
}

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Names of common codecs this decoder does not handle, so the error says what the file is. */
const CODEC_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3',
  0x0161: 'Windows Media Audio',
  0x1610: 'AAC',
  0xf1ac: 'FLAC',
};

/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 hold the plain format code. */
const KSDATAFORMAT_SUFFIX = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** The parsed `fmt ` chunk, reduced to what decoding needs. */
interface WaveFormat {
  /** 1 (integer PCM) or 3 (IEEE float), after resolving an extensible header. */
  format: number;
  channels: number;
  sampleRate: number;
  /** Bytes between the starts of consecutive frames. */
  blockAlign: number;
  /** Bits of the container of one sample (not the valid bits of an extensible header). */
  bitsPerSample: number;
}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

function codecName(format: number): string {
  const hex = `0x${format.toString(16).padStart(4, '0')}`;
  const name = CODEC_NAMES[format];
  return name === undefined ? `format ${format} (${hex})` : `${name} (format ${format})`;
}

function parseFormat(view: DataView, start: number, size: number, fail: (m: string) => FormatError): WaveFormat {
  if (size < 16) throw fail(`expected the fmt chunk to hold at least 16 bytes, received ${size}`);
  let format = view.getUint16(start, true);
  const channels = view.getUint16(start + 2, true);
  const sampleRate = view.getUint32(start + 4, true);
  const blockAlign = view.getUint16(start + 12, true);
  const bitsPerSample = view.getUint16(start + 14, true);

  if (format === FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize (2), valid bits (2), channel mask (4), sub-format GUID (16).
    if (size < 40) throw fail(`expected the extensible fmt chunk to hold at least 40 bytes, received ${size}`);
    const guid = new Uint8Array(view.buffer, view.byteOffset + start + 24, 16);
    const code = guid[0]! | (guid[1]! << 8);
    if (!KSDATAFORMAT_SUFFIX.every((byte, i) => guid[i + 2] === byte)) {
      const hex = Array.from(guid, (b) => b.toString(16).padStart(2, '0')).join('');
      throw fail(`unsupported codec: extensible sub-format GUID ${hex} is not a KSDATAFORMAT subtype`);
    }
    format = code;
  }
  if (format !== FORMAT_PCM && format !== FORMAT_IEEE_FLOAT) {
    throw fail(`unsupported codec: ${codecName(format)}; expected PCM (format 1) or IEEE float (format 3)`);
  }
  if (channels === 0) throw fail('expected at least 1 channel, received 0');
  if (channels > MAX_WAV_CHANNELS) throw fail(`expected at most ${MAX_WAV_CHANNELS} channels (fmt field channels), received ${channels}`);
  if (sampleRate === 0) throw fail('expected a positive sample rate, received 0');
  const rateProblem = sampleRateProblem(sampleRate);
  if (rateProblem !== undefined) throw fail(`unsupported sample rate (fmt field sampleRate): ${rateProblem}`);
  const supportedBits = format === FORMAT_PCM ? [8, 16, 24, 32] : [32, 64];
  if (!supportedBits.includes(bitsPerSample)) {
    const kind = format === FORMAT_PCM ? 'PCM' : 'IEEE float';
    throw fail(`expected ${kind} samples of ${supportedBits.join(', ')} bits, received ${bitsPerSample} bits`);
  }
  const frameBytes = channels * (bitsPerSample / 8);
  if (blockAlign < frameBytes) {
    throw fail(`expected a block align of at least ${frameBytes} bytes (${channels} channels × ${bitsPerSample} bits), received ${blockAlign}`);
  }
  return { format, channels, sampleRate, blockAlign, bitsPerSample };
}

/** Returns a reader of one sample at a byte offset, scaled to [-1, 1) for integer PCM. */
function sampleReader(view: DataView, fmt: WaveFormat): (offset: number) => number {
  if (fmt.format === FORMAT_IEEE_FLOAT) {
    return fmt.bitsPerSample === 32 ? (o) => view.getFloat32(o, true) : (o) => view.getFloat64(o, true);
  }
  switch (fmt.bitsPerSample) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      // Assemble the low 16 bits unsigned and the top byte signed, then scale by 2^23.
      return (o) => (view.getUint16(o, true) + view.getInt8(o + 2) * 65536) / 8388608;
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}

/**
 * Decodes the bytes of a RIFF/WAVE file.
 *
 * Walks the RIFF chunks, skipping unknown ones (`LIST`, `fact`, `cue `...) and the pad byte
 * after odd-sized chunks. A trailing partial frame is ignored.
 *
 * Every header field is checked before anything is allocated: channels in 1..{@link MAX_WAV_CHANNELS},
 * the sample rate in [1000, 768000] Hz (lib/audio/limits.ts), the sample size, the
 * block align, the data size against the bytes present, and the duration against `maxSeconds`.
 * Float samples must be finite (a NaN or infinity would poison every feature computed from it).
 *
 * @param bytes - The whole file.
 * @param path - The file's path, used only in error messages.
 * @param options - The duration limit.
 * @returns The sample rate and one `Float32Array` per channel.
 * @throws {@link FormatError} naming the field when the bytes are not RIFF/WAVE, are truncated,
 *   use an unsupported codec, declare a channel count, sample rate or sample size out of range,
 *   last longer than `maxSeconds`, hold a NaN or infinite sample, or hold no samples.
 */
export function decodeWav(bytes: Uint8Array, path?: string, options: DecodeWavOptions = {}): DecodedAudio {
  requireBytes('decodeWav', bytes, 'bytes', 'readWav(path)');
  if (path !== undefined) requirePath('decodeWav', path);
  const maxSeconds = requireMaxSeconds(optionalOptions('decodeWav', options).maxSeconds);
  const fail = (message: string): FormatError => new FormatError(message, { path });
  if (bytes.length < 12) {
    throw fail(`truncated WAV header: expected at least 12 bytes, received ${bytes.length}`);
  }
  if (fourCC(bytes, 0) !== 'RIFF' || fourCC(bytes, 8) !== 'WAVE') {
    throw fail(`expected a RIFF/WAVE file, received a file starting with ${JSON.stringify(fourCC(bytes, 0))}…${JSON.stringify(fourCC(bytes, 8))}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let fmt: WaveFormat | undefined;
  let data: { start: number; size: number } | undefined;
  // The RIFF size field is often wrong (streamed recordings), so walk to the end of the bytes.
  for (let offset = 12; offset + 8 <= bytes.length && data === undefined; ) {
    const id = fourCC(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const start = offset + 8;
    if (id === 'fmt ') {
      if (start + size > bytes.length) {
        throw fail(`truncated fmt chunk: expected ${size} bytes, received ${bytes.length - start}`);
      }
      fmt = parseFormat(view, start, size, fail);
    } else if (id === 'data') {
      data = { start, size };
    }
    offset = start + size + (size & 1);
  }
  if (fmt === undefined) throw fail('truncated WAV header: expected a fmt chunk before the data, found none');
  if (data === undefined) throw fail('truncated WAV file: expected a data chunk, found none');
  const present = bytes.length - data.start;
  if (data.size > present) {
    throw fail(`truncated data chunk: expected ${data.size} bytes, received ${present}`);
  }

  const frames = Math.floor(data.size / fmt.blockAlign);
  if (frames === 0) throw fail('contains no audio samples');
  if (frames / fmt.sampleRate > maxSeconds) throw fail(tooLongMessage(frames / fmt.sampleRate, maxSeconds));
  const read = sampleReader(view, fmt);
  const bytesPerSample = fmt.bitsPerSample / 8;
  const channels = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
  for (let c = 0; c < fmt.channels; c++) {
    const out = channels[c]!;
    let offset = data.start + c * bytesPerSample;
    for (let i = 0; i < frames; i++, offset += fmt.blockAlign) out[i] = read(offset);
    if (fmt.format === FORMAT_IEEE_FLOAT) requireFiniteSamples(out, c, fail);
  }
  return { sampleRate: fmt.sampleRate, channels };
}

/** A float sample that is NaN or infinite (also a float64 one beyond float32's range) is refused. */
function requireFiniteSamples(samples: Float32Array, channel: number, fail: (m: string) => FormatError): void {
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v - v !== 0) throw fail(`expected finite float samples, received ${v} at frame ${i} of channel ${channel}`);
  }
}

/** Options of {@link readWav}. */
export interface ReadWavOptions extends DecodeWavOptions {
  /** Largest file read, bytes (default {@link DEFAULT_MAX_FILE_BYTES}, 2 GiB). */
  maxBytes?: number;
}

/**
 * Reads and decodes a `.wav` file (regular files only: a FIFO or device is refused, never read).
 *
 * @param path - The file to read.
 * @param options - The duration and file size limits.
 * @returns The sample rate and one `Float32Array` per channel.
 * @throws {@link FormatError} as {@link decodeWav} does, or when the path is not a regular file
 *   or is larger than `maxBytes`; {@link FileSystemError} when it cannot be read.
 */
export async function readWav(path: string, options: ReadWavOptions = {}): Promise<DecodedAudio> {
  requirePath('readWav', path);
  options = optionalOptions('readWav', options);
  const maxSeconds = requireMaxSeconds(options.maxSeconds);
  const bytes = await readRegularFile(path, { maxBytes: options.maxBytes ?? DEFAULT_MAX_FILE_BYTES, what: 'the WAV file', howToRaise: 'pass maxBytes' });
  return decodeWav(bytes, path, { maxSeconds });
}
