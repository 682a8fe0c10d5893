/**
 * `IsConfigMapKey` (apimachinery pkg/util/validation/validation.go): the rule for keys of
 * ConfigMap `data`/`binaryData` and Secret `data`, with Kubernetes' messages. Generic: belongs in
 * @tokenplane/apimachinery beside the other name rules (kept here until it is moved there).
 */

const configMapKeyFmt = "[-._a-zA-Z0-9]+";
const configMapKeyRe = /^[-._a-zA-Z0-9]+$/;
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
/** Keys are at most as long as a DNS subdomain (`DNS1123SubdomainMaxLength`). */
const maxKeyLength = 253;

/** Kubernetes' `RegexError` with examples, joined by `,  or ` (two spaces) as Go does. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}'`).join(",  or ")}, regex used for validation is '${fmt}')`;
}

/** Returns Kubernetes' messages for a bad config key; empty when valid. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > maxKeyLength) errs.push(`must be no more than ${maxKeyLength} characters`);
  if (!configMapKeyRe.test(value)) {
    errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
  }
  // `hasChDirPrefix`: keys become file names in volumes, so they may not walk up.
  if (value === ".") errs.push("must not be '.'");
  else if (value === "..") errs.push("must not be '..'");
  else if (value.startsWith("..")) errs.push("must not start with '..'");
  return errs;
}
