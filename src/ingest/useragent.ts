/**
 * A User-Agent's class for the `http_useragent` fingerprint (analysis.md §4.1): the
 * `category` (`scanner`, `exploit`, `library`, `browser`, `bot`, `empty`, `other`) and the
 * `tool` when one is recognised. `analysis.md` §1.3's tool guesses read the tool.
 * First match wins; patterns are literal-prefix regexes, linear in the UA's length.
 */

export interface UserAgentClass {
  readonly category: 'scanner' | 'exploit' | 'library' | 'browser' | 'bot' | 'empty' | 'other';
  readonly tool: string | null;
}

const RULES: ReadonlyArray<readonly [RegExp, UserAgentClass['category'], string]> = [
  [/\$\{\s*jndi\s*:/i, 'exploit', 'log4shell'],
  [/\(\)\s*\{\s*:;\s*\}\s*;/, 'exploit', 'shellshock'],
  [/sqlmap/i, 'scanner', 'sqlmap'],
  [/zgrab/i, 'scanner', 'zgrab'],
  [/masscan/i, 'scanner', 'masscan'],
  [/nmap/i, 'scanner', 'nmap'],
  [/nikto/i, 'scanner', 'nikto'],
  [/nuclei/i, 'scanner', 'nuclei'],
  [/gobuster/i, 'scanner', 'gobuster'],
  [/dirbuster/i, 'scanner', 'dirbuster'],
  [/wpscan/i, 'scanner', 'wpscan'],
  [/\bzmap\b/i, 'scanner', 'zmap'],
  [/censys/i, 'scanner', 'censys'],
  [/shodan/i, 'scanner', 'shodan'],
  [/fuzz faster u fool|\bffuf\b/i, 'scanner', 'ffuf'],
  [/^curl\//i, 'library', 'curl'],
  [/^wget\//i, 'library', 'wget'],
  [/python-requests|python-urllib|aiohttp/i, 'library', 'python'],
  [/go-http-client/i, 'library', 'go'],
  [/libwww-perl/i, 'library', 'perl'],
  [/okhttp/i, 'library', 'okhttp'],
  [/googlebot|bingbot|yandexbot|baiduspider|duckduckbot|ahrefsbot|semrushbot/i, 'bot', 'crawler'],
  [/^mozilla\/\d/i, 'browser', ''],
];

export function classifyUserAgent(ua: string): UserAgentClass {
  const text = ua.trim();
  if (text === '' || text === '-') return { category: 'empty', tool: null };
  for (const [re, category, tool] of RULES) if (re.test(text)) return { category, tool: tool === '' ? null : tool };
  return { category: 'other', tool: null };
}
