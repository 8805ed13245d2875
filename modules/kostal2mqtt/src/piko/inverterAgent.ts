import { Agent, type AgentOptions, type ClientRequest, type IncomingMessage } from "node:http";

/**
 * The HTTP agent of every request to an inverter. node-fetch 2 hands the answer's body on with `pipe`, which does
 * not pass errors on: an answer with a Content-Length that the device cuts off (it closes the connection early)
 * would leave the body waiting until the timeout, and the message would blame a silent device. node-fetch ends the
 * body with its request's error (its own remedy for chunked answers cut short), so this agent reports an answer
 * that closed before it was complete as an error of its request: the body then fails at once, with what came
 * before it kept by whoever reads it (a partial history download).
 *
 * `addRequest` is the step where Node's ClientRequest hands itself to its agent; it is not in Node's documentation
 * but has not changed since Node 0.x, and agent libraries build on it. The cut-off tests of pageFetcher and the
 * history download fail if it ever stops being called.
 */
export class InverterAgent extends Agent {
  addRequest(request: ClientRequest, options: unknown): void {
    request.once("response", (answer: IncomingMessage) => {
      answer.once("close", () => {
        // Only node-fetch listens for the request's errors here; without a listener there is nobody to tell.
        if (!answer.complete && request.listenerCount("error") > 0) request.emit("error", new AnswerCutOff());
      });
    });
    (Agent.prototype as unknown as AgentInternals).addRequest.call(this, request, options);
  }
}

interface AgentInternals {
  addRequest(this: Agent, request: ClientRequest, options: unknown): void;
}

/** The device closed the connection before the whole answer arrived. */
export class AnswerCutOff extends Error {
  readonly code = "ECONNRESET";

  constructor() {
    super("the connection closed before the whole answer arrived");
    this.name = "AnswerCutOff";
  }
}

/** One device's agent: one kept-alive socket, so that its requests take turns on it (piko.md). */
export function deviceAgent(): InverterAgent {
  return new InverterAgent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 } satisfies AgentOptions);
}

/** For a request made without a device's agent (a one-off command): a fresh connection each time. */
export const ONE_OFF_AGENT = new InverterAgent({ keepAlive: false });
