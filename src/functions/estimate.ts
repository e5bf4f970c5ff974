// A token estimate for models whose tokenizer we do not ship (Anthropic,
// Google, Mistral, Meta, unknown). One pass over the text, counting what BPE
// tokenizers typically make of each kind of run:
//
//   Latin letters (ASCII and accented)  1 token per word, +1 per further 5 letters past the 6th
//   digits                              1 token per 3 digits (BPE vocabularies split numbers in groups)
//   ASCII punctuation and symbols       1 token per 3 characters of a run (at least 1)
//   whitespace                          a single space is free (it joins the next word's token);
//                                       a run of several spaces or tabs costs 1, a run of line breaks 1
//   CJK ideographs and kana             0.65 token per character
//   hangul                              0.75 token per character
//   Cyrillic, Greek, Armenian, Georgian 1 token per 3.9 letters of a word (at least 1)
//   Arabic, Hebrew, Syriac, Thaana      1 token per 3.9 letters of a word (at least 1)
//   Indic, Thai, Lao, Khmer, Myanmar …  1 token per 3.5 characters of a word (at least 1)
//   emoji and other astral symbols      1.5 tokens per code point
//   anything else                       1 token per character
//
// Calibrated against o200k_base on the corpus in test/functions/fixtures/estimate-corpus.json;
// docs/functions.md gives the method and the measured error.

const enum C {
  Space = 0,
  Newline = 1,
  Latin = 2,
  Digit = 3,
  Punct = 4,
  Cjk = 5,
  Cyrillic = 6,
  Rtl = 7,
  Indic = 8,
  Astral = 9,
  Mark = 10,
  Other = 11,
  Hangul = 12,
}

function classOf(cp: number): C {
  if (cp < 0x80) {
    if (cp === 0x20 || cp === 0x09) return C.Space;
    if (cp === 0x0a || cp === 0x0d || cp === 0x0b || cp === 0x0c) return C.Newline;
    if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return C.Latin;
    if (cp >= 0x30 && cp <= 0x39) return C.Digit;
    if (cp < 0x20 || cp === 0x7f) return C.Other;
    return C.Punct;
  }
  if (cp >= 0xc0 && cp <= 0x24f && cp !== 0xd7 && cp !== 0xf7) return C.Latin;
  if (cp >= 0x1e00 && cp <= 0x1eff) return C.Latin;
  if (cp === 0xa0 || cp === 0x3000 || (cp >= 0x2000 && cp <= 0x200a)) return C.Space;
  if (cp >= 0x300 && cp <= 0x36f) return C.Mark;
  if ((cp >= 0x370 && cp <= 0x52f) || (cp >= 0x530 && cp <= 0x58f) || (cp >= 0x10a0 && cp <= 0x10ff)) return C.Cyrillic;
  if (cp >= 0x590 && cp <= 0x7bf) return C.Rtl;
  if ((cp >= 0x900 && cp <= 0xdff) || (cp >= 0xe00 && cp <= 0xfff) || (cp >= 0x1000 && cp <= 0x109f) || (cp >= 0x1780 && cp <= 0x17ff)) return C.Indic;
  if ((cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f)) return C.Hangul;
  if (
    (cp >= 0x3040 && cp <= 0x30ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x20000 && cp <= 0x3ffff)
  ) {
    return C.Cjk;
  }
  if ((cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x3001 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xffef)) return C.Punct;
  if (cp >= 0x10000) return C.Astral;
  return C.Other;
}

/** Estimated tokens of `text` for a BPE tokenizer of the o200k/cl100k kind. Linear, no allocation. */
export function estimateTokens(text: string): number {
  let total = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    let cp = text.charCodeAt(i);
    let w = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        w = 2;
      }
    }
    const c = classOf(cp);
    // A run of one class (marks join the run they follow).
    let j = i + w;
    let len = 1;
    if (c !== C.Astral && c !== C.Other) {
      while (j < n) {
        const d = text.charCodeAt(j);
        // Runs never contain astral characters, so code units are enough here.
        const k = d >= 0xd800 && d <= 0xdfff ? C.Astral : classOf(d);
        if (k !== c && !(k === C.Mark && c !== C.Space && c !== C.Newline && c !== C.Punct && c !== C.Digit)) break;
        j++;
        len++;
      }
    }
    switch (c) {
      case C.Latin:
        total += 1 + Math.floor(Math.max(0, len - 6) / 5);
        break;
      case C.Digit:
        total += Math.ceil(len / 3);
        break;
      case C.Punct:
        total += Math.ceil(len / 3);
        break;
      case C.Space:
        // One space before a word is part of that word's token.
        if (len > 1) total += 1;
        break;
      case C.Newline:
        total += 1;
        break;
      case C.Cjk:
        total += len * 0.65;
        break;
      case C.Hangul:
        total += len * 0.75;
        break;
      case C.Cyrillic:
        total += Math.max(1, len / 3.9);
        break;
      case C.Rtl:
        total += Math.max(1, len / 3.9);
        break;
      case C.Indic:
        total += Math.max(1, len / 3.5);
        break;
      case C.Astral:
        total += 1.5;
        break;
      case C.Mark:
      case C.Other:
        total += 1;
        break;
      default:
        c satisfies never;
    }
    i = j;
  }
  return Math.round(total);
}
