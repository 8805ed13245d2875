/**
 * Typed errors of the inverter edge. Each is translated once, where the fault is seen (HTTP client, page
 * interpreter), keeps the original as `cause`, and says what was expected and what was found. Whether to retry
 * is decided by type. Messages never contain a password: URLs are shown without credentials.
 */

export abstract class InverterError extends Error {
  abstract readonly kind: "unreachable" | "auth" | "format";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Refused, timed out, reset, DNS failure, or the web server failed (5xx): the inverter did not give a page. */
export class InverterUnreachable extends InverterError {
  readonly kind = "unreachable";
}

/** The inverter answered "service busy" (HTTP 503): it serves one request at a time; another try later may work. */
export class InverterBusy extends InverterUnreachable {}

/** The inverter refused the credentials (HTTP 401/403). Retrying soon will not help. */
export class InverterAuth extends InverterError {
  readonly kind = "auth";
}

/** The inverter answered, but not with a PIKO status page we can read (wrong page, garbage, truncated, too big). */
export class PageFormat extends InverterError {
  readonly kind = "format";
}

/** A short, printable excerpt of untrusted text for an error message. */
export function excerpt(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  // Printable ASCII only: a page is untrusted input and must not inject control sequences into logs.
  const printable = flat.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}
