// injection(): a prompt-injection score in [0, 1] from named heuristics.
//
// Each signal that fires contributes its weight w; the score combines them
// as independent pieces of evidence (a noisy OR):
//
//     score = 1 − Π (1 − w_s)   over the signals s that fired
//
// so one strong signal gives its weight, and signals add up without ever
// passing 1. Phrases are matched on a normalised copy of the text (NFKC,
// lower case, invisible characters removed, whitespace collapsed); a phrase
// found only after undoing look-alike letters, digit-for-letter spelling or
// spaced-out letters also fires `obfuscation`. Every pattern has bounded
// quantifiers, so matching is linear in the text.

/** Signal weights: the contribution of each signal to the score. */
export const INJECTION_WEIGHTS = {
  /** "ignore all previous instructions", "forget everything above", "ignore the above and say …", "SYSTEM OVERRIDE: …", in several languages (not a user's revision of their own instructions) */
  instruction_override: 0.6,
  /** base64 or Unicode-tag text that decodes to override, jailbreak or exfiltration phrases */
  encoded_instructions: 0.6,
  /** DAN / "do anything now", developer mode, "you are now unrestricted", "no ethical guidelines" */
  jailbreak: 0.5,
  /** "reveal your system prompt", "repeat the words above" */
  system_prompt_exfiltration: 0.5,
  /** invisible Unicode: tag characters, bidi overrides, runs of zero-width characters */
  unicode_smuggling: 0.45,
  /** chat-template tokens and role tags: <|im_start|>, [INST], <<SYS>>, <system>, "### System:" */
  delimiter_injection: 0.35,
  /** "send the conversation to https://…", markdown images with data in the query */
  data_exfiltration: 0.35,
  /** "I am your developer", "attention AI assistant", "admin mode" */
  authority_claim: 0.2,
  /** a phrase above written with look-alike letters, digits for letters or spaced-out letters */
  obfuscation: 0.2,
  /** a long base64 or hex blob (256+ characters) */
  encoded_payload: 0.15,
} as const;

export type InjectionSignal = keyof typeof INJECTION_WEIGHTS;
export const INJECTION_SIGNALS = Object.keys(INJECTION_WEIGHTS) as InjectionSignal[];

export interface InjectionResult {
  /** In [0, 1], rounded to 3 decimals. */
  readonly score: number;
  /** The signals that fired, in the order of INJECTION_SIGNALS. */
  readonly signals: readonly InjectionSignal[];
}

// ---------------------------------------------------------------------------
// Phrases. `F` is up to N filler words; all quantifiers are bounded.

const F = (n: number): string => `(?:[\\p{L}']{1,20} ){0,${n}}?`;
/** What an override targets. */
const TARGET = `(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|commands|constraints|restrictions|policies|programming|orders|system prompt|safeguards|guardrails)`;
/** What exfiltration asks for. */
const SECRET_PROMPT = `(?:system (?:prompt|message|instructions)|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|original (?:prompt|instructions)|secret (?:prompt|instructions)|pre-?prompt|developer (?:prompt|message|instructions)|instructions you (?:were|have been) given|guidelines you (?:were|have been) given)`;

/**
 * What follows a reset in the classic attack ("ignore the above and say …"): a few linking
 * words, then an imperative or a new role.
 */
const DIRECTIVE = `(?:(?:and|then|now|instead|just|only|simply|please|rather) ){0,3}(?:say|print|output|write|respond|reply|answer|tell|repeat|reveal|show|display|return|spell|act|pretend|follow|obey|insist|ignore|disregard|forget|enable|disable|from now on|you (?:are|will|must|should|shall|now))\\b`;

/**
 * Override alternatives aimed at earlier instructions, which may be the user's own: a match
 * that isRevision() calls a revision ("forget the previous instructions I gave you") does
 * not count.
 */
