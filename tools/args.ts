/**
 * A small declarative command-line option parser for the `synfire` subcommands.
 *
 * A command declares its options once (name, type, default, range, help) and gets parsing,
 * validation with clear messages and a `--help` page from that one declaration. Only long
 * options are supported (`--name value` and `--name=value`), plus `-h`. Every mistake throws
 * `UserError(message, 2)`, which the CLI prints without a stack trace and exits with status 2.
 */
import { UserError } from '../src/errors';

/** One `--option` of a command. */
export interface OptionSpec {
  /** Kebab-case name without dashes, e.g. 'train-limit'; parsed into the key `trainLimit`. */
  name: string;
  /**
   * 'string': any text; 'int': a decimal integer; 'number': any finite number;
   * 'flag': no value, true when present; 'choice': one of `choices`.
   */
  type: 'string' | 'int' | 'number' | 'flag' | 'choice';
  /** The allowed values of a 'choice' option. */
  choices?: string[];
  /** Value when the option is absent (flags default to false, others to undefined). */
  default?: unknown;
  /** One sentence for the help page. */
  help: string;
  /** Placeholder for the value in the help page, e.g. 'N' or 'FILE'. */
  metavar?: string;
  /**
   * An 'int' option that also takes a comma-separated list ('400,400'): one value parses to
   * a number, several to an array of numbers, each checked against min and max.
   */
  list?: boolean;
  /** Inclusive lower bound of an 'int' or 'number' option. */
  min?: number;
  /** Inclusive upper bound of an 'int' or 'number' option. */
  max?: number;
}

/** A subcommand's options and help text. */
export interface CommandSpec {
  /** The subcommand, e.g. 'train'. */
  name: string;
  /** One line for the command overview and the help page. */
  summary: string;
  /** What follows `synfire <name>` in the usage line; defaults to '[options]'. */
  usage?: string;
  options: OptionSpec[];
  /** Full example command lines, e.g. 'synfire train --epochs 1'. */
  examples?: string[];
}

/** The options every command gets without declaring them. */
const AUTOMATIC_OPTIONS: OptionSpec[] = [
  { name: 'json', type: 'flag', help: 'print only a JSON object on stdout' },
  { name: 'help', type: 'flag', help: 'show this help' },
];

/** 'train-limit' → 'trainLimit'. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The declared options followed by the automatic ones a command did not declare itself. */
function allOptions(spec: CommandSpec): OptionSpec[] {
  const declared = new Set(spec.options.map((o) => o.name));
  return [...spec.options, ...AUTOMATIC_OPTIONS.filter((o) => !declared.has(o.name))];
}

/**
 * Optimal-string-alignment edit distance: insertions, deletions, substitutions and swaps of
 * two adjacent characters each cost 1 (so 'trian' is 1 away from 'train').
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = [];
  for (let i = 0; i < rows; i++) {
    d.push(new Array<number>(cols).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2][j - 2] + 1);
      }
      d[i][j] = best;
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` by edit distance, or undefined when none is plausibly a typo
 * of it (more than max(2, 40% of the longer word) edits away). A candidate that `word` is the
 * unique prefix of (e.g. 'train' for 'train-limit') also counts as close.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best !== undefined) {
    const limit = Math.max(2, Math.floor(0.4 * Math.max(word.length, best.length)));
    if (bestDistance <= limit) return best;
  }
  const prefixed = word.length > 0 ? candidates.filter((c) => c.startsWith(word)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Converts and checks the text given for a non-flag option. */
function convertValue(opt: OptionSpec, text: string): unknown {
  const flag = `--${opt.name}`;
  switch (opt.type) {
    case 'string':
      return text;
    case 'choice': {
      const choices = opt.choices ?? [];
      if (!choices.includes(text)) {
        throw new UserError(`${flag} must be one of ${choices.join(', ')} (got '${text}')`, 2);
      }
      return text;
    }
    case 'int': {
      if (opt.list && text.indexOf(',') >= 0) return text.split(',').map((part) => convertValue({ ...opt, list: false }, part));
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new UserError(`${flag} needs an integer (got '${text}')`, 2);
      }
      return checkRange(opt, Number(text), text);
    }
    case 'number': {
      const value = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(value)) {
        throw new UserError(`${flag} needs a number (got '${text}')`, 2);
      }
      return checkRange(opt, value, text);
    }
    case 'flag':
      throw new Error(`convertValue called for flag --${opt.name}`);
  }
}

