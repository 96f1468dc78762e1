/**
 * espeak-ng phoneme mnemonics → articulatory targets: how far the jaw opens and how the lips
 * are shaped at the heart of each phoneme, in the procedural head's terms (jaw rotation in
 * radians, expression coefficients), plus how strongly each phoneme holds each articulator
 * against its neighbours (Cohen–Massaro dominance, used by articulation.ts).
 *
 * espeak reports phonemes in its own ASCII alphabet (close to Kirshenbaum), per language, with
 * decorations that do not change the visible mouth: length `:`, variants `-` `#` and digits,
 * nasalisation `~`, palatal `^`, `;`. The mnemonic is stripped of those, then split into known
 * symbols, so one table covers every language: diphthongs (`aI`, `oU`, `OY`, `e@`...) come back
 * as two targets, the first half of the phoneme's time moving to the second.
 *
 * @module
 */

/** Where the mouth aims during a phoneme. */
export interface ArticulatoryTarget {
  /** Jaw rotation about +x in radians (0 closed; 0.16 an open vowel). */
  jaw: number;
  /** Lip rounding and protrusion, the `lip_round` expression coefficient (0..1). */
  round: number;
  /** Lips pressed together / rolled in, the `lip_press` expression coefficient (0..1). */
  press: number;
  /** Lip spreading, drives `lip_stretch` (and a little `smile`), 0..1. */
  spread: number;
}

export type Channel = keyof ArticulatoryTarget;
export const CHANNELS: readonly Channel[] = ['jaw', 'round', 'press', 'spread'];

/** How strongly a phoneme imposes its target on each channel (relative weights, > 0). */
export type Dominance = Record<Channel, number>;

/** Broad classes that decide dominance and timing. */
export type PhonemeClass =
  | 'pause'
  | 'vowel'
  | 'bilabial'
  | 'labiodental'
  | 'rounded-consonant'
  | 'consonant'
  | 'transparent';

export interface Viseme {
  /** The symbol(s) it was read as, e.g. `['a', 'I']` for `aI`, `['_']` for a pause. */
  symbols: string[];
  cls: PhonemeClass;
  /** One target, or two for diphthongs and two-symbol mnemonics (first half → second half). */
  targets: ArticulatoryTarget[];
  dominance: Dominance;
  /**
   * True for voiceless stops (p t k...): espeak's event marks the release, and the closure is
   * the silence just before it, so articulation.ts moves the target earlier.
   */
  releaseEvent: boolean;
}

const t = (jaw: number, round = 0, press = 0, spread = 0): ArticulatoryTarget => ({ jaw, round, press, spread });

/**
 * Vowel targets by espeak symbol. Jaw: open vowels 0.16 rad (≈ 15 mm at the lower incisors,
 * ~0.1 m from the jaw joint: a clear /a/ in conversational speech), mid 0.07–0.12, close
 * 0.035. Rounded vowels protrude the lips (u, y,
 * o, ø, œ, ɔ, ʊ); front unrounded vowels spread them (i most).
 */
const VOWELS: Record<string, ArticulatoryTarget> = {
  a: t(0.16, 0, 0, 0.1), // a
  A: t(0.16, 0.05), // ɑ
  '&': t(0.13, 0, 0, 0.15), // æ (en), ɐ (pt)
  V: t(0.12), // ʌ
  '0': t(0.15, 0.3), // ɒ
  '3': t(0.09), // ɜ (en), ɐ (de "er")
  '@': t(0.07), // ə
  E: t(0.11, 0, 0, 0.3), // ɛ
  e: t(0.075, 0, 0, 0.4), // e
  I: t(0.05, 0, 0, 0.4), // ɪ
  i: t(0.035, 0, 0, 0.55), // i
  O: t(0.12, 0.55), // ɔ
  o: t(0.085, 0.75), // o
  U: t(0.05, 0.6), // ʊ
  u: t(0.035, 0.9), // u
  y: t(0.035, 0.85), // y (ü)
  Y: t(0.07, 0.65), // ø, ʏ
  W: t(0.1, 0.5), // œ
};

