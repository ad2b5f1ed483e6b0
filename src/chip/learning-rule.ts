/**
 * Learning rules in the chip's sum-of-products string form, parsed once:
 *
 *   dw = S_1 * prod_j (V_1j + C_1j) + S_2 * prod_j (V_2j + C_2j) + ...
 *
 * where each V is a dependency or trace (x0, y0, x1, x2, y1, y2, y3, r0, r1, w), each C is
 * a signed integer constant and each S a scale factor written as an integer, a power of two
 * (2^-3) or a product of both. Examples: `dw = 4*x0*y0*r1 - 2*x0*y0`,
 * `dw = 2^-2*x1*y0 - 2^-3*y1*x0`, `dw = x0*(y1 - 8)`.
 */
import { UserError } from '../errors';

export const RULE_VARIABLES = ['x0', 'y0', 'x1', 'x2', 'y1', 'y2', 'y3', 'r0', 'r1', 'w'] as const;
export type RuleVariable = (typeof RULE_VARIABLES)[number];
/** Index of each variable in the per-synapse factor vector. */
export const VAR_INDEX: Record<RuleVariable, number> = { x0: 0, y0: 1, x1: 2, x2: 3, y1: 4, y2: 5, y3: 6, r0: 7, r1: 8, w: 9 };

/** One factor (V + C). */
export interface RuleFactor {
  variable: RuleVariable;
  constant: number;
}

/** One product term S * prod (V + C). */
export interface RuleTerm {
  scale: number;
  factors: RuleFactor[];
}

export interface LearningRule {
  /** The rule as written. */
  text: string;
  /** Which synaptic variable the rule updates (only `dw` is supported). */
  target: 'dw';
  terms: RuleTerm[];
  /**
   * Which synapses can receive a nonzero dw in an epoch: 'pair' when every term has the
   * plain factors x0 and y0 (only synapses whose pre and post both spiked), 'pre' when every
   * term has x0, 'post' when every term has y0, else 'all'.
   */
  support: 'pair' | 'pre' | 'post' | 'all';
}

type Tok = { kind: 'num' | 'id' | 'op'; text: string; pos: number };

function tokenize(text: string, where: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < text.length && text[j] >= '0' && text[j] <= '9') j++;
      toks.push({ kind: 'num', text: text.slice(i, j), pos: i });
      i = j;
      continue;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_') {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) j++;
      toks.push({ kind: 'id', text: text.slice(i, j), pos: i });
      i = j;
      continue;
    }
    if ('+-*^()='.indexOf(c) >= 0) {
      toks.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    throw new UserError(`${where}: unexpected character '${c}' at position ${i + 1} in learning rule "${text}"`);
  }
  return toks;
}

/** Parse a rule string such as `dw = 4*x0*y0*r1 - 2*x0*y0`. `where` names the rule's owner in errors. */
export function parseLearningRule(text: string, where = 'learning rule'): LearningRule {
  const toks = tokenize(text, where);
  let p = 0;
  const fail = (msg: string, t?: Tok): never => {
    const at = t ? ` at '${t.text}' (position ${t.pos + 1})` : ' at the end';
    throw new UserError(`${where}: ${msg}${at} in learning rule "${text}"`);
  };
  const peek = () => toks[p];
  const next = () => toks[p++];

  if (!peek() || peek().text !== 'dw') fail("expected the rule to start with 'dw ='", peek());
  next();
  if (!peek() || peek().text !== '=') fail("expected '=' after 'dw'", peek());
  next();

  const terms: RuleTerm[] = [];
  let sign = 1;
  if (peek() && (peek().text === '-' || peek().text === '+')) {
    sign = next().text === '-' ? -1 : 1;
  }
  for (;;) {
    const term: RuleTerm = { scale: sign, factors: [] };
    for (;;) {
      parseFactor(term);
      if (peek() && peek().text === '*') {
        next();
        continue;
      }
      break;
    }
    terms.push(term);
    const t = peek();
    if (!t) break;
    if (t.text === '+' || t.text === '-') {
      next();
      sign = t.text === '-' ? -1 : 1;
      if (!peek()) fail('expected a term after the sign');
      continue;
    }
    fail('unexpected token', t);
  }

  function parseInt_(): number {
    const t = next();
    if (!t || t.kind !== 'num') return fail('expected a number', t);
    return Number(t.text);
  }

  function parseFactor(term: RuleTerm): void {
    const t = peek();
    if (!t) return void fail('expected a factor');
    if (t.kind === 'num') {
      const n = parseInt_();
      if (peek() && peek().text === '^') {
        if (n !== 2) fail('only powers of two are allowed as scale factors', t);
        next();
        let s = 1;
        if (peek() && (peek().text === '-' || peek().text === '+')) s = next().text === '-' ? -1 : 1;
        const e = parseInt_();
        term.scale *= Math.pow(2, s * e);
      } else {
        term.scale *= n;
      }
      return;
    }
    if (t.kind === 'id') {
      next();
      term.factors.push({ variable: variable(t), constant: 0 });
      return;
    }
    if (t.text === '(') {
      next();
      const v = next();
      if (!v || v.kind !== 'id') return void fail('expected a variable after', t);
      let c = 0;
      const op = peek();
      if (op && (op.text === '+' || op.text === '-')) {
        next();
        c = (op.text === '-' ? -1 : 1) * parseInt_();
      }
      const close = next();
      if (!close || close.text !== ')') fail("expected ')'", close);
      term.factors.push({ variable: variable(v), constant: c });
      return;
    }
    fail('unexpected token', t);
  }

  function variable(t: Tok): RuleVariable {
    if ((RULE_VARIABLES as readonly string[]).indexOf(t.text) < 0)
      fail(`unknown variable (expected one of ${RULE_VARIABLES.join(', ')})`, t);
    return t.text as RuleVariable;
  }

  const has = (term: RuleTerm, v: RuleVariable) => term.factors.some((f) => f.variable === v && f.constant === 0);
  const live = terms.filter((t) => t.scale !== 0);
  const support: LearningRule['support'] = live.every((t) => has(t, 'x0') && has(t, 'y0'))
    ? 'pair'
    : live.every((t) => has(t, 'x0'))
      ? 'pre'
      : live.every((t) => has(t, 'y0'))
        ? 'post'
        : 'all';
  return { text, target: 'dw', terms: live, support };
}

/** Evaluate dw for one synapse; `vars` holds the factor values in VAR_INDEX order. */
export function evaluateRule(rule: LearningRule, vars: ArrayLike<number>): number {
  let dw = 0;
  const terms = rule.terms;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    let prod = t.scale;
    const fs = t.factors;
    for (let j = 0; j < fs.length && prod !== 0; j++) prod *= vars[VAR_INDEX[fs[j].variable]] + fs[j].constant;
    dw += prod;
  }
  return dw;
}

/** Does the rule read this variable? */
export function ruleUses(rule: LearningRule, v: RuleVariable): boolean {
  return rule.terms.some((t) => t.factors.some((f) => f.variable === v));
}
