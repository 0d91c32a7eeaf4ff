// Readings as a CSV file made in the browser: a header line, ISO 8601 UTC times and
// numbers with '.' whatever the interface language (spreadsheets and scripts read it).

export interface CsvReading {
  time: string;
  value: number;
}

function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A number as plain decimal text ('.' separator, no exponent for usual meter values). */
export function plainNumber(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // Exponent form only for very large or very small values: spell them out.
  return value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

export function readingsCsv(device: { code: string; name: string; unit: string }, gateway: { code: string }, rows: CsvReading[]): string {
  const lines = ['time,gateway,device,device_name,value,unit'];
  for (const r of rows) {
    lines.push([new Date(r.time).toISOString(), gateway.code, device.code, device.name, plainNumber(r.value), device.unit].map(cell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Offers `text` as a file download without a round trip to the server. */
export function download(text: string, filename: string, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
