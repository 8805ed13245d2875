import { fetchInverterText, type DeviceEdges } from "../pageFetcher.js";
import { defaultDxsInverterId, readDxsAnswers, type DxsContent } from "./dxsReader.js";
import { READING_IDS } from "./dxsIds.js";
import { planDxsRequests } from "./dxsRequests.js";

export interface DxsPoll {
  content: DxsContent;
  /** The id the device names itself by (its serial, sanitised), for an inverter configured without one. */
  deviceId: string;
  answeredAtMs: number;
}

/**
 * One poll of a PIKO's `/api/dxs.json` (web UI >= 6): every id the reading needs, planned into requests of at
 * most 25 ids and sent one after another, never two at once (the device's web server serves one exchange at a
 * time, piko.md). The device answers HTTP/1.0 without Content-Length and closes the connection after the body;
 * pageFetcher reads such a body to the close, with its timeout and size cap per request. Reads need no login, so
 * no credentials are sent. The measurement time is when the first answer began.
 */
export async function fetchDxsPoll(origin: URL, edges: DeviceEdges): Promise<DxsPoll> {
  const texts: string[] = [];
  let answeredAtMs: number | null = null;
  for (const path of planDxsRequests(READING_IDS)) {
    const answer = await fetchInverterText(new URL(path, origin), {
      ...edges,
      credentials: undefined,
      accept: "application/json, text/plain",
      what: "a dxs.json answer",
      encoding: "utf8",
    });
    answeredAtMs ??= answer.answeredAtMs;
    texts.push(answer.text);
  }
  const content = readDxsAnswers(texts, READING_IDS);
  return { content, deviceId: defaultDxsInverterId(content.identity), answeredAtMs: answeredAtMs! };
}
