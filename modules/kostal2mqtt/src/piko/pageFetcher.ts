import { Agent } from "node:http";
import fetch, { AbortError, type Response } from "node-fetch";
import { InverterAuth, InverterBusy, InverterUnreachable, PageFormat } from "./errors.js";

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

/** What is fetched: the status page, or another file of the device (LogDaten.dat, piko/logdaten/). */
export interface FetchedDocument {
  /** Named in messages: "status page", "LogDaten.dat". */
  name: string;
  accept: string;
  /**
   * A body cut off by the device (connection closed early) is returned as far as it came, marked incomplete,
   * instead of failing: a long history file is worth its first rows.
   */
  keepPartial: boolean;
}

const STATUS_PAGE: FetchedDocument = { name: "status page", accept: "text/html", keepPartial: false };

export interface FetchedBody {
  body: Buffer;
  /** When the inverter's answer began (epoch ms). */
  answeredAtMs: number;
  /** False when the device closed the connection before the whole body (only with `keepPartial`). */
  complete: boolean;
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
  document: FetchedDocument,
): Error {
  if (error instanceof PageFormat || error instanceof InverterUnreachable || error instanceof InverterAuth)
    return error;
  if (timedOut || error instanceof AbortError) {
    return new InverterUnreachable(`${describe(url)} did not answer within ${limits.timeoutMs / 1000} s`, {
      cause: error,
    });
  }
  if (readingBody) {
    return new InverterUnreachable(
      `${describe(url)} closed the connection before the whole ${document.name} arrived`,
      {
        cause: error,
      },
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === "string" ? NETWORK_CODES[code] : undefined;
  const reason = known ?? `failed (${typeof code === "string" ? code : "no answer"})`;
  return new InverterUnreachable(`${describe(url)} ${reason}`, { cause: error });
}

function checkStatus(response: Response, url: URL, document: FetchedDocument): void {
  const status = response.status;
  if (status === 200) return;
  // The device's answer while another request runs (piko.md); worth another try after a pause.
  if (status === 503) throw new InverterBusy(`${describe(url)} is busy (HTTP 503, service unavailable)`);
  if (status === 401 || status === 403) {
    throw new InverterAuth(
      `${describe(url)} refused the credentials (HTTP ${status}): check KOSTAL_USERNAME/PASSWORD`,
    );
  }
  if (status >= 500)
    throw new InverterUnreachable(`${describe(url)} answered HTTP ${status} instead of its ${document.name}`);
  if (status >= 300 && status < 400) {
    const location = response.headers.get("location") ?? "nowhere";
    throw new PageFormat(
      `expected the ${document.name} at ${url.pathname}, found a redirect (HTTP ${status}) to ${location}`,
    );
  }
  throw new PageFormat(`expected the ${document.name} at ${url.pathname}, found HTTP ${status}`);
}

async function readCapped(
  response: Response,
  limits: FetchLimits,
  abort: () => void,
  document: FetchedDocument,
): Promise<{ body: Buffer; complete: boolean }> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const tooLarge = () =>
    new PageFormat(`expected a ${document.name} of at most ${limits.maxBytes} bytes, found more`);
  if (declared > limits.maxBytes) {
    abort();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limits.maxBytes) {
        abort();
        throw tooLarge();
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (!document.keepPartial || error instanceof PageFormat || error instanceof AbortError) throw error;
    return { body: Buffer.concat(chunks, size), complete: false };
  }
  return { body: Buffer.concat(chunks, size), complete: true };
}

/**
 * Fetches a file of an old PIKO with Basic auth, a timeout over the whole exchange and a size cap. Throws
 * InverterUnreachable (InverterBusy on HTTP 503), InverterAuth or PageFormat.
 */
export async function fetchFromInverter(
  url: URL,
  credentials: Credentials,
  options: {
    limits?: FetchLimits;
    agent?: Agent;
    signal?: AbortSignal;
    now?: () => number;
    document?: FetchedDocument;
  } = {},
): Promise<FetchedBody> {
  const limits = options.limits ?? DEFAULT_FETCH_LIMITS;
  const document = options.document ?? STATUS_PAGE;
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
    const response = await fetch(url.href, {
      headers: { authorization, accept: document.accept },
      redirect: "manual",
      compress: false,
      agent: options.agent,
      signal: controller.signal,
    });
    const answeredAtMs = now();
    checkStatus(response, url, document);
    readingBody = true;
    const { body, complete } = await readCapped(response, limits, () => controller.abort(), document);
    if (!complete) controller.abort(); // the socket of a cut-off answer is not reused
    return { body, answeredAtMs, complete };
  } catch (error) {
    controller.abort(); // frees the socket of an answer we did not read to its end
    throw translate(error, url, limits, timedOut, readingBody, document);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/**
 * Fetches an old PIKO's status page with Basic auth, a timeout over the whole exchange and a size cap, and decodes
 * it as latin1 (the page declares ISO-8859-1). Throws InverterUnreachable, InverterAuth or PageFormat.
 */
export async function fetchStatusPage(
  url: URL,
  credentials: Credentials,
  options: { limits?: FetchLimits; agent?: Agent; signal?: AbortSignal; now?: () => number } = {},
): Promise<FetchedPage> {
  const { body, answeredAtMs } = await fetchFromInverter(url, credentials, options);
  return { html: body.toString("latin1"), answeredAtMs };
}
