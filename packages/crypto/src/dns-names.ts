/**
 * DNS-1123 name checks from k8s.io/apimachinery/pkg/util/validation, needed by `splitUsername`
 * (namespace = label, service account name = subdomain, reference §1.7). Internal to the package:
 * the full validation with messages lives in @tokenplane/apimachinery.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1123 label: at most 63 lower-case alphanumerics or '-', alphanumeric at both ends. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** RFC 1123 subdomain: at most 253 characters, dot-separated labels. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}
