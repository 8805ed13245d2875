/**
 * Where an inverter's status page is. `KOSTAL_HOST` may be `host`, `host:port` or a full `http://host:port` URL
 * (as the original script took it); credentials never go into the URL, so no message that shows it leaks them.
 */

export class InvalidInverterAddress extends Error {}

export const STATUS_PAGE_PATH = "/index.fhtml";

/** The status page URL of an inverter address; throws InvalidInverterAddress with the reason. */
export function statusPageUrl(address: string): URL {
  const trimmed = address.trim();
  if (trimmed === "") throw new InvalidInverterAddress("the inverter address is empty");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new InvalidInverterAddress(`'${trimmed}' is not a host, host:port or http:// URL`, {
      cause: error,
    });
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
