// Number and table formatting for the reports (report*.ts): "–" for what was not measured.
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
export const dec = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "–");
export const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(n >= 0.9995 && n < 1 ? 2 : 1)}%` : "–");
export const kb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(2)} KB` : "–");
export const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : "–");
export const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "–");
export const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
/** A markdown table whose first `textColumns` columns are left-aligned and the rest (numbers) right-aligned. */
export const table = (head: string[], rows: (string | number)[][], textColumns = 1) =>
  [row(head), row(head.map((_, i) => (i < textColumns ? "---" : "---:"))), ...rows.map(row)].join("\n");

/** The median (the lower middle of an even count), or undefined for none. */
export function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[(sorted.length - 1) >> 1] : undefined;
}
