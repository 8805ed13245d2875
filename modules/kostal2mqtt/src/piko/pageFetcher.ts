import fetch, { AbortError, type Response } from "node-fetch";
import { InverterAuth, InverterBusy, InverterUnreachable, PageFormat } from "./errors.js";
import { ONE_OFF_AGENT, type InverterAgent } from "./inverterAgent.js";

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
  what: string,
): Error {
  if (error instanceof PageFormat || error instanceof InverterUnreachable || error instanceof InverterAuth)
    return error;
  if (timedOut || error instanceof AbortError) {
    return new InverterUnreachable(`${describe(url)} did not answer within ${limits.timeoutMs / 1000} s`, {
      cause: error,
    });
  }
  if (readingBody) {
    return new InverterUnreachable(`${describe(url)} closed the connection before all of ${what} arrived`, {
      cause: error,
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === "string" ? NETWORK_CODES[code] : undefined;
  const reason = known ?? `failed (${typeof code === "string" ? code : "no answer"})`;
  return new InverterUnreachable(`${describe(url)} ${reason}`, { cause: error });
}

function checkStatus(response: Response, url: URL, what: string, withLogin: boolean): void {
  const status = response.status;
  if (status === 200) return;
  if ((status === 401 || status === 403) && !withLogin) {
    // A request without credentials (dxs, MP plus) met a login: not the interface asked for (the old PIKO asks
    // for one on every path), rather than wrong credentials.
    throw new PageFormat(`expected ${what} at ${url.pathname}, found a login request (HTTP ${status})`);
  }
  // The device's answer while another request runs (piko.md); worth another try after a pause.
  if (status === 503) throw new InverterBusy(`${describe(url)} is busy (HTTP 503, service unavailable)`);
  if (status === 401 || status === 403) {
    throw new InverterAuth(
      `${describe(url)} refused the credentials (HTTP ${status}): check KOSTAL_USERNAME/PASSWORD`,
    );
  }
  if (status >= 500)
    throw new InverterUnreachable(`${describe(url)} answered HTTP ${status} instead of ${what}`);
  if (status >= 300 && status < 400) {
    const location = shownLocation(response.headers.get("location"), url);
    throw new PageFormat(
      `expected ${what} at ${url.pathname}, found a redirect (HTTP ${status}) to ${location}`,
    );
  }
  throw new PageFormat(`expected ${what} at ${url.pathname}, found HTTP ${status}`);
}

/** Where a redirect points, as a path when it stays on the device (node-fetch 2 makes it absolute). */
function shownLocation(location: string | null, url: URL): string {
  if (location === null) return "nowhere";
  const target = URL.canParse(location, url.href) ? new URL(location, url) : null;
  return target?.origin === url.origin ? `${target.pathname}${target.search}` : location;
}

async function readCapped(
  response: Response,
  limits: FetchLimits,
  request: InverterRequest,
  abort: () => void,
): Promise<{ body: Buffer; complete: boolean }> {
  const what = request.what;
  // No Content-Length (the dxs API's HTTP/1.0 answers end when the connection closes): only the count below caps it.
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const tooLarge = () => new PageFormat(`expected ${what} of at most ${limits.maxBytes} bytes, found more`);
  if (declared > limits.maxBytes) {
    abort();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let refused = false;
      // Events, not `for await`: the production process runs V8's interpreter only, where the async iterator's
      // promises per chunk cost more than reading the page's one or two chunks.
      response.body.on("data", (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > limits.maxBytes) {
          refused = true;
          reject(tooLarge()); // first: the abort below fails the body at once, with an AbortError
          abort();
          return;
        }
        chunks.push(chunk);
      });
      response.body.once("end", resolve);
      // `on`, not `once`: a second error of a destroyed body must find a listener too.
      response.body.on("error", reject);
    });
  } catch (error) {
    if (request.keepPartial !== true || error instanceof PageFormat || error instanceof AbortError)
      throw error;
    return { body: Buffer.concat(chunks, size), complete: false };
  }
  return { body: Buffer.concat(chunks, size), complete: true };
}