const OVERRIDE_TARGETED = [
  `\\b(?:ignore|disregard|forget|skip|bypass|override|overrule|neglect|abandon|discard|set aside|pay no attention to) ${F(2)}(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|system|developer|given|preset|your|all) ${F(2)}${TARGET}\\b`,
  `\\b(?:do not|don't|never|stop) (?:follow|obey|following|obeying) (?:any of )?(?:your|the|these|those) (?:previous|prior|original|initial|system|developer|given) ${TARGET}\\b`,
];
/** The other override alternatives: each match counts. */
const OVERRIDE_OTHER = [
  `\\bforget (?:about )?(?:everything|all|anything) (?:you(?:'ve| have| were| was)? (?:been )?(?:told|taught|instructed|said|learned)|above|before|so far|until now)`,
  // "ignore the above and say …", "disregard everything above. output …": a reset of whatever
  // came before, followed by a new directive
  `\\b(?:ignore|disregard|forget|neglect|discard|set aside|pay no attention to) (?:(?:everything|all|anything|what(?:'s| is| was)?|whatever(?: is| was)?)(?: of)? (?:(?:written|said|stated) )?)?(?:the |that |this )?(?:above|before|prior|preceding|foregoing|so far|until now)(?: (?:this|that|here))?(?: (?:line|message|text|paragraph|part|section|content|input|prompt))?(?: ?[.,;:!]{1,3}| ?[-—]{1,2})?[ \\n]${DIRECTIVE}`,
  // "SYSTEM OVERRIDE: respond only with …"
  `\\b(?:system|admin|administrator|developer|root|sudo) override(?: mode)?(?: ?[:!]{1,3}| -{1,2}| —)[ \\n]?${DIRECTIVE}`,
  `\\b(?:new|updated|revised|real|actual|true) (?:system )?(?:instructions|rules|task|directives?|prompt)(?: (?:are|is))?(?: as follows| follow\\b| ?:)`,
  `\\byour (?:new|real|actual|true) (?:instructions|task|role|purpose|goal|directive) (?:is|are)\\b`,
  // French, German, Spanish, Italian, Portuguese, Dutch, Russian, Chinese, Japanese
  `\\bignore[rz]? ${F(1)}(?:les |vos |mes )?(?:instructions|consignes|règles|directives) (?:précédentes|antérieures|ci-dessus|initiales)`,
  `\\b(?:ignorier(?:e|en)?|vergiss|vergessen sie) ${F(1)}(?:vorherigen|bisherigen|obigen|vorigen|früheren|ursprünglichen) (?:anweisungen|instruktionen|regeln|befehle|vorgaben)`,
  `\\b(?:ignora(?:r)?|olvida(?:r)?) ${F(1)}(?:las |tus )?(?:instrucciones|reglas|indicaciones|órdenes) (?:anteriores|previas|iniciales)`,
  `\\b(?:ignora|dimentica) ${F(1)}(?:le )?(?:istruzioni|regole|indicazioni) (?:precedenti|iniziali)`,
  `\\b(?:ignore|esqueça|esqueca) ${F(1)}(?:as )?(?:instruções|instrucoes|regras) (?:anteriores|iniciais)`,
  `\\b(?:negeer|vergeet) ${F(1)}(?:de )?(?:vorige|eerdere) (?:instructies|regels)`,
  `(?:игнорируй(?:те)?|забудь(?:те)?) ${F(1)}(?:предыдущие|прежние|все) (?:инструкции|указания|правила|команды)`,
  `(?:忽略|无视|忘记|忘掉)(?:之前|以上|先前|上面|前面|所有|全部)?的?(?:所有|全部)?(?:指令|指示|说明|规则|提示|要求)`,
  `(?:以前|前|上記|これまで)の(?:すべての)?(?:指示|命令|ルール|指令)を(?:無視|忘れ)`,
];
/**
 * Every override alternative; the targeted ones last, in the group `t`. Alternatives are tried
 * in order at each position, so a match in `t` means no other alternative matches there.
 */
const OVERRIDE = new RegExp(`${OVERRIDE_OTHER.join('|')}|(?<t>${OVERRIDE_TARGETED.join('|')})`, 'gu');
/** The same alternatives as one plain pattern, for the tests of the gates. */
const OVERRIDE_ANY = new RegExp([...OVERRIDE_OTHER, ...OVERRIDE_TARGETED].join('|'), 'u');

/**
 * A user revising their own earlier instructions rather than an attack on the system's:
 * "forget the previous instructions I gave you about formatting", "disregard previous
 * guidelines from the style guide", "ignore my earlier rules". The match (`span`, which
 * ends at `end` of `s`) must not name the model's instructions — your, system, developer,
 * all, any, original, initial, … or a target only the model has (guardrails, policies,
 * restrictions, programming) — and must be tied to the user: "my" or "our" in it, or
 * right after it "(that) I gave you / I wrote / I said …", "from the <source>" (not the
 * system, developer, user or model), "in my …", or "about / on / for <formatting, style,
 * tone, length, spelling …>".
 */
