import { OutputUnavailable, PublishRejected } from "../outputErrors.js";

/**
 * The Azure SDK's errors in the output's words: a failed send as one of the output's two error types, and a failed
 * connection as a sentence that says what is wrong.
 */

/**
 * SDK errors (azure-iot-common) that are about the message itself: sending it again fails again. The SDK checks
 * the size itself before publishing (256 KiB, MessageTooLargeError), and refuses a bad output name or property
 * as FormatError or ArgumentError. Matched by `name`, which the SDK sets on each of its errors: robust against a
 * second copy of azure-iot-common, and it keeps the SDK out of whoever only needs the translation.
 */
const FINAL_FOR_THE_MESSAGE = new Set([
  "MessageTooLargeError",
  "FormatError",
  "ArgumentError",
  "ArgumentOutOfRangeError",
]);

/**
 * A failed `sendOutputEvent` as one of the output's two error types, the SDK's error kept as cause. Final for the
 * message: the errors above. Everything else is the connection's, and transient: NotConnectedError, TimeoutError,
 * our own send deadline, throttling and quota (they pass), ServiceUnavailable and InternalServerError, and also
 * UnauthorizedError: over MQTT 3.1.1 edgeHub has no per-message refusal, so an UnauthorizedError during a send
 * is the (re)connect being refused (a token renewed late, ECONNREFUSED on a first open: iot-edge.md, 1). Dropping
 * the message for it would empty the whole queue while edgeHub restarts; the session replaces the client instead.
 * `inFlight` is false: the SDK retries a send internally across reconnects, so a transient failure says nothing
 * against this message, and a message edgeHub cannot take is caught by the SDK's own size check above.
 */
export function translateSendError(error: unknown, output: string): PublishRejected | OutputUnavailable {
  if (error instanceof PublishRejected || error instanceof OutputUnavailable) return error;
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (FINAL_FOR_THE_MESSAGE.has(name))
    return new PublishRejected(output, null, `cannot be sent to edgeHub: ${name}: ${message}`, {
      cause: error,
    });
  return new OutputUnavailable(`sending to edgeHub failed: ${message}`, false, { cause: error });
}

/** The SDK's words for any failure of a client's first connection, whatever its cause (azure-iot-device-mqtt). */
const FIRST_CONNECTION =
  /^(?:mqtt\.js returned )?Failure on first connection \(Not authorized\): (.*?)(?: error)?$/s;
const UNREACHABLE =
  /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)\b/;
const TLS = /certificate|self[- ]signed|\bCERT_|\bSSL|\bTLS|handshake/i;
const REFUSED = /not authori[sz]ed|bad username or password|connection refused/i;

/**
 * Why opening an edgeHub connection failed, in words. The SDK calls every failure of a client's first connection
 * "Not authorized" (and the session opens a new client for every attempt), so a refused or unreachable edgeHub
 * would read as wrong credentials: the cause it wraps (its `transportError`) decides the words instead.
 */
export function connectFailure(error: unknown): string {
  const transport = (error as { transportError?: unknown } | null)?.transportError;
  const message = [transport, error]
    .map((e) => (e instanceof Error ? e.message : typeof e === "string" ? e : ""))
    .find((m) => FIRST_CONNECTION.test(m));
  if (message === undefined) return error instanceof Error ? error.message : String(error);
  const cause = FIRST_CONNECTION.exec(message)?.[1] ?? message;
  if (UNREACHABLE.test(cause)) return `edgeHub is unreachable (${cause})`;
  if (TLS.test(cause))
    return `the TLS connection to edgeHub failed (${cause}): check the CA it is trusted with (EdgeModuleCACertificateFile or the workload API's trust bundle)`;
  if (REFUSED.test(cause))
    return `edgeHub refused the module's connection (${cause}): check its identity and key`;
  return `the connection to edgeHub failed (${cause})`;
}
