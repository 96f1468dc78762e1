/*
 * espeak_timings: speaks a text with espeak-ng and writes the audio (16-bit mono WAV at
 * espeak's own sample rate) and the synthesizer's phoneme, word and sentence events with their
 * sample positions (JSON), so the synthetic studio gets speech whose phoneme timings are known
 * exactly instead of recovered by forced alignment (docs/synthetic-speech.md).
 *
 * Usage: espeak_timings --voice en+m3 [--rate 160] [--pitch 50] [--lead-ms 200] --text "..." --wav out.wav --json out.json
 *
 * The text is spoken with espeakENDPAUSE, so the clip ends in a sentence pause (~0.3 s of
 * silence); --lead-ms prepends that much silence (espeak itself starts within ~40 ms).
 *
 * Build: cc -O2 native/tools/espeak_timings.c -lespeak-ng -o build/tools/espeak-timings
 * (lib/synthetic/espeak.ts does this on demand). Not part of the addon: it links only libespeak-ng.
 *
 * Timing: in AUDIO_OUTPUT_SYNCHRONOUS mode espeak-ng stamps each event with `sample`, the count
 * of samples produced before the buffer plus the write position inside it when the event was
 * queued (MarkerEvent in speech.c), so it indexes the very samples handed to our callback;
 * `audio_position` is the same instant truncated to whole milliseconds. We use `sample` and
 * check that every event lies inside the samples written and agrees with audio_position.
 */
#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* espeak-ng 1.52 draws the breathiness noise of some variants (f2 among them) from a random
 * generator whose default state depends on where the library is loaded (ASLR): the same text and
 * settings gave different samples run to run (identical with ASLR off). 1.52 added
 * espeak_ng_SetRandSeed; 1.51 (Debian 12) has neither the function nor the problem. Declared weak
 * so one source builds and runs against both: NULL where the library lacks it. */
extern espeak_ng_STATUS espeak_ng_SetRandSeed(long seed);
#pragma weak espeak_ng_SetRandSeed

enum { MAX_TEXT_BYTES = 1 << 16 };

typedef struct {
  int type;
  long sample;
  int audio_ms;
  int text_position;
  int length;
  int number;
  char phoneme[9]; /* id.string holds up to 8 bytes, not NUL-terminated when full */
} Event;

typedef struct {
  int16_t *samples;
  size_t count, capacity;
  Event *events;
  size_t event_count, event_capacity;
  int out_of_memory;
} Capture;

static Capture capture;
/* Silence put before espeak's audio (--lead-ms); event positions are shifted by it. */
static long lead_samples;

static void *grow(void *buffer, size_t *capacity, size_t needed, size_t item) {
  if (needed <= *capacity) return buffer;
  size_t next = *capacity ? *capacity : 4096;
  while (next < needed) next *= 2;
  void *grown = realloc(buffer, next * item);
  if (grown) *capacity = next;
  return grown;
}

/* Called by espeak-ng with each buffer of audio and the events that fall inside it. */
static int on_synth(short *wav, int count, espeak_EVENT *events) {
  if (wav && count > 0) {
    int16_t *s = grow(capture.samples, &capture.capacity, capture.count + (size_t)count, sizeof(int16_t));
    if (!s) { capture.out_of_memory = 1; return 1; }
    capture.samples = s;
    memcpy(s + capture.count, wav, (size_t)count * sizeof(int16_t));
    capture.count += (size_t)count;
  }
  for (espeak_EVENT *e = events; e && e->type != espeakEVENT_LIST_TERMINATED; e++) {
    if (e->type != espeakEVENT_PHONEME && e->type != espeakEVENT_WORD && e->type != espeakEVENT_SENTENCE &&
        e->type != espeakEVENT_END)
      continue;
    Event *list = grow(capture.events, &capture.event_capacity, capture.event_count + 1, sizeof(Event));
    if (!list) { capture.out_of_memory = 1; return 1; }
    capture.events = list;
    Event *out = &list[capture.event_count++];
    memset(out, 0, sizeof *out);
    out->type = e->type;
    out->sample = e->sample + lead_samples;
    out->audio_ms = e->audio_position;
    out->text_position = e->text_position;
    out->length = e->length;
    if (e->type == espeakEVENT_PHONEME) memcpy(out->phoneme, e->id.string, 8);
    else out->number = e->id.number;
  }
  return 0;
}

static void put_le(FILE *f, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++) fputc((int)((v >> (8 * i)) & 0xff), f);
}

