/**
 * Where an inverter's status page is. `KOSTAL_HOST` may be `host`, `host:port` or a full `http://host:port` URL
 * (as the original script took it); credentials never go into the URL, so no message that shows it leaks them.
 */

export class InvalidInverterAddress extends Error {}

/**
 * An address as it may be shown: whatever stands between the scheme and the last `@` is user info, and all of it
 * but a user name before the first `:` is replaced by `[redacted]` (`http://admin:[redacted]@host`). The last `@`,
 * not the URL parser, decides: a password with `/`, `#`, `?` or a space breaks the parse and must not leak through
 * the error that says so. A bare `name@host` (no scheme, no `:`) holds no password and stays as it is.
 */
export function redactUserInfo(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return address;
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/\//i.exec(address)?.[0] ?? "";
  const userInfo = address.slice(scheme.length, at);
  const colon = userInfo.indexOf(":");
  if (colon < 0 && scheme === "") return address;
  const shown = colon < 0 ? "[redacted]" : `${userInfo.slice(0, colon)}:[redacted]`;
  return `${scheme}${shown}${address.slice(at)}`;
}

export const STATUS_PAGE_PATH = "/index.fhtml";

/** The status page URL of an inverter address; throws InvalidInverterAddress with the reason. */
export function statusPageUrl(address: string): URL {
  const trimmed = address.trim();
  if (trimmed === "") throw new InvalidInverterAddress("the inverter address is empty");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    // Not kept as the cause: Node's URL error carries the whole input, credentials included.
    throw new InvalidInverterAddress(`'${redactUserInfo(trimmed)}' is not a host, host:port or http:// URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidInverterAddress(`'${url.protocol}' is not supported: the PIKO speaks http`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new InvalidInverterAddress(
      "put the credentials in KOSTAL_USERNAME/KOSTAL_PASSWORD, not in the address",
    );
  }
  if (url.pathname === "/" || url.pathname === "") url.pathname = STATUS_PAGE_PATH;
  url.hash = "";
  return url;
}
