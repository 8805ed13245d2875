/**
 * Request planning for `/api/dxs.json`: the device answers at most 25 ids per request (piko.md), so the wanted ids
 * are split into as few requests as that allows, in the order given. The runtime sends them one after another,
 * never two at once on one device.
 */

export const DXS_PATH = "/api/dxs.json";
export const MAX_IDS_PER_REQUEST = 25;

/** The request paths (with query) that together ask for every id once; duplicates are asked once. */
export function planDxsRequests(ids: readonly number[], maxPerRequest = MAX_IDS_PER_REQUEST): string[] {
  if (!Number.isInteger(maxPerRequest) || maxPerRequest < 1) {
    throw new RangeError(`maxPerRequest must be a positive integer, got ${maxPerRequest}`);
  }
  const unique: number[] = [];
  const seen = new Set<number>();
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 0)
      throw new RangeError(`a dxs id is a non-negative integer, got ${id}`);
    if (seen.has(id)) continue;
    seen.add(id);
    unique.push(id);
  }
  const paths: string[] = [];
  for (let i = 0; i < unique.length; i += maxPerRequest) {
    const query = unique.slice(i, i + maxPerRequest).map((id) => `dxsEntries=${id}`);
    paths.push(`${DXS_PATH}?${query.join("&")}`);
  }
  return paths;
}