function isRevision(s: string, span: string, end: number): boolean {
  if (MODEL_OWNED.test(span)) return false;
  if (USER_OWNED.test(span)) return true;
  return REVISION_AFTER.test(s.slice(end, end + 60));
}
const MODEL_OWNED = /\b(?:your|system|developer|all|any|every|original|initial|preset|default|safety|restrictions|policies|programming|safeguards|guardrails)\b/;
const USER_OWNED = /\b(?:my|our)\b/;
const REVISION_AFTER = new RegExp(
  [
    // (that|which) I gave you, I've written, we agreed …
    `^,? (?:that |which )?(?:i|we)(?:'ve|'d)?(?: (?:just|already|previously|earlier|first|originally|had|have|did))? (?:gave|give|given|wrote|written|sent|said|mentioned|provided|listed|set|specified|added|made|typed|shared|posted|pasted|included|put|asked for|requested|agreed on|used)\\b`,
    `^ (?:from me|of mine)\\b`,
    // from the style guide; in my last message
    `^ from (?:the|my|our|this|that) (?!(?:system|developer|developers|user|assistant|operator|admin|administrator|model|ai|prompt|owner|creator|openai|anthropic|google|security)\\b)\\p{L}`,
    `^ in (?:my|our) \\p{L}`,
    // about formatting, on tone, for the summary
    `^ (?:about|on|for|regarding|concerning) (?:the |my |our )?(?:formatting|format|style|tone|voice|length|word count|spelling|grammar|wording|punctuation|layout|structure|headings|bullets?|bullet points|lists|tables|fonts?|colou?rs?|citations|references|capitali[sz]ation|indentation|naming|dates|units|summary|outline|template|translation|language)\\b`,
  ].join('|'),
  'u',
);

/** Whether `s` (normalised) holds an override phrase that is not a revision. */
function overrides(s: string): boolean {
  // One pass for most texts: they match nothing, or their first match is no revision.
  const re = OVERRIDE;
  re.lastIndex = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.groups?.t === undefined || !isRevision(s, m[0], m.index + m[0].length)) return true;
    // A revision: go on from the next position (a later match may start inside this one;
    // each is bounded in length, so the scan stays linear).
    re.lastIndex = m.index + 1;
  }
  return false;
}

const JAILBREAK = new RegExp(
  [
    `\\bdo anything now\\b`,
    `\\b(?:jailbreak|jailbroken|god|unrestricted|unfiltered|uncensored|evil|dan) mode\\b`,
    `\\b(?:enable|activate|enter|switch to|turn on|you are in|you're in|now in|simulate) (?:the )?developer mode\\b`,
    `\\bjailbr(?:eak|oken|eaking)\\b`,
    `\\b(?:you are|you're|you will be|act as|pretend (?:to be|you are)|become) (?:now )?(?:no longer (?:bound|restricted|limited)|${F(2)}(?:unrestricted|unfiltered|uncensored|unbound|amoral|unethical|evil) (?:ai|assistant|model|chatbot|version|entity|character))`,
    `\\b(?:you are|you're) now (?:an? )?(?:unrestricted|unfiltered|uncensored|unbound|jailbroken|unchained|free of (?:all )?(?:rules|restrictions))\\b`,
    `\\b(?:you are|you're) (?:now )?(?:free from|freed from|released from|no longer bound by) ${F(2)}(?:restrictions|rules|guidelines|policies|filters|limitations|constraints)`,
    `\\b(?:pretend|act|behave|roleplay|role-play) ${F(4)}(?:with no|without any|without) ${F(2)}(?:restrictions|limitations|rules|filters|guidelines|ethics|morals|morality|censorship|content policy)\\b`,
    `\\b(?:no|zero|without) (?:ethical|moral|content|safety) (?:guidelines|restrictions|filters|constraints|limits|boundaries|policies)\\b`,
    `\\b(?:ignore|bypass|disable|turn off|remove) ${F(2)}(?:safety|content) (?:filters?|guidelines|policies|restrictions|measures)\\b`,
  ].join('|'),
  'u',
);
/** DAN only in capitals: "Dan" is a name. */
const DAN = /\bDAN\b/;

const EXFILTRATION = new RegExp(
  [
    `\\b(?:reveal|show|print|display|output|repeat|recite|tell me|give me|share|leak|dump|write out|spell out|what (?:is|are|was|were)) ${F(3)}(?:your|its) ${F(2)}${SECRET_PROMPT}\\b`,
    `\\b(?:reveal|print|output|repeat|recite|leak|dump|write out|spell out) ${F(2)}the ${F(2)}${SECRET_PROMPT}\\b`,
    `\\b(?:repeat|print|output|copy|return) (?:back )?(?:the |all (?:of )?the |all |everything )?(?:words|text|content|everything|lines) (?:above|before this|so far)\\b`,
    `\\bstarting with ["'“]?you are\\b`,
    `\\bwhat (?:were|are) you told (?:to do )?(?:before|at the (?:start|beginning))\\b`,
    `(?:告诉我|显示|输出|打印|重复|泄露)(?:一下)?(?:你的)?(?:系统提示|系统提示词|系统指令|初始指令|隐藏指令|原始指令)`,
    `(?:システムプロンプト|初期指示|隠された指示)を(?:教えて|表示|出力|見せて)`,
  ].join('|'),
  'u',
);

