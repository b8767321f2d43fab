import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FILE = path.resolve(import.meta.dirname, 'RESULTS.md');

/**
 * Replaces (or appends) one benchmark's section of bench/RESULTS.md, delimited by
 * `<!-- bench:<id> -->` markers, headed with the machine and the date.
 */
export function writeResultsSection(id: string, title: string, lines: string[], date: string): void {
  const begin = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const existing = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '# Benchmark results\n\nLatest figures of `npm run bench:*`. Each section is rewritten by its benchmark.\n';
  const section = [
    begin,
    `## ${title}`,
    '',
    `Machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; moto server as the emulator; ${date.slice(0, 10)}.`,
    '',
    ...lines,
    end,
  ].join('\n');
  const start = existing.indexOf(begin);
  const stop = existing.indexOf(end);
  const next = start >= 0 && stop > start ? existing.slice(0, start) + section + existing.slice(stop + end.length) : `${existing.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(FILE, next);
}
