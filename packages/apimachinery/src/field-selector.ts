/**
 * Field selectors (`fields.ParseSelector`): comma-separated `field=value`, `field==value`,
 * `field!=value` terms. Which fields a resource supports is the resource registry's business.
 */

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

/** Splits on unescaped commas; `\,` `\=` `\\` are escapes, as in Kubernetes. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1]!;
      i++;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescapeTerm(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** Parses a field selector; the empty string selects everything. */
export function parseFieldSelector(input: string): { value: FieldSelector } | { error: string } {
  if (input.trim() === "") return { value: { requirements: [] } };
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(input)) {
    if (term === "") continue;
    const m = /^((?:[^\\=!]|\\.)*)(==|!=|=)(.*)$/.exec(term);
    if (!m) return { error: `invalid selector: '${input}'; can't understand '${term}'` };
    requirements.push({
      field: unescapeTerm(m[1]!.trim()),
      operator: m[2] === "!=" ? "!=" : "=",
      value: unescapeTerm(m[3]!),
    });
  }
  return { value: { requirements } };
}

/** True when every requirement holds for the object's field values. */
export function matchesFields(sel: FieldSelector, fields: Readonly<Record<string, string>>): boolean {
  for (const r of sel.requirements) {
    const v = fields[r.field] ?? "";
    if (r.operator === "=" ? v !== r.value : v === r.value) return false;
  }
  return true;
}