static int write_wav(const char *path, int rate) {
  FILE *f = fopen(path, "wb");
  if (!f) { fprintf(stderr, "espeak_timings: cannot write %s\n", path); return 0; }
  uint32_t data = (uint32_t)(capture.count * 2);
  fwrite("RIFF", 1, 4, f); put_le(f, 36 + data, 4); fwrite("WAVE", 1, 4, f);
  fwrite("fmt ", 1, 4, f); put_le(f, 16, 4); put_le(f, 1, 2); put_le(f, 1, 2);
  put_le(f, (uint32_t)rate, 4); put_le(f, (uint32_t)rate * 2, 4); put_le(f, 2, 2); put_le(f, 16, 2);
  fwrite("data", 1, 4, f); put_le(f, data, 4);
  /* Little-endian on disk whatever the host order. */
  for (size_t i = 0; i < capture.count; i++) put_le(f, (uint16_t)capture.samples[i], 2);
  int ok = !ferror(f);
  if (fclose(f) != 0) ok = 0;
  if (!ok) fprintf(stderr, "espeak_timings: failed writing %s\n", path);
  return ok;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static const char *type_name(int type) {
  switch (type) {
    case espeakEVENT_PHONEME: return "phoneme";
    case espeakEVENT_WORD: return "word";
    case espeakEVENT_SENTENCE: return "sentence";
    default: return "end";
  }
}

static int write_json(const char *path, int rate, const char *voice) {
  FILE *f = fopen(path, "wb");
  if (!f) { fprintf(stderr, "espeak_timings: cannot write %s\n", path); return 0; }
  fprintf(f, "{\"sampleRate\":%d,\"samples\":%zu,\"durationSeconds\":%.6f,\"voice\":", rate, capture.count,
          (double)capture.count / rate);
  json_string(f, voice);
  fputs(",\"events\":[", f);
  for (size_t i = 0; i < capture.event_count; i++) {
    const Event *e = &capture.events[i];
    fprintf(f, "%s\n{\"type\":\"%s\",\"sample\":%ld,\"time\":%.6f,\"textPosition\":%d", i ? "," : "",
            type_name(e->type), e->sample, (double)e->sample / rate, e->text_position);
    if (e->type == espeakEVENT_PHONEME) {
      fputs(",\"phoneme\":", f);
      json_string(f, e->phoneme);
    } else if (e->type == espeakEVENT_WORD) {
      fprintf(f, ",\"length\":%d,\"number\":%d", e->length, e->number);
    } else if (e->type == espeakEVENT_SENTENCE) {
      fprintf(f, ",\"number\":%d", e->number);
    }
    fputc('}', f);
  }
  fputs("\n]}\n", f);
  int ok = !ferror(f);
  if (fclose(f) != 0) ok = 0;
  if (!ok) fprintf(stderr, "espeak_timings: failed writing %s\n", path);
  return ok;
}

/* espeak_SetVoiceByName ignores an unknown "+variant" silently; check it against the list. */
static int variant_exists(const char *variant) {
  espeak_VOICE spec;
  memset(&spec, 0, sizeof spec);
  spec.languages = "variant";
  const espeak_VOICE **list = espeak_ListVoices(&spec);
  for (; list && *list; list++) {
    const char *id = (*list)->identifier;
    const char *base = id ? strrchr(id, '/') : NULL;
    if (base && strcmp(base + 1, variant) == 0) return 1;
  }
  return 0;
}

/* espeak_SetVoiceByName knows voice files and names ("fr", "French_(France)") but not every
   language a voice declares ("fr-fr", "en-gb"): find the voice whose language list holds it. */
static const char *voice_for_language(const char *language) {
  const espeak_VOICE **list = espeak_ListVoices(NULL);
  for (; list && *list; list++) {
    const char *l = (*list)->languages;
    while (l && *l) {             /* pairs of (priority byte, NUL-terminated name), then a 0 */
      if (strcasecmp(l + 1, language) == 0) return (*list)->identifier;
      l += 1 + strlen(l + 1) + 1;
    }
  }
  return NULL;
}

static int parse_int(const char *flag, const char *value, int lo, int hi, int *out) {
  char *end;
  long v = strtol(value, &end, 10);
  if (*value == 0 || *end != 0 || v < lo || v > hi) {
    fprintf(stderr, "espeak_timings: expected %s to be an integer in [%d, %d], received \"%s\"\n", flag, lo, hi, value);
    return 0;
  }
  *out = (int)v;
  return 1;
}

static void usage(void) {
  fputs("usage: espeak_timings --voice NAME[+VARIANT] [--rate WPM] [--pitch 0-100] [--lead-ms MS] --text TEXT --wav OUT.wav --json OUT.json\n",
        stderr);
}

int main(int argc, char **argv) {
  const char *voice = NULL, *text = NULL, *wav = NULL, *json = NULL;
  int rate = -1, pitch = -1, lead_ms = 0;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    if (i + 1 >= argc) { fprintf(stderr, "espeak_timings: %s needs a value\n", flag); usage(); return 2; }
    const char *value = argv[++i];
    if (!strcmp(flag, "--voice")) voice = value;
    else if (!strcmp(flag, "--text")) text = value;
    else if (!strcmp(flag, "--wav")) wav = value;
    else if (!strcmp(flag, "--json")) json = value;
    else if (!strcmp(flag, "--rate")) { if (!parse_int(flag, value, espeakRATE_MINIMUM, espeakRATE_MAXIMUM, &rate)) return 2; }
    else if (!strcmp(flag, "--lead-ms")) { if (!parse_int(flag, value, 0, 5000, &lead_ms)) return 2; }
    else if (!strcmp(flag, "--pitch")) { if (!parse_int(flag, value, 0, 100, &pitch)) return 2; }
    else { fprintf(stderr, "espeak_timings: unknown option %s\n", flag); usage(); return 2; }
  }
  if (!voice || !text || !wav || !json) { usage(); return 2; }
  if (strlen(text) > MAX_TEXT_BYTES) { fprintf(stderr, "espeak_timings: text longer than %d bytes\n", MAX_TEXT_BYTES); return 2; }
  const char *p = text;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (!*p) { fputs("espeak_timings: expected a non-empty --text\n", stderr); return 2; }

  /* DONT_EXIT: report missing data ourselves instead of espeak calling exit(). */
  int rate_hz = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
                                  espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_DONT_EXIT);
  if (rate_hz <= 0) {
    fputs("espeak_timings: espeak-ng could not initialize (is its data installed? apt-get install espeak-ng)\n", stderr);
    return 3;
  }
  if (espeak_ng_SetRandSeed) espeak_ng_SetRandSeed(1); /* same text and settings, same samples */

  char base[128];
  const char *plus = strchr(voice, '+');
  size_t base_len = plus ? (size_t)(plus - voice) : strlen(voice);
  if (base_len == 0 || base_len >= sizeof base) { fprintf(stderr, "espeak_timings: bad voice name \"%s\"\n", voice); return 4; }
  memcpy(base, voice, base_len);
  base[base_len] = 0;
  if (plus && !variant_exists(plus + 1)) {
    fprintf(stderr, "espeak_timings: unknown voice variant \"%s\" in \"%s\" (see espeak-ng --voices=variant)\n", plus + 1, voice);
    return 4;
  }
  char resolved[256];
  const char *by_language = NULL;
  if (espeak_SetVoiceByName(voice) != EE_OK && !((by_language = voice_for_language(base)) &&
        snprintf(resolved, sizeof resolved, "%s%s", by_language, plus ? plus : "") < (int)sizeof resolved &&
        espeak_SetVoiceByName(resolved) == EE_OK)) {
    fprintf(stderr, "espeak_timings: unknown voice \"%s\" (see espeak-ng --voices)\n", voice);
    return 4;
  }
  /* After the voice: selecting a voice resets rate and pitch to its defaults. */
  if (rate >= 0 && espeak_SetParameter(espeakRATE, rate, 0) != EE_OK) { fputs("espeak_timings: cannot set rate\n", stderr); return 5; }
  if (pitch >= 0 && espeak_SetParameter(espeakPITCH, pitch, 0) != EE_OK) { fputs("espeak_timings: cannot set pitch\n", stderr); return 5; }

  /* espeak starts speaking within ~40 ms; a quiet lead-in gives the clip a resting mouth. */
  lead_samples = (long)lead_ms * rate_hz / 1000;
  if (lead_samples > 0) {
    capture.samples = calloc((size_t)lead_samples, sizeof(int16_t));
    if (!capture.samples) { fputs("espeak_timings: out of memory\n", stderr); return 5; }
    capture.count = capture.capacity = (size_t)lead_samples;
  }
  espeak_SetSynthCallback(on_synth);
  espeak_ERROR err = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8 | espeakENDPAUSE, NULL, NULL);
  if (err == EE_OK) err = espeak_Synchronize();
  if (capture.out_of_memory) { fputs("espeak_timings: out of memory\n", stderr); return 5; }
  if (err != EE_OK) { fprintf(stderr, "espeak_timings: synthesis failed (espeak error %d)\n", (int)err); return 5; }
  if (capture.count == 0) { fputs("espeak_timings: espeak-ng produced no audio\n", stderr); return 5; }

  size_t phonemes = 0;
  for (size_t i = 0; i < capture.event_count; i++) {
    const Event *e = &capture.events[i];
    /* Events index the samples we received: none may lie past the end, and the millisecond
       stamp must be the same instant (it is floor(sample * 1000 / rate)). */
    if (e->sample < 0 || (size_t)e->sample > capture.count) {
      fprintf(stderr, "espeak_timings: %s event at sample %ld outside the %zu samples written\n", type_name(e->type), e->sample,
              capture.count);
      return 6;
    }
    long ms = (long)((double)(e->sample - lead_samples) * 1000.0 / rate_hz);
    if (labs(ms - e->audio_ms) > 1) {
      fprintf(stderr, "espeak_timings: event sample %ld (%ld ms) disagrees with audio_position %d ms\n", e->sample, ms, e->audio_ms);
      return 6;
    }
    if (i > 0 && e->sample < capture.events[i - 1].sample) {
      fprintf(stderr, "espeak_timings: events out of order at sample %ld\n", e->sample);
      return 6;
    }
    if (e->type == espeakEVENT_PHONEME && e->phoneme[0] != '_') phonemes++; /* '_' names are pauses */
  }
  if (phonemes == 0) {
    fputs("espeak_timings: espeak-ng spoke no phonemes for this text (only pauses, or phoneme events missing)\n", stderr);
    return 6;
  }

  int ok = write_wav(wav, rate_hz) && write_json(json, rate_hz, voice);
  espeak_Terminate();
  free(capture.samples);
  free(capture.events);
  return ok ? 0 : 7;
}
