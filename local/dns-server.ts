import fs from 'node:fs';
import dns2 from 'dns2';
import { freePort } from './emulator.ts';

const { Packet } = dns2;

type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

/**
 * A real authoritative DNS server on loopback (npm `dns2`, UDP and TCP on one free port), serving
 * a zone the caller edits as a DNS host's panel would: what the domain checks of tests, the bench
 * and `npm start` resolve through Node's resolver (`RUNWAY_DNS_SERVERS=127.0.0.1:<port>`).
 * Answers as an authoritative server does: a name with a CNAME answers it for every type and
 * follows it inside the zone; a name with records but none of the asked type is NODATA; a name
 * with none is NXDOMAIN.
 */
export interface LocalDnsServer {
  /** `127.0.0.1:<port>`, for `RUNWAY_DNS_SERVERS`. */
  address: string;
  port: number;
  /** Replaces the records of one type at `name` (an empty list removes them). */
  set(name: string, type: RecordType, values: string[]): void;
  /** Removes every record of `name`. */
  remove(name: string): void;
  /** Queries answered so far. */
  queries(): number;
  close(): Promise<void>;
}

/** A zone as `npm start` keeps it on disk: `{ "<name>": { "TXT": ["…"], "CNAME": ["…"] } }`. */
export type ZoneFile = Record<string, Partial<Record<RecordType, string[]>>>;

export interface DnsServerOptions {
  /** @default a free port */
  port?: number;
  /**
   * Keep the zone in this JSON file ({@link ZoneFile}): read again whenever it changed (so
   * `npm run admin -- dns-set` or an editor can change it while the server runs), written by `set`.
   */
  zoneFile?: string;
}

/** Writes one record set into a zone file (an empty `values` removes it). */
export function setInZoneFile(file: string, name: string, type: RecordType, values: string[]): void {
  const zone: ZoneFile = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ZoneFile) : {};
  const key = name.toLowerCase().replace(/\.$/, '');
  const records = zone[key] ?? {};
  if (values.length) records[type] = values;
  else delete records[type];
  if (Object.keys(records).length) zone[key] = records;
  else delete zone[key];
  fs.writeFileSync(file, `${JSON.stringify(zone, null, 2)}\n`);
}

export async function startDnsServer(options: DnsServerOptions = {}): Promise<LocalDnsServer> {
  const zone = new Map<string, Map<RecordType, string[]>>();
  let loadedAt = -1;
  const reload = () => {
    if (!options.zoneFile) return;
    const mtime = fs.existsSync(options.zoneFile) ? fs.statSync(options.zoneFile).mtimeMs : 0;
    if (mtime === loadedAt) return;
    loadedAt = mtime;
    zone.clear();
    if (!mtime) return;
    for (const [name, records] of Object.entries(JSON.parse(fs.readFileSync(options.zoneFile, 'utf8')) as ZoneFile)) {
      zone.set(name, new Map(Object.entries(records) as Array<[RecordType, string[]]>));
    }
  };
  let answered = 0;
  const key = (name: string) => name.toLowerCase().replace(/\.$/, '');

  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      answered++;
      reload();
      const response = Packet.createResponseFromRequest(request);
      // dns2's typings want parsed Resource objects; the encoder takes plain records (its README).
      const answers = response.answers as unknown as Array<Record<string, unknown>>;
      response.header.aa = 1;
      const [question] = request.questions;
      if (!question) return send(response);
      const wanted = Packet.typeName(question.type) as RecordType;
      let name = key(question.name);
      if (!zone.has(name)) response.header.rcode = Packet.RCODE.NXDOMAIN;
      // Follow CNAMEs inside the zone (at most a few, as resolvers do).
      for (let hops = 0; hops < 8 && zone.has(name); hops++) {
        const records = zone.get(name) as Map<RecordType, string[]>;
        const cname = records.get('CNAME')?.[0];
        if (cname && wanted !== 'CNAME') {
          answers.push({ name, type: Packet.TYPE.CNAME, class: Packet.CLASS.IN, ttl: 1, domain: cname });
          name = key(cname);
          continue;
        }
        for (const value of records.get(wanted) ?? []) {
          const data = wanted === 'TXT' ? { data: value } : wanted === 'CNAME' ? { domain: value } : { address: value };
          answers.push({ name, type: Packet.TYPE[wanted], class: Packet.CLASS.IN, ttl: 1, ...data });
        }
        break;
      }
      send(response);
    },
  });
  const port = options.port ?? (await freePort());
  reload();
  await server.listen({ udp: { port, address: '127.0.0.1' }, tcp: { port, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${port}`,
    port,
    set(name, type, values) {
      if (options.zoneFile) {
        setInZoneFile(options.zoneFile, name, type, values);
        return reload();
      }
      const records = zone.get(key(name)) ?? new Map<RecordType, string[]>();
      if (values.length) records.set(type, values);
      else records.delete(type);
      if (records.size) zone.set(key(name), records);
      else zone.delete(key(name));
    },
    remove(name) {
      if (options.zoneFile) {
        for (const type of ['A', 'AAAA', 'CNAME', 'TXT'] as const) setInZoneFile(options.zoneFile, name, type, []);
        return reload();
      }
      zone.delete(key(name));
    },
    queries: () => answered,
    close: () => server.close(),
  };
}
