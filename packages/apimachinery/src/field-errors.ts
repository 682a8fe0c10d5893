/**
 * Field-level validation errors, rendered exactly as apimachinery's
 * `pkg/util/validation/field/errors.go` renders them (reference §8.1): `<field>: <ErrorBody>`.
 */
import { goQuote } from "./go-quote.js";

/** The kinds of field error and the `StatusCause.reason` each one reports. */
export const FieldErrorType = {
  NotFound: "FieldValueNotFound",
  Required: "FieldValueRequired",
  Duplicate: "FieldValueDuplicate",
  Invalid: "FieldValueInvalid",
  NotSupported: "FieldValueNotSupported",
  Forbidden: "FieldValueForbidden",
  TooLong: "FieldValueTooLong",
  TooMany: "FieldValueTooMany",
  Internal: "InternalError",
  TypeInvalid: "FieldValueTypeInvalid",
} as const;
export type FieldErrorType = (typeof FieldErrorType)[keyof typeof FieldErrorType];

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: "Not found",
  FieldValueRequired: "Required value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  InternalError: "Internal error",
  FieldValueTypeInvalid: "Invalid value",
};

/** Marks "no bad value to print" (Go's `omitValue`). */
export const omitValue = Symbol("omitValue");

/** One field error. `field` is the rendered path, e.g. `metadata.annotations[a/b]`. */
export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly badValue: unknown;
  readonly detail: string;
}

/** A field path under construction: `root("spec").child("volumes").index(0)`. */
export class FieldPath {
  private constructor(private readonly rendered: string) {}

  static root(name: string): FieldPath {
    return new FieldPath(name);
  }

  child(name: string, ...more: string[]): FieldPath {
    let s = this.rendered ? `${this.rendered}.${name}` : name;
    for (const m of more) s += `.${m}`;
    return new FieldPath(s);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.rendered}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.rendered}[${k}]`);
  }

  toString(): string {
    return this.rendered;
  }
}

function make(type: FieldErrorType, path: FieldPath | string, badValue: unknown, detail: string): FieldError {
  return { type, field: String(path), badValue, detail };
}

/** Constructors mirroring `field.Invalid`, `field.Required`, ... */
export const fieldError = {
  invalid: (path: FieldPath | string, value: unknown, detail: string) =>
    make(FieldErrorType.Invalid, path, value, detail),
  required: (path: FieldPath | string, detail = "") => make(FieldErrorType.Required, path, "", detail),
  forbidden: (path: FieldPath | string, detail: string) => make(FieldErrorType.Forbidden, path, "", detail),
  notFound: (path: FieldPath | string, value: unknown) => make(FieldErrorType.NotFound, path, value, ""),
  duplicate: (path: FieldPath | string, value: unknown) => make(FieldErrorType.Duplicate, path, value, ""),
  notSupported: (path: FieldPath | string, value: unknown, supported: readonly string[]) =>
    make(
      FieldErrorType.NotSupported,
      path,
      value,
      supported.length ? `supported values: ${supported.map(goQuote).join(", ")}` : "",
    ),
  tooLong: (path: FieldPath | string, value: unknown, maxLength: number) =>
    make(FieldErrorType.TooLong, path, value, `may not be more than ${maxLength} bytes`),
  tooMany: (path: FieldPath | string, actual: number, max: number) =>
    make(FieldErrorType.TooMany, path, actual, `must have at most ${max} items`),
  internal: (path: FieldPath | string, err: unknown) =>
    make(FieldErrorType.Internal, path, omitValue, err instanceof Error ? err.message : String(err)),
};

/** Renders a bad value the way `field.Error.ErrorBody` does. */
function renderValue(v: unknown): string {
  if (typeof v === "string") return goQuote(v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return "null";
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));
  } catch {
    return String(v);
  }
}

/** `ErrorBody()`: the text after `<field>: `, also used as `StatusCause.message`. */
export function fieldErrorBody(e: FieldError): string {
  let s = typeText[e.type];
  const showValue =
    e.badValue !== omitValue &&
    e.type !== FieldErrorType.Required &&
    e.type !== FieldErrorType.Forbidden &&
    e.type !== FieldErrorType.TooLong &&
    e.type !== FieldErrorType.Internal;
  // Required, Forbidden, TooLong and Internal never print the value (TooLong values are long).
  if (showValue) s += `: ${renderValue(e.badValue)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `Error()`: `<field>: <body>`. */
export function fieldErrorString(e: FieldError): string {
  return e.field ? `${e.field}: ${fieldErrorBody(e)}` : fieldErrorBody(e);
}

/**
 * `ErrorList.ToAggregate().Error()`: one error prints as itself, several as `[e1, e2]`,
 * duplicates removed (reference §8.1).
 */
export function aggregateFieldErrors(errs: readonly FieldError[]): string {
  const seen = new Set<string>();
  const texts: string[] = [];
  for (const e of errs) {
    const s = fieldErrorString(e);
    if (!seen.has(s)) {
      seen.add(s);
      texts.push(s);
    }
  }
  if (texts.length === 1) return texts[0]!;
  return `[${texts.join(", ")}]`;
}
