/**
 * Label selectors in Kubernetes' string syntax (`labels.Parse`): `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by commas (AND).
 * Parsing returns `{ value } | { error }` instead of throwing: it sits on the list/watch path.
 */
import { isQualifiedName, isValidLabelValue } from "./names.js";

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

/** One requirement; all requirements of a selector must hold. */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parsed selector; the empty selector matches everything. */
export interface LabelSelector {
  requirements: LabelRequirement[];
}

export const everything: LabelSelector = { requirements: [] };

type Tok = { t: "id"; v: string } | { t: "op"; v: string } | { t: "end" };

function lex(s: string): Tok[] | string {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      toks.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if ("=!(),<>".includes(c)) {
      toks.push({ t: "op", v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !" \t=!(),<>".includes(s[j]!)) j++;
    toks.push({ t: "id", v: s.slice(i, j) });
    i = j;
  }
  toks.push({ t: "end" });
  return toks;
}

/** Parses a selector string; the empty string selects everything. */
export function parseLabelSelector(input: string): { value: LabelSelector } | { error: string } {
  const toks = lex(input);
  if (typeof toks === "string") return { error: toks };
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const reqs: LabelRequirement[] = [];
  if (peek().t === "end") return { value: everything };

  const fail = (msg: string) => ({ error: `unable to parse requirement: ${msg}` });

  for (;;) {
    let tok = next();
    let negate = false;
    if (tok.t === "op" && tok.v === "!") {
      negate = true;
      tok = next();
    }
    if (tok.t !== "id") return fail(`found '${tok.t === "op" ? tok.v : ""}', expected: identifier`);
    const key = tok.v;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) return fail(`invalid label key "${key}": ${keyErrs.join("; ")}`);
    if (negate) {
      reqs.push({ key, operator: "!", values: [] });
    } else {
      const op = peek();
      if (op.t === "end" || (op.t === "op" && op.v === ",")) {
        reqs.push({ key, operator: "exists", values: [] });
      } else if (op.t === "op" && (op.v === "=" || op.v === "==" || op.v === "!=")) {
        next();
        const v = peek();
        let value = "";
        if (v.t === "id") {
          value = v.v;
          next();
        }
        const vErrs = isValidLabelValue(value);
        if (vErrs.length) return fail(`invalid label value: "${value}": ${vErrs.join("; ")}`);
        reqs.push({ key, operator: op.v === "!=" ? "!=" : "=", values: [value] });
      } else if (op.t === "op" && (op.v === ">" || op.v === "<")) {
        next();
        const v = next();
        if (v.t !== "id" || !/^-?\d+$/.test(v.v)) {
          return fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        }
        reqs.push({ key, operator: op.v === ">" ? "gt" : "lt", values: [v.v] });
      } else if (op.t === "id" && (op.v === "in" || op.v === "notin")) {
        next();
        const open = next();
        if (open.t !== "op" || open.v !== "(") return fail(`found '${tokText(open)}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.t === "id") {
            const vErrs = isValidLabelValue(v.v);
            if (vErrs.length) return fail(`invalid label value: "${v.v}": ${vErrs.join("; ")}`);
            values.push(v.v);
            next();
          } else {
            values.push("");
          }
          const sep = next();
          if (sep.t === "op" && sep.v === ")") break;
          if (!(sep.t === "op" && sep.v === ",")) return fail(`found '${tokText(sep)}', expected: ',', ')'`);
        }
        reqs.push({ key, operator: op.v, values });
      } else {
        return fail(`found '${tokText(op)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = next();
    if (sep.t === "end") break;
    if (!(sep.t === "op" && sep.v === ","))
      return fail(`found '${tokText(sep)}', expected: ',' or 'end of string'`);
  }
  return { value: { requirements: reqs } };
}

function tokText(t: Tok): string {
  return t.t === "end" ? "" : t.v;
}

/** True when the labels satisfy every requirement. */
export function matchesLabels(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const r of sel.requirements) {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.operator) {
      case "=":
      case "in":
        if (!has || !r.values.includes(v!)) return false;
        break;
      case "!=":
      case "notin":
        if (has && r.values.includes(v!)) return false;
        break;
      case "exists":
        if (!has) return false;
        break;
      case "!":
        if (has) return false;
        break;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.operator === "gt" ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** Renders a selector back to its canonical string. */
export function labelSelectorString(sel: LabelSelector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case "=":
          return `${r.key}=${r.values[0]}`;
        case "!=":
          return `${r.key}!=${r.values[0]}`;
        case "exists":
          return r.key;
        case "!":
          return `!${r.key}`;
        case "gt":
          return `${r.key}>${r.values[0]}`;
        case "lt":
          return `${r.key}<${r.values[0]}`;
        default:
          return `${r.key} ${r.operator} (${r.values.join(",")})`;
      }
    })
    .join(",");
}
