import { excerpt, PageFormat } from "./errors.js";
import type { StatusPage } from "./statusPage.js";

/**
 * Old PIKOs on one RS485 bus: the status page is a form (`<form method="post">` with `<input name="edWrNr">`) that
 * shows the inverter at the posted bus address, and its header names what it shows: `<name> (<address>)`.
 */

/** The form fields that ask the web server for the inverter at `address`. */
export function busAddressForm(address: number): Record<string, string> {
  return { edWrNr: String(address) };
}

/**
 * Throws PageFormat unless the page shows the inverter at `wanted`: a web server that shows another one (an
 * address with no inverter behind it, a neighbour asleep) must never have its page filed under the wrong inverter.
 */
export function checkShownAddress(
  page: Pick<StatusPage, "name" | "rs485Address">,
  wanted: number,
  host: string,
): void {
  if (page.rs485Address === wanted) return;
  throw new PageFormat(
    `asked the web server at ${host} for RS485 address ${wanted}, found the page of address ` +
      `${page.rs485Address} ('${excerpt(page.name, 32)}')`,
  );
}