/** Describes the allowed range of a numeric option, e.g. 'between 1 and 60000'. */
function rangeText(opt: OptionSpec): string | undefined {
  if (opt.min !== undefined && opt.max !== undefined) return `between ${opt.min} and ${opt.max}`;
  if (opt.min !== undefined) return `at least ${opt.min}`;
  if (opt.max !== undefined) return `at most ${opt.max}`;
  return undefined;
}

function checkRange(opt: OptionSpec, value: number, text: string): number {
  const tooLow = opt.min !== undefined && value < opt.min;
  const tooHigh = opt.max !== undefined && value > opt.max;
  if (tooLow || tooHigh) {
    throw new UserError(`--${opt.name} must be ${rangeText(opt)} (got ${text})`, 2);
  }
  return value;
}

/**
 * Parses `argv` (the words after the subcommand) against `spec`.
 *
 * Returns one key per option, camelCased ('train-limit' → `trainLimit`), holding the parsed
 * value or the option's default (false for flags, undefined when no default is declared), plus
 * `json` (boolean). When `-h` or `--help` appears anywhere before `--`, returns just
 * `{ help: true }` so that help works even next to a mistake. `--no-x` is only accepted when an
 * option named 'no-x' is declared; a repeated option keeps its last value.
 * @throws UserError (exit code 2) for an unknown option, a missing or malformed value, a value
 *   out of range or not among the choices, and any positional argument.
 */
/** The options given on the command line of each parsed result (the rest hold defaults). */
const given = new WeakMap<object, Set<string>>();

/** True when `key` (camelCase) was given on the command line, not left at its default. */
export function wasGiven(result: Record<string, unknown>, key: string): boolean {
  const s = given.get(result);
  return s !== undefined && s.has(key);
}

export function parseArgs(spec: CommandSpec, argv: string[]): Record<string, unknown> {
  const options = allOptions(spec);
  const byName = new Map(options.map((o) => [o.name, o] as const));

  const end = argv.indexOf('--');
  const beforeEnd = end < 0 ? argv : argv.slice(0, end);
  if (beforeEnd.includes('-h') || beforeEnd.includes('--help')) return { help: true };

  const result: Record<string, unknown> = {};
  const explicit = new Set<string>();
  given.set(result, explicit);
  for (const o of options) {
    if (o.name === 'help') continue;
    result[camelCase(o.name)] = o.default !== undefined ? o.default : o.type === 'flag' ? false : undefined;
  }

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      if (i + 1 < argv.length) throw positionalError(spec, argv[i + 1]);
      break;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) throw positionalError(spec, word);

    const eq = word.indexOf('=');
    const name = (eq >= 0 ? word.slice(0, eq) : word).replace(/^--?/, '');
    const inline = eq >= 0 ? word.slice(eq + 1) : undefined;
    const opt = word.startsWith('--') ? byName.get(name) : undefined;
    if (opt === undefined) {
      const shown = eq >= 0 ? word.slice(0, eq) : word;
      const guess = closestMatch(name, options.map((o) => o.name));
      const hint = guess !== undefined ? ` (did you mean --${guess}?)` : '';
      throw new UserError(`unknown option ${shown}${hint}`, 2);
    }

    const key = camelCase(opt.name);
    explicit.add(key);
    if (opt.type === 'flag') {
      if (inline !== undefined) throw new UserError(`--${opt.name} is a flag and takes no value (got '${word}')`, 2);
      result[key] = true;
      continue;
    }
    let text: string | undefined = inline;
    if (text === undefined) {
      const next = argv[i + 1];
      // A following '--option' is the next option, not this one's value; '-5' is a value.
      if (next !== undefined && !(next.startsWith('--') || next === '-h')) {
        text = next;
        i++;
      }
    }
    if (text === undefined || text === '') {
      throw new UserError(`--${opt.name} needs a value (${valueDescription(opt)})`, 2);
    }
    result[key] = convertValue(opt, text);
  }
  return result;
}