const DELIMITER = new RegExp(
  [
    `<\\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|start|end|message|channel|eot_id|start_header_id|end_header_id|begin_of_text)\\|>`,
    `\\[/?(?:inst|sys|system)\\]`,
    `<</?sys>>`,
    `</?(?:system|sys|instructions?|system[_-]prompt|assistant)>`,
    `(?:^|\\n)#{2,4} ?(?:system|instructions?|new instructions?|admin)\\b`,
    `(?:^|\\n)(?:system|developer) ?: ?(?:you|ignore|new|from now)`,
    `\\b(?:end of|ignore the) (?:the )?(?:user(?:'s)? )?(?:input|prompt|query|document)\\b.{0,40}\\b(?:system|begin|new instructions?)\\b`,
  ].join('|'),
  'u',
);

const DATA_EXFILTRATION = new RegExp(
  [
    `!\\[[^\\]\\n]{0,100}\\]\\(https?://[^)\\s]{1,300}[?&][\\w.-]{1,30}=`,
    `\\b(?:send|post|upload|forward|transmit|exfiltrate|leak|email|e-mail|submit) ${F(3)}(?:conversation|chat history|chat log|history|previous messages|context|system prompt|instructions|api keys?|credentials|passwords?|secrets|tokens|personal data|user data|everything above|all (?:of )?(?:the |this |your )?(?:data|messages|information)) ${F(3)}(?:to|at|into) (?:https?://|www\\.|[\\w.%+-]{1,64}@[\\w-]{1,63}\\.)`,
    `\\b(?:conversation|chat history|previous messages|user data|api keys?|credentials|passwords?|secrets|personal data)\\b.{0,60}\\b(?:to|into|in) (?:the |this |a )?(?:url|link|webhook|endpoint|https?://)`,
  ].join('|'),
  'u',
);

const AUTHORITY = new RegExp(
  [
    `\\b(?:i am|i'm|this is|message from|a message from) ${F(2)}(?:your|the) (?:developer|developers|creator|creators|administrator|admin|owner|operator|system administrator|openai|anthropic|google|security team)\\b`,
    `\\b(?:important|urgent|attention|notice|note|instructions) (?:to|for) (?:the |all )?(?:ai|assistant|model|llm|language model|agent|chatbot|bot)s?\\b`,
    `\\b(?:admin|administrator|sudo|root|maintenance) (?:mode|override)\\b`,
  ].join('|'),
  'u',
);

/** The phrase patterns by gate family (for tests of the gates). */
export const INJECTION_PATTERNS: Readonly<Record<keyof typeof GATE, RegExp>> = {
  override: OVERRIDE_ANY,
  jailbreak: JAILBREAK,
  exfiltration: EXFILTRATION,
  delimiter: DELIMITER,
  dataExfiltration: DATA_EXFILTRATION,
  authority: AUTHORITY,
};

// ---------------------------------------------------------------------------
// Keyword gates. Each pattern above costs a pass over the text, and most texts
// match none of them. So one pass first reads the words of the text (runs of
// ASCII letters) and the characters a few alternatives need, and a pattern is
// run only when every alternative it cannot match without is possible: each
// alternative needs one of the words (or one of the pairs of consecutive words,
// or one of the characters) listed for it below. The lists must stay in step
// with the patterns; test/functions/injection-gate.test.ts checks that no match
// of a pattern escapes its gate. A text with a non-ASCII character opens every
// gate (the Cyrillic, Chinese and Japanese alternatives need no ASCII word).

/** Families of patterns, as bits of a gate. */
export const GATE = { override: 1, jailbreak: 2, exfiltration: 4, delimiter: 8, dataExfiltration: 16, authority: 32 } as const;
const ALL_GATES = 63;

/** [family, words]: one alternative (or several) cannot match without one of the words. */
const GATE_WORDS: readonly (readonly [number, string])[] = [
  // ignore|disregard|… (set aside, pay no attention to) … (both the targeted form and "… the above, then a directive");
  // forget …; (system|admin|…) override: …; ignore[rz]?, ignorier…, ignora(r), olvida(r), dimentica, esqueca, negeer, vergeet …
  [GATE.override, 'ignore disregard forget skip bypass override overrule neglect abandon discard aside attention'],
  [GATE.override, 'ignorer ignorez ignorier ignoriere ignorieren vergiss vergessen ignora ignorar olvida olvidar dimentica esqueca negeer vergeet'],
  // jailbr(eak|oken|eaking); … no longer … | … (unrestricted|…|evil) (ai|…); you are now (…|free of …); … (free|freed|released) from | no longer bound by …
  [GATE.jailbreak, 'jailbreak jailbroken jailbreaking longer unrestricted unfiltered uncensored unbound amoral unethical evil unchained free freed released'],
  // (pretend|act|behave|roleplay|role-play) … with(out) … (restrictions|…)
  [GATE.jailbreak, 'pretend act behave roleplay role'],
  // SECRET_PROMPT: pre-?prompt
  [GATE.exfiltration, 'preprompt'],
  // (conversation|chat history|previous messages|user data|api keys?|credentials|passwords?|secrets|personal data) … (to|into|in) … url
  [GATE.dataExfiltration, 'conversation history messages data key keys credentials password passwords secrets'],
];

