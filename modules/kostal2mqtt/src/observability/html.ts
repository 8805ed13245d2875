/**
 * Escapes text for HTML content and double-quoted attribute values. Everything the status page shows passes here:
 * an inverter's name, its status text and error messages come from the device or the network (untrusted input).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
