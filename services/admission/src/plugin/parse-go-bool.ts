/**
 * Go's `strconv.ParseBool`, because the `kubernetes.io/enforce-mountable-secrets` annotation is read
 * with it (reference §3.2): exactly `1 t T TRUE true True` are true and `0 f F FALSE false False`
 * are false; anything else (`yes`, ` true`, `tRuE`, "") is a syntax error.
 */
import { goQuote } from "@tokenplane/apimachinery";

/** The outcome of {@link parseGoBool}: the value, or Go's error text. */
export type ParseGoBoolResult = { value: boolean } | { error: string };

const trueValues: ReadonlySet<string> = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const falseValues: ReadonlySet<string> = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/**
 * Parses `s` as Go's `strconv.ParseBool` does. On failure the error reads like Go's
 * `strconv.ParseBool: parsing "yes": invalid syntax`.
 */
export function parseGoBool(s: string): ParseGoBoolResult {
  if (trueValues.has(s)) return { value: true };
  if (falseValues.has(s)) return { value: false };
  return { error: `strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax` };
}
