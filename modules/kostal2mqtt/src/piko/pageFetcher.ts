import { Agent } from "node:http";
import fetch, { AbortError, type Response } from "node-fetch";
import { InverterAuth, InverterUnreachable, PageFormat } from "./errors.js";

/** How the status page is fetched; the defaults are what community tools found the PIKO web server tolerates. */
export interface FetchLimits {
  /** The whole exchange, body included (a dripping answer is cut off too). */
  timeoutMs: number;
  /** A status page is about 7 KiB; anything far larger is not one. */
  maxBytes: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 5000, maxBytes: 256 * 1024 };

export interface Credentials {
  username: string;
  password: string;
}

export interface FetchedPage {
  html: string;
  /** When the inverter's answer began (epoch ms): the measurement time of the page. */
  answeredAtMs: number;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "refused the connection",
  ECONNRESET: "reset the connection",
  EPIPE: "closed the connection",
  ETIMEDOUT: "did not answer (connect timeout)",
  EHOSTUNREACH: "is unreachable (no route to host)",
  ENETUNREACH: "is unreachable (network unreachable)",
  ENOTFOUND: "has a host name that does not resolve",
  EAI_AGAIN: "has a host name that could not be resolved now",
};

function describe(url: URL): string {
  return `inverter ${url.host}`;
}

/** Translates a failure of the exchange into the typed error of the inverter edge, once, here. */
function translate(
  error: unknown,
  url: URL,
  limits: FetchLimits,
  timedOut: boolean,
  readingBody: boolean,
): Error {
  if (error instanceof PageFormat || error instanceof InverterUnreachable || error instanceof InverterAuth)
    return error;
  if (timedOut || error instanceof AbortError) {
    return new InverterUnreachable(`${describe(url)} did not answer within ${limits.timeoutMs / 1000} s`, {
      cause: error,
    });
  }
  if (readingBody) {
    return new InverterUnreachable(`${describe(url)} closed the connection before the whole page arrived`, {
      cause: error,
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === "string" ? NETWORK_CODES[code] : undefined;
  const reason = known ?? `failed (${typeof code === "string" ? code : "no answer"})`;
  return new InverterUnreachable(`${describe(url)} ${reason}`, { cause: error });
}

function checkStatus(response: Response, url: URL): void {
  const status = response.status;
  if (status === 200) return;
  if (status === 401 || status === 403) {
    throw new InverterAuth(
      `${describe(url)} refused the credentials (HTTP ${status}): check KOSTAL_USERNAME/PASSWORD`,
    );
  }
  if (status >= 500)
    throw new InverterUnreachable(`${describe(url)} answered HTTP ${status} instead of its page`);
  if (status >= 300 && status < 400) {
    const location = response.headers.get("location") ?? "nowhere";
    throw new PageFormat(
      `expected the status page at ${url.pathname}, found a redirect (HTTP ${status}) to ${location}`,
    );
  }
  throw new PageFormat(`expected the status page at ${url.pathname}, found HTTP ${status}`);
}

async function readCapped(response: Response, limits: FetchLimits, abort: () => void): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const tooLarge = () =>
    new PageFormat(`expected a status page of at most ${limits.maxBytes} bytes, found more`);
  if (declared > limits.maxBytes) {
    abort();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limits.maxBytes) {
      abort();
      throw tooLarge();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

export interface FetchOptions {
  limits?: FetchLimits;
  agent?: Agent;
  signal?: AbortSignal;
  now?: () => number;
  /** Posted form-urlencoded instead of a GET: the status page's own form (`edWrNr`, the RS485 address shown). */
  form?: Readonly<Record<string, string>>;
}

/**
 * Fetches an old PIKO's status page with Basic auth, a timeout over the whole exchange and a size cap, and decodes
 * it as latin1 (the page declares ISO-8859-1). Throws InverterUnreachable, InverterAuth or PageFormat.
 */
export async function fetchStatusPage(
  url: URL,
  credentials: Credentials,
  options: FetchOptions = {},
): Promise<FetchedPage> {
  const limits = options.limits ?? DEFAULT_FETCH_LIMITS;
  const now = options.now ?? Date.now;
  const controller = new AbortController();
  let timedOut = false;
  let readingBody = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, limits.timeoutMs);
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onOuterAbort);
  const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  try {
    const form = options.form === undefined ? null : new URLSearchParams(options.form).toString();
    const response = await fetch(url.href, {
      headers: {
        authorization,
        accept: "text/html",
        ...(form !== null && { "content-type": "application/x-www-form-urlencoded" }),
      },
      ...(form !== null && { method: "POST", body: form }),
      redirect: "manual",
      compress: false,
      agent: options.agent,
      signal: controller.signal,
    });
    const answeredAtMs = now();
    checkStatus(response, url);
    readingBody = true;
    const body = await readCapped(response, limits, () => controller.abort());
    return { html: body.toString("latin1"), answeredAtMs };
  } catch (error) {
    controller.abort(); // frees the socket of an answer we did not read to its end
    throw translate(error, url, limits, timedOut, readingBody);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}
