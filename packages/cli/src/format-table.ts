/**
 * Lays out rows as a plain-text table: columns padded to their widest cell, two spaces apart,
 * `right` columns aligned right, no trailing spaces.
 *
 * @example
 * formatTable(['NAME', 'TOKENS'], [['a', '1,200']], { right: [1] })
 * // 'NAME  TOKENS\na      1,200'
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  { right = [] }: { right?: readonly number[] } = {},
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        right.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/**
 * A text progress bar of `width` cells for a share (0 … 1, clamped).
 *
 * @example
 * textBar(0.5, 10) // '█████░░░░░'
 */
export function textBar(share: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round((Number.isFinite(share) ? share : 1) * width)))
  return '█'.repeat(filled) + '░'.repeat(width - filled)
}
