import { sanitiseInverterId } from "../../reading/reading.js";
import { fetchInverterText, type DeviceEdges } from "../pageFetcher.js";
import { readMpplusDocument, type MpplusContent } from "./mpplusReader.js";

/**
 * `/all.xml` holds every section of an MP plus document (Measurements, Yields, Versions, State) in one answer;
 * the other documents (`/measurements.xml`, `/yields.xml`, ...) are parts of it (piko-mpplus-xml/SOURCES.md).
 */
export const MPPLUS_PATH = "/all.xml";

export interface MpplusPoll {
  content: MpplusContent;
  /** The id the device names itself by (its serial, else its network name, sanitised). */
  deviceId: string;
  answeredAtMs: number;
}

/** One poll of a PIKO MP plus: its whole XML document in one request, read without a login. */
export async function fetchMpplusPoll(origin: URL, edges: DeviceEdges): Promise<MpplusPoll> {
  const answer = await fetchInverterText(new URL(MPPLUS_PATH, origin), {
    ...edges,
    credentials: undefined,
    accept: "application/xml, text/xml",
    what: "an MP plus XML document",
    encoding: "utf8",
  });
  const content = readMpplusDocument(answer.text);
  const deviceId = sanitiseInverterId(content.identity.serial ?? content.name);
  return { content, deviceId, answeredAtMs: answer.answeredAtMs };
}
