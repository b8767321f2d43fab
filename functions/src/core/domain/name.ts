import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Custom domain names: IDNA (UTS #46, through Node's WHATWG URL implementation) to the ASCII
 * (punycode) form that is stored and served, then the DNS rules of RFC 1035 §2.3.4 / RFC 1123
 * §2.1 on that form: at most 253 characters, labels of 1–63 letters, digits and inner hyphens, at
 * least two labels, a top-level label that is not all digits (so no IP address). A wildcard
 * `*.example.com` is one leading `*` label over such a name.
 */

export const MAX_DOMAIN_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface DomainName {
  /** The stored form: lowercase ASCII, punycode for IDNs, `*.` kept for a wildcard. */
  ascii: string;
  /** The same name as people read it (Unicode labels). */
  unicode: string;
  /** The name without `*.`: where the ownership TXT record lives. */
  base: string;
  wildcard: boolean;
}

/**
 * Parses a domain as a person typed it (`Bücher.Example`, `www.example.com.`, `*.example.com`).
 * @returns the name, or a sentence saying what is wrong with it
 */
export function parseDomainName(input: string): DomainName | { problem: string } {
  const trimmed = input.trim().replace(/\.$/, '');
  const wildcard = trimmed.startsWith('*.');
  const rest = wildcard ? trimmed.slice(2) : trimmed;
  if (rest.includes('*')) return { problem: 'only a leading "*." label is allowed (a wildcard of one level)' };
  const ascii = rest === '' ? '' : domainToASCII(rest);
  if (ascii === '') return { problem: 'is not a valid internationalized domain name' };
  if (ascii.length > MAX_DOMAIN_LENGTH - (wildcard ? 2 : 0)) return { problem: `is longer than ${MAX_DOMAIN_LENGTH} characters` };
  const labels = ascii.split('.');
  if (labels.length < 2) return { problem: 'needs at least two labels (example.com)' };
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) return { problem: `label "${bad}" is not a DNS label (1-63 letters, digits and inner hyphens)` };
  if (/^\d+$/.test(labels[labels.length - 1] as string)) return { problem: 'is an IP address, not a domain name' };
  const prefix = wildcard ? '*.' : '';
  return { ascii: prefix + ascii, unicode: prefix + domainToUnicode(ascii), base: ascii, wildcard };
}

/** The Unicode form of a stored (ASCII) name, for display. */
export function unicodeOf(ascii: string): string {
  return ascii.startsWith('*.') ? `*.${domainToUnicode(ascii.slice(2))}` : domainToUnicode(ascii);
}

/** Whether `host` is `domain` or under it. */
export function isUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** The apex-ness the records depend on: a name of exactly two labels (`example.com`) gets no CNAME. */
export function isApex(ascii: string): boolean {
  return ascii.split('.').length === 2;
}
