/**
 * Direct method calls in flight: each has a request id (`$rid`), belongs to one module and ends with the
 * module's `$iothub/methods/res/{status}/?$rid=` publish, or with a timeout (IoT Hub answers 504 then).
 */

export interface MethodResult {
  status: number;
  /** The response body parsed as JSON; the raw text if it is not JSON; undefined if empty. */
  payload: unknown;
}

export type MethodFailure = "not-connected" | "not-subscribed" | "timeout" | "stopped";

export class MethodInvocationError extends Error {
  override readonly name = "MethodInvocationError";

  constructor(
    message: string,
    readonly reason: MethodFailure,
  ) {
    super(message);
  }
}

interface PendingCall {
  moduleId: string;
  methodName: string;
  resolve(result: MethodResult): void;
  reject(error: MethodInvocationError): void;
  timer: NodeJS.Timeout;
}

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // the SDK always sends JSON; anything else is handed back unchanged for the test to see
  }
}

export class PendingMethodCalls {
  private readonly calls = new Map<string, PendingCall>();
  private lastRequestId = 0;

  /** Registers a call and returns its request id and its eventual result. */
  begin(
    moduleId: string,
    methodName: string,
    timeoutMs: number,
  ): { rid: string; result: Promise<MethodResult> } {
    const rid = (++this.lastRequestId).toString(16);
    const result = new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(rid);
        reject(
          new MethodInvocationError(
            `method ${methodName} on ${moduleId} timed out after ${timeoutMs} ms`,
            "timeout",
          ),
        );
      }, timeoutMs);
      this.calls.set(rid, { moduleId, methodName, resolve, reject, timer });
    });
    return { rid, result };
  }

  /** Settles the call `rid` of `moduleId`. False if there is no such call (late, foreign or made up). */
  complete(moduleId: string, rid: string, status: number, body: Buffer): boolean {
    const call = this.calls.get(rid);
    if (call === undefined || call.moduleId !== moduleId) return false;
    this.calls.delete(rid);
    clearTimeout(call.timer);
    call.resolve({ status, payload: parseBody(body) });
    return true;
  }

  /** Fails one call that could not be sent. */
  fail(rid: string, error: MethodInvocationError): void {
    const call = this.calls.get(rid);
    if (call === undefined) return;
    this.calls.delete(rid);
    clearTimeout(call.timer);
    call.reject(error);
  }

  /** Fails every call in flight (the emulator stops for good). */
  failAll(reason: MethodFailure, message: string): void {
    for (const rid of [...this.calls.keys()]) this.fail(rid, new MethodInvocationError(message, reason));
  }
}
