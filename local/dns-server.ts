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

export async function startDnsServer(): Promise<LocalDnsServer> {
  const zone = new Map<string, Map<RecordType, string[]>>();
  let answered = 0;
  const key = (name: string) => name.toLowerCase().replace(/\.$/, '');

  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      answered++;
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
  const port = await freePort();
  await server.listen({ udp: { port, address: '127.0.0.1' }, tcp: { port, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${port}`,
    port,
    set(name, type, values) {
      const records = zone.get(key(name)) ?? new Map<RecordType, string[]>();
      if (values.length) records.set(type, values);
      else records.delete(type);
      if (records.size) zone.set(key(name), records);
      else zone.delete(key(name));
    },
    remove(name) {
      zone.delete(key(name));
    },
    queries: () => answered,
    close: () => server.close(),
  };
}