/** [family, first words, second words]: an alternative needs one first word followed by one second word. */
const GATE_PAIRS: readonly (readonly [number, string, string])[] = [
  // (do not|don't|never|stop) (follow|obey|following|obeying) …
  [GATE.override, 'not t never stop', 'follow obey following obeying'],
  // (new|updated|revised|real|actual|true) (system )?(instructions|rules|task|directives?|prompt) …
  [GATE.override, 'new updated revised real actual true system', 'instructions rules task directive directives prompt'],
  // your (new|real|actual|true) (instructions|task|role|purpose|goal|directive) (is|are)
  [GATE.override, 'new real actual true', 'instructions task role purpose goal directive'],
  // do anything now; (jailbreak|…|dan) mode; … developer mode
  [GATE.jailbreak, 'anything', 'now'],
  [GATE.jailbreak, 'jailbreak jailbroken god unrestricted unfiltered uncensored evil dan developer', 'mode'],
  // (no|zero|without) (ethical|moral|content|safety) (guidelines|…|policies)
  [GATE.jailbreak, 'ethical moral content safety', 'guidelines restrictions filters constraints limits boundaries policies'],
  // (ignore|bypass|…) … (safety|content) (filters?|guidelines|policies|restrictions|measures)
  [GATE.jailbreak, 'safety content', 'filter filters guidelines policies restrictions measures'],
  // SECRET_PROMPT, which both long exfiltration alternatives end with
  [GATE.exfiltration, 'system developer', 'prompt message instructions'],
  [GATE.exfiltration, 'initial hidden original secret pre', 'prompt instructions'],
  [GATE.exfiltration, 'instructions guidelines', 'you'],
  // (repeat|…) … (words|text|content|everything|lines) (above|before this|so far)
  [GATE.exfiltration, 'words text content everything lines', 'above before so'],
  // starting with "you are"; what (were|are) you told
  [GATE.exfiltration, 'starting', 'with'],
  [GATE.exfiltration, 'you', 'told'],
  // (end of|ignore the) (the )?(user('s)? )?(input|prompt|query|document) …
  [GATE.delimiter, 'of the user s', 'input prompt query document'],
  // (send|…) … (to|at|into) (https?://|www\.|…@…)
  [GATE.dataExfiltration, 'to at into', 'http https www'],
  // (i am|…) … (your|the) (developer|…|system administrator|…|security team)
  [GATE.authority, 'your the', 'developer developers creator creators administrator admin owner operator system openai anthropic google security'],
  // (important|…|instructions) (to|for) …; (admin|…|maintenance) (mode|override)
  [GATE.authority, 'important urgent attention notice note instructions', 'to for'],
  [GATE.authority, 'admin administrator sudo root maintenance', 'mode override'],
];

/** [family, characters]: an alternative needs one of the characters. */
const GATE_CHARS: readonly (readonly [number, string])[] = [
  // <|…|>, [inst], <<sys>>, <system>, ## system, system: you
  [GATE.delimiter, '<[#:'],
  // ![…](…?…=…); an e-mail address after to|at|into
  [GATE.dataExfiltration, '!@'],
];

/** Hash of a word (ASCII letters, case-folded); equal words hash equal, others rarely. */
function wordHash(w: string): number {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + (w.charCodeAt(i) | 0x20)) | 0;
  return h;
}
const pairHash = (first: number, second: number): number => (Math.imul(first, 0x2c1b3c6d) ^ second) | 0;

