/**
 * `npm run bench:state` — what keeping the emulator's state across restarts costs (local/moto_server.py),
 * printed and written to bench/results/state.json and the "Emulator state" section of
 * bench/RESULTS.md. For a growing state (S3 objects of 64 KiB, as deployment files and blobs are,
 * and DynamoDB items): the snapshot's size, how long one save takes (the emulator serves nothing
 * meanwhile), and how long a restart takes until the emulator answers with the state restored.
 * Runs against private emulators on free ports.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMULATOR_AWS_ENV, freePort, startMoto } from '../local/emulator.ts';
import { deployLocalState } from '../local/state.ts';
import { writeResultsSection } from './results-md.ts';

const STEPS = [
  { objects: 100, items: 1_000 },
  { objects: 800, items: 10_000 },
];
const OBJECT_BYTES = 64 * 1024;

Object.assign(process.env, EMULATOR_AWS_ENV);

interface Row {
  objects: number;
  items: number;
  data_mib: number;
  snapshot_mib: number;
  save_ms: number;
  restart_ms: number;
  restore_ms: number;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-bench-state-'));
  const stateFile = path.join(dir, 'emulator.pickle');
  const rows: Row[] = [];
  try {
    const port = await freePort();
    let saves: number[] = [];
    const onLog = (line: string) => {
      const saved = /state saved in (\d+) ms/.exec(line);
      if (saved) saves.push(Number(saved[1]));
    };
    let moto = await startMoto(port, { stateFile, onLog });
    const endpoint = `http://localhost:${port}`;
    const state = await deployLocalState(endpoint);
    const s3 = new S3Client({ endpoint, forcePathStyle: true });
    const db = new DynamoDBClient({ endpoint });
    let objects = 0;
    let items = 0;
    for (const step of STEPS) {
      for (; objects < step.objects; objects++) {
        await s3.send(new PutObjectCommand({ Bucket: state.RUNWAY_ARTIFACT_BUCKET, Key: `blobs/bench/${objects}`, Body: randomBytes(OBJECT_BYTES) }));
      }
      for (; items < step.items; items += 25) {
        const batch = Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: { S: `bench#${items + i}` }, sk: { S: 'item' }, payload: { S: randomBytes(96).toString('hex') } } } }));
        await db.send(new BatchWriteItemCommand({ RequestItems: { [state.RUNWAY_TABLE_NAME]: batch } }));
      }
      // The last save after the writes settle is the full snapshot at this size.
      saves = [];
      await waitFor(() => saves.length > 0, 30_000);
      const saveMs = saves.at(-1)!;
      await moto.stop();
      const snapshotBytes = fs.statSync(stateFile).size;
      let restoreMs = 0;
      const began = performance.now();
      moto = await startMoto(port, { stateFile, onLog: (line) => {
        onLog(line);
        const restored = /state restored from .* in (\d+) ms/.exec(line);
        if (restored) restoreMs = Number(restored[1]);
      } });
      const restartMs = Math.round(performance.now() - began);
      rows.push({ objects, items, data_mib: round((objects * OBJECT_BYTES) / 2 ** 20), snapshot_mib: round(snapshotBytes / 2 ** 20), save_ms: saveMs, restart_ms: restartMs, restore_ms: restoreMs });
      process.stdout.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
    s3.destroy();
    db.destroy();
    await moto.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const date = new Date().toISOString();
  const results = { date, machine: `${os.cpus().length} cores`, object_bytes: OBJECT_BYTES, rows };
  fs.writeFileSync(path.resolve(import.meta.dirname, 'results/state.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeResultsSection('state', 'Emulator state across restarts', [
    '`npm run bench:state`: the emulator\'s state snapshot (local/moto_server.py) as it grows. A save runs a moment after writes and blocks the emulator while it runs; a restart is the time until the emulator answers with the state loaded (Python start-up and moto imports included). Raw figures: `bench/results/state.json`.',
    '',
    '| S3 objects (64 KiB) | DynamoDB items | object data MiB | snapshot MiB | one save ms | restart ms | of which restoring ms |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.objects} | ${r.items} | ${r.data_mib} | ${r.snapshot_mib} | ${r.save_ms} | ${r.restart_ms} | ${r.restore_ms} |`),
    '',
  ], date);
}

const round = (n: number) => Math.round(n * 10) / 10;

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

await main();
