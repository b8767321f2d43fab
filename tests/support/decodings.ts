/** Every decoding a reader could try on a piece of log text. */
export function decodings(text: string): string[] {
  const out = [text, text.replace(/\\(.)/g, '$1')];
  for (const attempt of [() => decodeURIComponent(text), () => decodeURIComponent(text.replace(/\+/g, ' ')), () => JSON.parse(`"${text}"`) as string]) {
    try {
      out.push(attempt());
    } catch {
      // Not URL-encoded or a JSON string body (or cut mid-escape by a marker).
    }
  }
  for (let phase = 0; phase < 4; phase++) out.push(Buffer.from(text.slice(phase), 'base64').toString('utf8'), Buffer.from(text.slice(phase), 'base64url').toString('utf8'));
  if (/^[0-9a-f]*$/i.test(text)) for (let phase = 0; phase < 2; phase++) out.push(Buffer.from(text.slice(phase), 'hex').toString('utf8'));
  return out;
}
