/**
 * Parses CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and newlines;
 * CRLF or LF line ends). Returns rows of fields; blank lines are dropped.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', quoted = false, i = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // byte-order mark
  const endRow = () => { row.push(field); if (row.length > 1 || row[0] !== '') rows.push(row); row = []; field = ''; };
  while (i < s.length) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n') endRow();
    else if (ch !== '\r') field += ch;
    i++;
  }
  if (quoted) throw new SyntaxError(`CSV ends inside a quoted field (line ${rows.length + 1}): a closing " is missing.`);
  if (field !== '' || row.length) endRow();
  return rows;
}
