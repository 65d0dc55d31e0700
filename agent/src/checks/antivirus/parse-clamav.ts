/**
 * ClamAV signature freshness. Every .cvd/.cld database starts with a 512-byte text header
 * `ClamAV-VDB:<build time>:<version>:<sigs>:<level>:<md5>:<dsig>:<builder>:<unix time>`;
 * the build time uses '-' between hours and minutes because ':' separates fields.
 */

export interface CvdHeader {
  version: number | null;
  signatures: number | null;
  builtAt: Date | null;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export function parseCvdHeader(head: string): CvdHeader | null {
  const line = head.slice(0, 512).replace(/\0.*$/s, '').trim();
  if (!line.startsWith('ClamAV-VDB:')) return null;
  const f = line.split(':');
  const int = (s: string | undefined) => (s && /^\d+$/.test(s.trim()) ? Number(s.trim()) : null);
  let builtAt: Date | null = null;
  const stime = int(f[8]);
  if (stime) builtAt = new Date(stime * 1000);
  else {
    // "14 Apr 2024 07-34 -0400"
    const m = /^(\d{1,2}) (\w{3}) (\d{4}) (\d{2})-(\d{2}) ([+-]\d{4})$/.exec((f[1] ?? '').trim());
    const mon = m ? MONTHS.indexOf(m[2].toLowerCase()) : -1;
    if (m && mon >= 0) {
      const off = (Number(m[6].slice(0, 3)) * 60 + Math.sign(Number(m[6].slice(0, 3)) || 1) * Number(m[6].slice(3))) * 60_000;
      builtAt = new Date(Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5])) - off);
    }
  }
  return { version: int(f[2]), signatures: int(f[3]), builtAt };
}

/** `clamscan --version` → "ClamAV 1.0.5/27245/Sun Apr 14 08:34:47 2024" (db part absent without databases). */
export function parseClamscanVersion(text: string): { engine: string; dbVersion: number | null; dbDate: Date | null } | null {
  const m = /^ClamAV (\S+?)(?:\/(\d+)\/(.+))?$/m.exec(text.trim());
  if (!m) return null;
  const d = m[3] ? new Date(`${m[3].trim()} UTC`) : null;
  return { engine: m[1], dbVersion: m[2] ? Number(m[2]) : null, dbDate: d && !Number.isNaN(d.getTime()) ? d : null };
}

/** clamd.conf → DatabaseDirectory (default /var/lib/clamav). */
export function clamdDatabaseDir(conf: string): string {
  const m = /^\s*DatabaseDirectory\s+(\S+)/m.exec(conf);
  return m ? m[1] : '/var/lib/clamav';
}

/** clamd's command line → the config file it was started with, if any. */
export function clamdConfigFromCmdline(cmdline: string): string | null {
  const m = /(?:^|\s)(?:-c|--config-file)(?:=|\s+)(\S+)/.exec(cmdline);
  return m ? m[1] : null;
}