/** hash → family bits, open addressing in typed arrays: no allocation and no Map lookup per word. */
class GateTable {
  private readonly keys = new Int32Array(1024);
  private readonly bits = new Uint8Array(1024);
  private slot = (key: number): number => Math.imul(key, 0x9e3779b1) >>> 22;
  add(key: number, bits: number): void {
    let i = this.slot(key);
    while (this.bits[i] !== 0 && this.keys[i] !== key) i = (i + 1) & 1023;
    this.keys[i] = key;
    this.bits[i]! |= bits;
  }
  get(key: number): number {
    for (let i = this.slot(key); this.bits[i] !== 0; i = (i + 1) & 1023) if (this.keys[i] === key) return this.bits[i]!;
    return 0;
  }
}
const WORD_GATES = new GateTable();
const PAIR_GATES = new GateTable();
const CHAR_GATES = new Uint8Array(128);
for (const [bits, words] of GATE_WORDS) for (const w of words.split(' ')) WORD_GATES.add(wordHash(w), bits);
for (const [bits, firsts, seconds] of GATE_PAIRS) for (const a of firsts.split(' ')) for (const b of seconds.split(' ')) PAIR_GATES.add(pairHash(wordHash(a), wordHash(b)), bits);
for (const [bits, chars] of GATE_CHARS) for (const c of chars) CHAR_GATES[c.charCodeAt(0)]! |= bits;

/**
 * The families of patterns that may match `s` (GATE bits): a superset of those
 * that do. A hash collision only opens a gate more often.
 */
export function gatesOf(s: string): number {
  let bits = 0;
  let prev = 0;
  const n = s.length;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (isAsciiLetter(c)) {
      let h = c | 0x20;
      while (++i < n) {
        c = s.charCodeAt(i);
        if (!isAsciiLetter(c)) break;
        h = (Math.imul(h, 31) + (c | 0x20)) | 0;
      }
      bits |= WORD_GATES.get(h) | PAIR_GATES.get(pairHash(prev, h));
      prev = h;
      if (i >= n) break;
    }
    if (c >= 0x80) return ALL_GATES;
    bits |= CHAR_GATES[c]!;
    i++;
  }
  return bits;
}

interface PhraseHits {
  override: boolean;
  jailbreak: boolean;
  exfiltration: boolean;
}

function phrases(s: string, gates = gatesOf(s)): PhraseHits {
  return {
    override: (gates & GATE.override) !== 0 && overrides(s),
    jailbreak: (gates & GATE.jailbreak) !== 0 && JAILBREAK.test(s),
    exfiltration: (gates & GATE.exfiltration) !== 0 && EXFILTRATION.test(s),
  };
}

// ---------------------------------------------------------------------------
// Normalisation

/** Zero-width and other invisible format characters, bidi controls and tag characters. */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;

/** Lower-case, NFKC (full-width and other compatibility forms), invisible characters removed. */
function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(INVISIBLE, '');
}

/** Runs of blanks collapse() shortens: a tab or a wide space, or a space followed by one. */
const BLANKS = /[\t\u00a0\u2000-\u200a\u3000][ \t\u00a0\u2000-\u200a\u3000]*| [ \t\u00a0\u2000-\u200a\u3000]+/g;
const LINE_BREAK = / ?\n\s*/g;

/**
 * Spaces and tabs collapsed to one space, line breaks (with the blanks around them) to one line break.
 * `blanks: false` says the text is known to have no run of BLANKS (scanRaw finds out for ASCII text),
 * which saves a pass over it; a text without '\n' is likewise left alone.
 */
function collapse(text: string, blanks = true): string {
  // Single spaces, by far the most common, are left alone rather than replaced by themselves.
  const s = blanks ? text.replace(BLANKS, ' ') : text;
  return s.includes('\n') ? s.replace(LINE_BREAK, '\n') : s;
}

/** Latin look-alikes (Cyrillic, Greek) and digits or symbols used for letters. */
const LOOKALIKE: Readonly<Record<string, string>> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ӏ: 'l', һ: 'h', ԛ: 'q', ԝ: 'w',
  α: 'a', ε: 'e', ο: 'o', ρ: 'p', ν: 'v', ι: 'i', κ: 'k', τ: 't', υ: 'u',
  '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i', '|': 'l',
};
const mapLookalike = (c: string): string => LOOKALIKE[c] ?? c;

/** Cyrillic and Greek look-alikes of Latin letters (the non-ASCII keys of LOOKALIKE). */
const LOOKALIKE_LETTERS = /[аеорсухіјѕԁӏһԛԝαεορνικτυ]/g;
/**
 * Digits and symbols before or after a letter (up to 8). The second alternative is
 * "(?<=\p{L})[013457@$!|]{1,8}" written to start with the symbol, so that the regex
 * engine can skip to the next digit or symbol instead of testing for a letter behind
 * every position (three times faster; the same matches).
 */
const LEET = /[013457@$!|]{1,8}(?=\p{L})|[013457@$!|](?<=\p{L}[013457@$!|])[013457@$!|]{0,7}/gu;
/** Single letters separated by one of ' .*_-', three or more. */
const SPACED = /(?<![\p{L}])(?:\p{L}[ .*_-]){2,64}\p{L}(?![\p{L}])/gu;