/** Consonant targets and classes. Longest symbols first when splitting (see SYMBOLS). */
const CONSONANTS: Record<string, { target: ArticulatoryTarget; cls: PhonemeClass; release?: boolean }> = {
  p: { target: t(0.01, 0, 1), cls: 'bilabial', release: true },
  b: { target: t(0.01, 0, 1), cls: 'bilabial' },
  m: { target: t(0.01, 0, 0.9), cls: 'bilabial' },
  pF: { target: t(0.01, 0, 1), cls: 'bilabial', release: true }, // German pf: closure first
  B: { target: t(0.03, 0, 0.5), cls: 'labiodental' }, // Spanish β: lips approach, don't close
  f: { target: t(0.03, 0, 0.5, 0.1), cls: 'labiodental' }, // lower lip against upper teeth
  v: { target: t(0.03, 0, 0.45, 0.1), cls: 'labiodental' },
  w: { target: t(0.03, 0.9), cls: 'rounded-consonant' },
  S: { target: t(0.03, 0.4), cls: 'rounded-consonant' }, // ʃ: lips protrude
  Z: { target: t(0.03, 0.4), cls: 'rounded-consonant' },
  tS: { target: t(0.03, 0.4), cls: 'rounded-consonant', release: true },
  dZ: { target: t(0.03, 0.4), cls: 'rounded-consonant' },
  t: { target: t(0.03), cls: 'consonant', release: true },
  d: { target: t(0.03), cls: 'consonant' },
  ts: { target: t(0.025, 0, 0, 0.1), cls: 'consonant', release: true },
  dz: { target: t(0.025, 0, 0, 0.1), cls: 'consonant' },
  k: { target: t(0.05), cls: 'consonant', release: true },
  g: { target: t(0.05), cls: 'consonant' },
  s: { target: t(0.02, 0, 0, 0.15), cls: 'consonant' }, // teeth close together
  z: { target: t(0.02, 0, 0, 0.15), cls: 'consonant' },
  T: { target: t(0.04), cls: 'consonant' }, // θ: tongue between the teeth
  D: { target: t(0.04), cls: 'consonant' },
  n: { target: t(0.03), cls: 'consonant' },
  N: { target: t(0.05), cls: 'consonant' },
  l: { target: t(0.04), cls: 'consonant' },
  L: { target: t(0.04), cls: 'consonant' }, // syllabic l in "@L"
  r: { target: t(0.04, 0.15), cls: 'consonant' },
  R: { target: t(0.05), cls: 'consonant' },
  '*': { target: t(0.04), cls: 'consonant' }, // tap (it, pt, es)
  j: { target: t(0.03, 0, 0, 0.3), cls: 'consonant' },
  J: { target: t(0.03, 0, 0, 0.25), cls: 'consonant' }, // ɲ, ʝ
  C: { target: t(0.03, 0, 0, 0.25), cls: 'consonant' }, // ç
  x: { target: t(0.05), cls: 'consonant' },
  Q: { target: t(0.05), cls: 'consonant' }, // ɣ (es, nl)
  h: { target: t(0.06), cls: 'transparent' },
  '?': { target: t(0.04), cls: 'transparent' },
};

/**
 * Relative dominance per class (Cohen & Massaro 1993: each segment's strength over each
 * articulator). Bilabials own the lip closure (so p b m reach it whatever the neighbours);
 * vowels own the jaw and their rounding; other consonants hold the jaw a little and leave the
 * lips to their neighbours (anticipatory rounding carries through "s" in "soup").
 */
const DOMINANCE: Record<PhonemeClass, Dominance> = {
  pause: { jaw: 1, round: 1, press: 1, spread: 1 },
  vowel: { jaw: 1, round: 1, press: 0.5, spread: 0.7 },
  bilabial: { jaw: 6, round: 0.3, press: 12, spread: 0.3 },
  labiodental: { jaw: 2, round: 0.3, press: 5, spread: 0.3 },
  'rounded-consonant': { jaw: 1.2, round: 3, press: 1, spread: 1 },
  consonant: { jaw: 0.8, round: 0.15, press: 0.5, spread: 0.2 },
  transparent: { jaw: 0.1, round: 0.05, press: 0.1, spread: 0.05 },
};

/** Rest: jaw closed, lips together and relaxed. */
export const REST: ArticulatoryTarget = t(0);

/** Every known symbol, longest first, for greedy splitting. */
const SYMBOLS = [...Object.keys(CONSONANTS), ...Object.keys(VOWELS)].sort((a, b) => b.length - a.length);

/** Decorations that do not change the mouth: stress, length, variants, nasality, palatality. */
const DECORATION = /['",:;#~^!|-]/g;

/**
 * Splits a stripped mnemonic into known symbols (greedy, longest first). Digits mark variants
 * (`@2`, `z2`, `R2`) except where a digit is the symbol itself (`0` ɒ, `3` ɜ).
 */
function split(stripped: string): string[] {
  const out: string[] = [];
  let s = stripped;
  while (s.length > 0) {
    const symbol = SYMBOLS.find((sym) => s.startsWith(sym));
    if (symbol) {
      out.push(symbol);
      s = s.slice(symbol.length);
    } else {
      s = s.slice(1); // a variant digit or an unknown decoration
    }
  }
  // Doubled symbols ("aa", "**" a trill) are one articulation.
  return out.filter((sym, i) => i === 0 || sym !== out[i - 1]);
}

function visemeOf(symbols: string[], cls: PhonemeClass, targets: ArticulatoryTarget[], releaseEvent = false): Viseme {
  return { symbols, cls, targets, dominance: DOMINANCE[cls], releaseEvent };
}

/**
 * The articulation of one espeak-ng phoneme mnemonic (as espeak's phoneme events name them,
 * any language). Pauses (`_`, `_:`, `_!`, `_|`) give the rest pose; an unknown mnemonic a
 * neutral, weakly dominant consonant (it neither opens nor shapes the mouth on its own).
 */
export function visemeFor(mnemonic: string): Viseme {
  if (mnemonic.length === 0 || mnemonic.startsWith('_')) return visemeOf(['_'], 'pause', [REST]);
  const stripped = mnemonic.replace(DECORATION, '');
  const symbols = split(stripped === '' && mnemonic.includes('*') ? '*' : stripped);
  if (symbols.length === 0) return visemeOf([], 'transparent', [t(0.04)]);
  const targets = symbols.map((s) => VOWELS[s] ?? CONSONANTS[s]!.target);
  const vowel = symbols.find((s) => s in VOWELS);
  if (vowel !== undefined) {
    // Diphthongs and vowel + consonant pairs ("@L", "aU"): the vowel's dominance throughout.
    return visemeOf(symbols, 'vowel', targets.length > 2 ? [targets[0]!, targets[targets.length - 1]!] : targets);
  }
  const first = CONSONANTS[symbols[0]!]!;
  return visemeOf(symbols, first.cls, [first.target], first.release ?? false);
}
