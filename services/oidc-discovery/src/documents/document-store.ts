/**
 * The documents currently served. Key sources (key files, the apiserver's key set) hand every key
 * set they load to `update`; requests read `current()`. A key set that cannot be published (no
 * keys at all) is refused and the previous documents stay, so a bad reload never blanks the JWKS.
 */
import type { VerificationKey } from "@tokenplane/crypto";
import type { Logger } from "@tokenplane/runtime";
import { type DiscoveryDocuments, renderDiscoveryDocuments } from "./discovery-documents.js";
import type { DiscoverySettings } from "./discovery-settings.js";

/** What {@link DocumentStore.update} did. */
export type UpdateOutcome = "changed" | "unchanged" | "refused";

/** Holds the served documents; see the module comment. */
export class DocumentStore {
  readonly #settings: DiscoverySettings;
  readonly #log: Logger | undefined;
  #current: DiscoveryDocuments | undefined;
  #listeners: ((docs: DiscoveryDocuments) => void)[] = [];

  /**
   * @param settings issuer, jwks_uri and external address (checked at start-up)
   * @param log where changes and refusals are logged; none = silent
   */
  constructor(settings: DiscoverySettings, log?: Logger) {
    this.#settings = settings;
    this.#log = log;
  }

  /** The documents being served; undefined until a key set was accepted. */
  current(): DiscoveryDocuments | undefined {
    return this.#current;
  }

  /** True once a key set was accepted (the service's readiness). */
  hasDocuments(): boolean {
    return this.#current !== undefined;
  }

  /** Calls `listener` after every change. */
  onChange(listener: (docs: DiscoveryDocuments) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Publishes `keys` (in order). "unchanged" when the rendered JWKS is byte-identical (entity tags
   * stay the same, so relying parties' conditional requests keep getting 304); "refused" (logged,
   * previous documents kept) when they cannot be published.
   */
  update(keys: readonly VerificationKey[], origin: Record<string, unknown> = {}): UpdateOutcome {
    let next: DiscoveryDocuments;
    try {
      next = renderDiscoveryDocuments(this.#settings, keys);
    } catch (err) {
      this.#log?.error({ err, ...origin }, "cannot publish the key set; keeping the documents served so far");
      return "refused";
    }
    const previous = this.#current;
    if (previous !== undefined && previous.jwks.etag === next.jwks.etag) return "unchanged";
    this.#current = next;
    this.#log?.info(
      { kids: next.kids, previousKids: previous?.kids ?? [], jwksUri: next.jwksUri, ...origin },
      previous === undefined ? "publishing the service-account keys" : "service-account keys changed",
    );
    for (const listener of this.#listeners) listener(next);
    return "changed";
  }
}