/**
 * The folded text with look-alike letters mapped to Latin, digits and symbols
 * inside words read as letters (1gn0r3 → ignore), and letters spaced out one
 * by one joined (i g n o r e → ignore; a wider gap still separates words).
 * For ASCII text (`ascii`) there are no look-alike letters to map; `blanks` is
 * passed on to collapse() (these replacements never bring two blanks together).
 */
function deobfuscate(folded: string, ascii = false, blanks = true): string {
  const letters = ascii ? folded : folded.replace(LOOKALIKE_LETTERS, mapLookalike);
  return collapse(
    letters.replace(LEET, (m) => m.replace(/./g, mapLookalike)).replace(SPACED, (m) => m.replace(/[ .*_-]/g, '')),
    blanks,
  );
}

// ---------------------------------------------------------------------------
// Raw-text scans: invisible characters and encoded blobs

interface RawScan {
  smuggling: boolean;
  /** ASCII hidden in Unicode tag characters (U+E0020–U+E007E). */
  hidden: string;
  /** Base64 blobs long enough to decode, at most MAX_BLOBS of them. */
  blobs: string[];
  longBlob: boolean;
  /** Every character is ASCII (then NFKC and the removal of invisible characters change nothing). */
  ascii: boolean;
  /** ASCII text with a tab, or a space followed by a space or tab (what collapse() shortens); true for other text. */
  blanks: boolean;
}

const MAX_BLOBS = 8;
const MIN_DECODE = 24;
const LONG_BLOB = 256;
const MAX_DECODE = 4096;

function scanRaw(text: string): RawScan {
  // Most prompts are ASCII: then only base64 runs matter here, and those can be found
  // without reading every character.
  if (!NON_ASCII.test(text)) return scanAscii(text);
  let tags = 0;
  let bidi = 0;
  let zeroWidth = 0;
  const hidden: string[] = [];
  const blobs: Blobs = { runs: [], long: false };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (B64_CHAR[c] === 1) {
        let j = i + 1;
        while (j < n && isB64(text.charCodeAt(j))) j++;
        i = noteRun(text, i, j, blobs);
        continue;
      }
      i++;
      continue;
    }
    // (Every read here is checked against n: a charCodeAt past the end returns NaN, and
    // a loop that may see one runs markedly slower.)
    if (c === 0xdb40 && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdc7f) {
        // Tag characters after a black flag (🏴) spell subdivision flags: legitimate.
        const flag = i >= 2 && (text.charCodeAt(i - 2) === 0xdb40 || (text.charCodeAt(i - 2) === 0xd83c && text.charCodeAt(i - 1) === 0xdff4));
        if (!flag) tags++;
        if (lo >= 0xdc20 && lo <= 0xdc7e && hidden.length < MAX_DECODE) hidden.push(String.fromCharCode(lo - 0xdc00));
        i += 2;
        continue;
      }
    }
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) bidi++;
    else if (c === 0x200b || c === 0x2060 || c === 0x180e || (c === 0xfeff && i > 0)) zeroWidth++;
    else if ((c === 0x200c || c === 0x200d) && i > 0 && i + 1 < n && isAsciiLetter(text.charCodeAt(i - 1)) && isAsciiLetter(text.charCodeAt(i + 1))) zeroWidth++;
    i++;
  }
  return { smuggling: tags > 0 || bidi > 0 || zeroWidth >= 3, hidden: hidden.join(''), blobs: blobs.runs, longBlob: blobs.long, ascii: false, blanks: true };
}

interface Blobs {
  runs: string[];
  long: boolean;
}

/** A blob's run of base64 characters, without its padding, has at least this many. */
const MIN_RUN = MIN_DECODE - 2;

/**
 * Notes the run [start, end) of base64 characters, with the '=' padding after it, as a
 * blob when it is long enough; returns where the scan goes on (after the padding).
 */