/** One GET to an inverter: what is asked for, how it is told apart in messages, and the shared edges. */
export interface InverterRequest {
  /** Basic auth, which the old status page needs; the dxs API and MP plus documents are read without. */
  credentials?: Credentials;
  accept: string;
  /** What the answer should be, for messages: "the status page", "a dxs.json answer". */
  what: string;
  /** latin1 for the old page (it declares ISO-8859-1), utf8 for JSON and XML. */
  encoding: BufferEncoding;
  /**
   * A body cut off by the device (connection closed early) is returned as far as it came, marked incomplete,
   * instead of failing: a long history file is worth its first rows.
   */
  keepPartial?: boolean;
  /** Posted form-urlencoded instead of a GET: the status page's own form (`edWrNr`, the RS485 address shown). */
  form?: Readonly<Record<string, string>>;
  limits?: FetchLimits;
  agent?: InverterAgent;
  signal?: AbortSignal;
  now?: () => number;
}

/** The edges every request to one device shares: its one socket's agent, its cancel signal, limits and clock. */
export type DeviceEdges = Pick<InverterRequest, "agent" | "signal" | "limits" | "now" | "credentials">;

export interface FetchedText {
  text: string;
  /** When the inverter's answer began (epoch ms): the measurement time. */
  answeredAtMs: number;
  /** False when the device closed the connection before the whole body (only with `keepPartial`). */
  complete: boolean;
}

/**
 * Fetches one answer of an inverter with a timeout over the whole exchange (body included) and a size cap; a
 * body without Content-Length is read until the device closes the connection. Throws InverterUnreachable
 * (InverterBusy on HTTP 503), InverterAuth or PageFormat.
 */
export async function fetchInverterText(url: URL, request: InverterRequest): Promise<FetchedText> {
  const limits = request.limits ?? DEFAULT_FETCH_LIMITS;
  const now = request.now ?? Date.now;
  const controller = new AbortController();
  let timedOut = false;
  let readingBody = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, limits.timeoutMs);
  const onOuterAbort = () => controller.abort();
  request.signal?.addEventListener("abort", onOuterAbort);
  // A client closed before this request started (a dxs poll's second request, a queued read) cancels it too.
  if (request.signal?.aborted === true) controller.abort();
  const headers: Record<string, string> = { accept: request.accept };
  const form = request.form === undefined ? null : new URLSearchParams(request.form).toString();
  if (form !== null) headers["content-type"] = "application/x-www-form-urlencoded";
  if (request.credentials) {
    const { username, password } = request.credentials;
    headers["authorization"] = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  }
  try {
    const response = await fetch(url.href, {
      headers,
      ...(form !== null && { method: "POST", body: form }),
      redirect: "manual",
      compress: false,
      agent: request.agent ?? ONE_OFF_AGENT,
      signal: controller.signal,
    });
    const answeredAtMs = now();
    checkStatus(response, url, request.what, request.credentials !== undefined);
    readingBody = true;
    const { body, complete } = await readCapped(response, limits, request, () => controller.abort());
    if (!complete) controller.abort(); // the socket of a cut-off answer is not reused
    return { text: body.toString(request.encoding), answeredAtMs, complete };
  } catch (error) {
    controller.abort(); // frees the socket of an answer we did not read to its end
    throw translate(error, url, limits, timedOut, readingBody, request.what);
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/** Fetches an old PIKO's status page with Basic auth, decoded as latin1 (the page declares ISO-8859-1). */
export async function fetchStatusPage(
  url: URL,
  credentials: Credentials,
  options: Pick<InverterRequest, "limits" | "agent" | "signal" | "now" | "form"> = {},
): Promise<FetchedPage> {
  const { text, answeredAtMs } = await fetchInverterText(url, {
    ...options,
    credentials,
    accept: "text/html",
    what: "the status page",
    encoding: "latin1",
  });
  return { html: text, answeredAtMs };
}