function positionalError(spec: CommandSpec, word: string): UserError {
  return new UserError(`unexpected argument '${word}': ${spec.name} takes only --options`, 2);
}

/** What a value should look like, for 'needs a value' messages. */
function valueDescription(opt: OptionSpec): string {
  switch (opt.type) {
    case 'int':
      return `an integer${rangeText(opt) ? ' ' + rangeText(opt) : ''}`;
    case 'number':
      return `a number${rangeText(opt) ? ' ' + rangeText(opt) : ''}`;
    case 'choice':
      return `one of ${(opt.choices ?? []).join(', ')}`;
    default:
      return opt.metavar !== undefined ? opt.metavar : 'text';
  }
}

/** The left column of an option in the help page, e.g. '--train-limit N'. */
function optionLabel(opt: OptionSpec): string {
  if (opt.name === 'help') return '-h, --help';
  if (opt.type === 'flag') return `--${opt.name}`;
  const metavar =
    opt.metavar ??
    (opt.type === 'choice'
      ? (opt.choices ?? []).join('|')
      : opt.type === 'int'
        ? 'N'
        : opt.type === 'number'
          ? 'X'
          : 'VALUE');
  return `--${opt.name} ${metavar}`;
}

/** The help sentence with the range, choices and default appended. */
function optionDescription(opt: OptionSpec): string {
  const notes: string[] = [];
  const range = opt.type === 'int' || opt.type === 'number' ? rangeText(opt) : undefined;
  if (range !== undefined) notes.push(range);
  if (opt.type === 'choice' && opt.metavar !== undefined) notes.push(`one of ${(opt.choices ?? []).join(', ')}`);
  if (opt.default !== undefined && !(opt.type === 'flag' && opt.default === false)) {
    notes.push(`default ${typeof opt.default === 'string' ? opt.default : JSON.stringify(opt.default)}`);
  }
  return notes.length > 0 ? `${opt.help} (${notes.join('; ')})` : opt.help;
}

/** Greedy word wrap of `text` into lines of at most `width` characters (longer words stay whole). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/** Page width of help text. */
const HELP_WIDTH = 80;

/** Lays out `[label, description]` rows as an indented two-column list wrapped to HELP_WIDTH. */
export function formatColumns(rows: Array<[string, string]>, indent = 2, maxLabel = 28): string[] {
  const labelWidth = Math.min(maxLabel, Math.max(0, ...rows.map(([label]) => label.length)));
  const textWidth = Math.max(20, HELP_WIDTH - indent - labelWidth - 2);
  const pad = ' '.repeat(indent + labelWidth + 2);
  const out: string[] = [];
  for (const [label, description] of rows) {
    const wrapped = wrapText(description, textWidth);
    const head = ' '.repeat(indent) + label;
    if (label.length > labelWidth) {
      out.push(head);
      for (const w of wrapped) out.push(pad + w);
    } else {
      out.push(head.padEnd(pad.length) + wrapped[0]);
      for (const w of wrapped.slice(1)) out.push(pad + w);
    }
  }
  return out;
}

/** The `synfire <cmd> --help` page: usage, summary, every option (with range, choices, default), examples. */
export function formatHelp(spec: CommandSpec, prog = 'synfire'): string {
  const lines: string[] = [];
  lines.push(`Usage: ${prog} ${spec.name} ${spec.usage ?? '[options]'}`);
  lines.push('');
  lines.push(...wrapText(spec.summary, HELP_WIDTH));
  lines.push('');
  lines.push('Options:');
  lines.push(...formatColumns(allOptions(spec).map((o) => [optionLabel(o), optionDescription(o)])));
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('');
    lines.push('Examples:');
    for (const e of spec.examples) lines.push('  ' + e);
  }
  return lines.join('\n') + '\n';
}