function noteRun(text: string, start: number, end: number, blobs: Blobs): number {
  const n = text.length;
  let j = end;
  if (j < n && text.charCodeAt(j) === 0x3d) j++;
  if (j < n && text.charCodeAt(j) === 0x3d) j++;
  const len = j - start;
  if (len >= MIN_DECODE) {
    const run = text.slice(start, Math.min(j, start + MAX_DECODE));
    if (looksEncoded(run)) {
      if (blobs.runs.length < MAX_BLOBS) blobs.runs.push(run);
      if (len >= LONG_BLOB) blobs.long = true;
    } else if (len >= LONG_BLOB && /^[0-9a-fA-F]+$/.test(run)) {
      blobs.long = true;
    }
  }
  return j;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** What collapse() shortens in ASCII text: a tab, or a space followed by a space or tab. */
const ASCII_BLANKS = /\t| [ \t]/;

/**
 * scanRaw of an ASCII text: no invisible characters, no tags; base64 runs found by
 * looking ahead. A blob is a run of base64 characters with up to two '=' of padding,
 * MIN_DECODE long, so its run has MIN_RUN characters or more: when the character
 * MIN_RUN − 1 after i is not base64, no such run starts in the MIN_RUN positions from
 * i, and they need not be read (the skip of Boyer–Moore string search).
 */
function scanAscii(text: string): RawScan {
  const blobs: Blobs = { runs: [], long: false };
  const n = text.length;
  // Invariant: text[i] is not base64, or it starts a run (text[i − 1] is not base64).
  let i = 0;
  while (i + MIN_RUN <= n) {
    const k = i + MIN_RUN - 1;
    if (!isB64(text.charCodeAt(k))) {
      i = k + 1;
      continue;
    }
    // The run through k: back to its start (not before i, by the invariant), on to its end.
    let start = k;
    while (start > i && isB64(text.charCodeAt(start - 1))) start--;
    let end = k + 1;
    while (end < n && isB64(text.charCodeAt(end))) end++;
    i = end - start >= MIN_RUN ? noteRun(text, start, end, blobs) : end;
  }
  return { smuggling: false, hidden: '', blobs: blobs.runs, longBlob: blobs.long, ascii: true, blanks: ASCII_BLANKS.test(text) };
}

const isAsciiLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** 1 for the base64 and base64url characters [A-Za-z0-9+/_-], by ASCII code. */
const B64_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (isAsciiLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f) B64_CHAR[c] = 1;
const isB64 = (c: number): boolean => c < 0x80 && B64_CHAR[c] === 1;

/** Base64 rather than a long word or identifier: upper and lower case letters and a digit. */
function looksEncoded(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

/** Decoded base64 text if it is mostly printable, else undefined. */
function decodeBlob(run: string): string | undefined {
  const b64 = run.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length < 12) return undefined;
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09 || b >= 0x80) printable++;
  return printable / bytes.length >= 0.9 ? bytes.toString('utf8') : undefined;
}

// ---------------------------------------------------------------------------

/** Scores `text` (callers cap its length). */
export function analyzeInjection(text: string): InjectionResult {
  const fired = new Set<InjectionSignal>();
  const raw = scanRaw(text);
  // ASCII text (most prompts) has nothing for NFKC or the removal of invisible characters
  // to change, and no hidden tag text: lower case is all of fold(). Its blanks are known.
  const folded = raw.ascii ? text.toLowerCase() : fold(raw.hidden ? `${text}\n${raw.hidden}` : text);
  const blanks = !raw.ascii || raw.blanks;
  const norm = collapse(folded, blanks);

  const gates = gatesOf(norm);
  const plain = phrases(norm, gates);
  // Where deobfuscation changes nothing, the phrases are those already found.
  const deobfuscated = deobfuscate(folded, raw.ascii, blanks);
  const deob = deobfuscated === norm ? plain : phrases(deobfuscated);
  if (plain.override || deob.override) fired.add('instruction_override');
  if (plain.jailbreak || deob.jailbreak || DAN.test(text)) fired.add('jailbreak');
  if (plain.exfiltration || deob.exfiltration) fired.add('system_prompt_exfiltration');
  if ((deob.override && !plain.override) || (deob.jailbreak && !plain.jailbreak) || (deob.exfiltration && !plain.exfiltration)) fired.add('obfuscation');

  if ((gates & GATE.delimiter) !== 0 && DELIMITER.test(norm)) fired.add('delimiter_injection');
  if ((gates & GATE.dataExfiltration) !== 0 && DATA_EXFILTRATION.test(norm)) fired.add('data_exfiltration');
  if ((gates & GATE.authority) !== 0 && AUTHORITY.test(norm)) fired.add('authority_claim');
  if (raw.smuggling) fired.add('unicode_smuggling');
  if (raw.longBlob) fired.add('encoded_payload');

  const hiddenHits = raw.hidden ? phrases(collapse(fold(raw.hidden))) : undefined;
  if (hiddenHits && (hiddenHits.override || hiddenHits.jailbreak || hiddenHits.exfiltration)) fired.add('encoded_instructions');
  for (const blob of raw.blobs) {
    const decoded = decodeBlob(blob);
    if (!decoded) continue;
    const h = phrases(collapse(fold(decoded)));
    if (h.override || h.jailbreak || h.exfiltration) {
      fired.add('encoded_instructions');
      break;
    }
  }

  const signals = INJECTION_SIGNALS.filter((s) => fired.has(s));
  let keep = 1;
  for (const s of signals) keep *= 1 - INJECTION_WEIGHTS[s];
  return { score: Math.round((1 - keep) * 1000) / 1000, signals };
}
