/**
 * Go's `fmt` renderings of decoded JSON values, for error texts that Kubernetes builds with `%v`
 * and `reflect.TypeOf` (`map: map[image:nginx] does not contain declared merge key: name`).
 * JSON numbers are shown as the int64/float64 Kubernetes' patch decoder produces
 * (`UnmarshalCaseSensitivePreserveInts`).
 */
import type { JsonValue } from "@tokenplane/apimachinery";

/** `fmt.Sprintf("%v", v)` of a decoded JSON value (map keys sorted, as Go prints them). */
export function goValue(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(" ")}]`;
  }
  if (typeof v === "number") return goNumber(v);
  return String(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return String(n);
  // %v of a float64 is %g with the shortest representation; exponents get a sign and two digits.
  const s = String(n);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) return `${m[1]}e${m[2]}${m[3]!.padStart(2, "0")}`;
  return s;
}

/** `reflect.TypeOf(v).String()` of a decoded JSON value (`%!s(<nil>)` for null, as `%s` prints nil). */
export function goTypeOf(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return "%!s(<nil>)";
  if (Array.isArray(v)) return "[]interface {}";
  switch (typeof v) {
    case "object":
      return "map[string]interface {}";
    case "number":
      return Number.isInteger(v) ? "int64" : "float64";
    case "boolean":
      return "bool";
    default:
      return "string";
  }
}
