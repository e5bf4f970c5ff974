// Loading a configuration file: defaults, merging, and every kind of problem
// with its key path, position and hint, all reported at once.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG, filePathKeys, loadConfig, parseConfig } from '../../src/config/index.js';
import { brief, check, ROOT, shown } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'policy-engine-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('defaults', () => {
  test.each([
    ['an empty file', ''],
    ['only comments', '# nothing here\n\n# yet\n'],
    ['an empty mapping', '{}\n'],
    ['a document marker', '---\n'],
  ])('%s is valid: every key takes its default, no notes', (_name, text) => {
    const r = parseConfig(text, 'config.yaml');
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.config).toEqual(DEFAULT_CONFIG);
    expect(r.notes).toEqual([]);
    expect(r.fromEnv).toEqual([]);
  });

  test('a section changes only the keys it writes; lists are replaced', () => {
    const r = check(['server:', '  http:', '    enabled: false', '    cors_allowed_origins: ["https://a.example.com"]', 'logging:', '  level: debug']);
    expect(r.problems).toEqual([]);
    expect(r.config.server.http).toEqual({ ...DEFAULT_CONFIG.server.http, enabled: false, cors_allowed_origins: ['https://a.example.com'] });
    expect(r.config.server.listen_address).toBe(DEFAULT_CONFIG.server.listen_address);
    expect(r.config.server.grpc).toEqual(DEFAULT_CONFIG.server.grpc);
    expect(r.config.logging).toEqual({ ...DEFAULT_CONFIG.logging, level: 'debug' });
    expect(r.config.cache).toEqual(DEFAULT_CONFIG.cache);
  });

  test('the defaults are not shared with (or changed by) a result', () => {
    const r = check(['server:', '  http:', '    cors_allowed_origins: ["https://a.example.com"]']);
    expect(r.config.server.http.cors_allowed_origins).not.toBe(DEFAULT_CONFIG.server.http.cors_allowed_origins);
    expect(DEFAULT_CONFIG.server.http.cors_allowed_origins).toEqual(['*']);
    expect(parseConfig('', 'x').config.server.http.cors_allowed_origins).not.toBe(DEFAULT_CONFIG.server.http.cors_allowed_origins);
  });

  test('JSON is YAML too', () => {
    const r = parseConfig('{ "server": { "listen_address": "127.0.0.1:50051" }, "logging": { "format": "plain" } }', 'config.json');
    expect(r.problems).toEqual([]);
    expect(r.config.server.listen_address).toBe('127.0.0.1:50051');
    expect(r.config.logging.format).toBe('plain');
  });

  test('every valid form of address', () => {
    for (const a of ['0.0.0.0:50051', '127.0.0.1:1', 'localhost:65535', '[::]:8080', '[::1]:9191', 'policy-engine.svc.cluster.local:50051']) {
      const r = check(['server:', `  listen_address: "${a}"`, '  http:', '    listen_address: "127.0.0.1:18080"']);
      expect(r.problems, a).toEqual([]);
      expect(r.config.server.listen_address).toBe(a);
    }
  });
});

describe('problems, with key paths and positions', () => {
  test('every problem of a file is reported, in file order, each with its position and source line', () => {
    const lines = [
      'server:', //                                      1
      '  listen_address: 0.0.0.0', //                    2  no port
      '  http:', //                                      3
      '    listen_adress: "0.0.0.0:8080"', //            4  unknown key
      '    enabled: yes', //                             5  not a boolean
      'logging:', //                                     6
      '  level: verbose', //                             7  not an enum value
      'metrics:', //                                     8
      '  prometheus:', //                                9
      '    port: 70000', //                              10 out of range
      'tracing:', //                                     11
      '  opentelemetry:', //                             12
      '    sample_rate: 1.5', //                         13 out of range
    ];
    const r = check(lines);
    expect(r.ok).toBe(false);
    expect(brief(r.problems)).toEqual([
      '2:19 invalid-value server.listen_address',
      '4:5 unknown-key server.http.listen_adress',
      '5:14 invalid-type server.http.enabled',
      '7:10 invalid-value logging.level',
      '10:11 invalid-value metrics.prometheus.port',
      '13:18 invalid-value tracing.opentelemetry.sample_rate',
    ]);
    for (const p of r.problems) {
      expect(p.sourceLine, p.code).toBe(lines[p.pos!.line - 1]);
      expect(p.severity).toBe('error');
      expect(p.pos!.file).toBe('config.yaml');
      // Messages start with the key path.
      expect(p.message.startsWith(p.path) || p.message.startsWith(`unknown key '${p.path.split('.').at(-1)}'`), p.message).toBe(true);
    }
    expect(r.problems[1]!.length).toBe('listen_adress'.length);
  });

  test('unknown keys: did you mean, the section a key belongs to, the allowed keys', () => {
    const r = check(['server:', '  http:', '    cors_origins: ["*"]', '    listenAddress: "0.0.0.0:8080"', 'level: debug', 'tracing:', '  jaegr: {}', 'servr: {}']);
    expect(brief(r.problems)).toEqual([
      '3:5 unknown-key server.http.cors_origins',
      '4:5 unknown-key server.http.listenAddress',
      '5:1 unknown-key level',
      '7:3 unknown-key tracing.jaegr',
      '8:1 unknown-key servr',
    ]);
    const [origins, camel, level, jaeger, server] = r.problems;
    expect(origins!.message).toBe("unknown key 'cors_origins' in server.http");
    expect(origins!.hint).toBe("did you mean 'cors_allowed_origins'? allowed keys are: enabled, listen_address, cors_enabled, cors_allowed_origins");
    expect(camel!.hint).toMatch(/^did you mean 'listen_address'\?/);
    expect(level!.message).toBe("unknown key 'level' at the top level");
    expect(level!.hint).toMatch(/^'level' is a key of 'logging'; sections are: server, registry, cache, runtime, integrations, logging, metrics, tracing, audit, features, debug, limits, pricing$/);
    expect(jaeger!.hint).toMatch(/^did you mean 'jaeger'\?/);
    expect(server!.hint).toMatch(/^did you mean 'server'\?/);
  });

  test('types: quoted numbers and booleans, units, sections, empty values', () => {
    const r = check([
      'server:',
      '  limits:',
      '    max_request_size_mb: 10MB',
      '    max_connections: "100"',
      '  http:',
      '    enabled: "true"',
      '    cors_allowed_origins: "*"',
      'logging: info',
      'metrics:',
      '  prometheus:',
      '    port:',
      'runtime:',
      '  worker_threads: 2.5',
      'audit:',
      '  output: 5',
    ]);
    expect(brief(r.problems)).toEqual([
      '3:26 invalid-type server.limits.max_request_size_mb',
      '4:22 invalid-type server.limits.max_connections',
      '6:14 invalid-type server.http.enabled',
      '7:27 invalid-type server.http.cors_allowed_origins',
      '8:10 invalid-type logging',
      '11:10 invalid-type metrics.prometheus.port',
      '13:19 invalid-type runtime.worker_threads',
      '15:11 invalid-type audit.output',
    ]);
    const hints = Object.fromEntries(r.problems.map((p) => [p.path, `${p.message} | ${p.hint ?? ''}`]));
    expect(hints['server.limits.max_request_size_mb']).toBe("server.limits.max_request_size_mb must be a number, got string '10MB' | write the number alone, 10: the key's name says the unit");
    expect(hints['server.limits.max_connections']).toBe("server.limits.max_connections must be an integer, got string '100' | remove the quotes: 100");
    expect(hints['server.http.enabled']).toBe("server.http.enabled must be true or false, got string 'true' | remove the quotes: true");
    expect(hints['server.http.cors_allowed_origins']).toBe('server.http.cors_allowed_origins must be a list, got string \'*\' | write a list, e.g. ["*"]');
    expect(hints.logging).toMatch(/^logging must be a section \(a mapping of keys\), got string 'info' \| write its keys on the lines below 'logging:', indented; its keys are level, format, /);
    expect(hints['metrics.prometheus.port']).toBe('metrics.prometheus.port must be an integer, got an empty value | write a value after the colon, or remove the key to use the default (default 9090)');
    expect(hints['runtime.worker_threads']).toBe('runtime.worker_threads must be an integer, got number 2.5 | write a whole number, e.g. 3');
    expect(hints['audit.output']).toBe('audit.output must be one of governance, file, stdout; got number 5 | ');
  });

  test('values: enums with a guess, ranges, empty strings, addresses, URLs, origins, paths, hosts', () => {
    const r = check([
      'server:', //                                                        1
      '  listen_address: "http://0.0.0.0:50051"', //                       2
      '  http:', //                                                        3
      '    listen_address: "0.0.0.0:0"', //                                4
      '    cors_allowed_origins: ["https://app.example.com/", "app.example.com", "*", "*"]', // 5
      '  limits:', //                                                      6
      '    request_timeout_seconds: 0', //                                 7
      'cache:', //                                                         8
      '  decision_cache:', //                                              9
      '    eviction_policy: LRU', //                                       10
      '    capacity: 0', //                                                11
      'registry:', //                                                      12
      '  url: "ftp://registry"', //                                        13
      '  local_policy_dir: ""', //                                         14
      'limits:', //                                                        15
      '  redis_url: "localhost:6379"', //                                  16
      'metrics:', //                                                       17
      '  prometheus:', //                                                  18
      '    path: metrics', //                                              19
      '  statsd:', //                                                      20
      '    host: "localhost:8125"', //                                     21
      'integrations:', //                                                  22
      '  llm_shield:', //                                                  23
      '    url: "llm-shield:8080"', //                                     24
      '    retry_attempts: -1', //                                         25
    ]);
    const got = r.problems.map((p) => `${p.pos!.line}:${p.pos!.column} ${p.code} ${p.message} | ${p.hint ?? ''}`);
    expect(got).toEqual([
      "2:19 invalid-value server.listen_address 'http://0.0.0.0:50051' is a URL, not an address to listen on | write host:port without a scheme or path, e.g. 0.0.0.0:50051",
      "4:21 invalid-value server.http.listen_address '0.0.0.0:0' has port 0, out of range | ports are whole numbers from 1 to 65535",
      "5:28 invalid-value server.http.cors_allowed_origins[0] 'https://app.example.com/' is not an origin | an origin has no path, not even a trailing '/': write 'https://app.example.com'",
      "5:56 invalid-value server.http.cors_allowed_origins[1] 'app.example.com' is not an origin | add the scheme: 'https://app.example.com'",
      "5:80 duplicate-value server.http.cors_allowed_origins lists '*' more than once | remove the repeated item",
      '7:30 invalid-value server.limits.request_timeout_seconds must be more than 0, got number 0 | the default is 5',
      "10:22 invalid-value cache.decision_cache.eviction_policy must be one of lru, lfu, ttl; got string 'LRU' | did you mean 'lru'?",
      '11:15 invalid-value cache.decision_cache.capacity must be at least 1, got number 0 | to turn it off, set cache.decision_cache.enabled: false',
      "13:8 invalid-value registry.url 'ftp://registry' is not an http:// or https:// URL | e.g. https://policy-registry.example.com; leave it empty for no registry",
      '14:21 invalid-value registry.local_policy_dir must not be empty | write a value, or remove the key to use the default "/var/lib/policy-engine/policies"',
      "16:14 invalid-value limits.redis_url 'localhost:6379' is not a Redis URL | add the scheme: redis://localhost:6379",
      "19:11 invalid-value metrics.prometheus.path 'metrics' is not a URL path | start it with '/': /metrics",
      "21:11 invalid-value metrics.statsd.host 'localhost:8125' is not a host name or an IP address | write the host alone: the port has a key of its own",
      "24:10 invalid-value integrations.llm_shield.url 'llm-shield:8080' is not an http:// or https:// URL | e.g. http://llm-shield:8080",
      '25:21 invalid-value integrations.llm_shield.retry_attempts must be a whole number from 0 to 100, got number -1 | the default is 2',
    ]);
  });

  test.each([
    ['0.0.0.0', 'has no port', 'write host:port, e.g. 0.0.0.0:50051'],
    ['8080', 'has no host', 'write host:port: 0.0.0.0:8080 listens on every interface, 127.0.0.1:8080 on this machine only'],
    [':8080', 'has no host', 'write host:port: 0.0.0.0:8080 listens on every interface, 127.0.0.1:8080 on this machine only'],
    ['localhost:', 'has no port after the host', 'write host:port, e.g. localhost:50051'],
    ['localhost:http', "has port 'http', which is not a number", 'ports are whole numbers from 1 to 65535, e.g. 50051'],
    ['0.0.0.0:65536', 'has port 65536, out of range', 'ports are whole numbers from 1 to 65535'],
    ['0.0.0.0:08080', "has port '08080' with a leading zero", 'write 8080'],
    ['::1:8080', 'looks like an IPv6 address without brackets', 'put an IPv6 host in brackets, e.g. [::]:50051'],
    ['0.0.0.0:8080/grpc', 'has a path', 'write host:port only, e.g. 0.0.0.0:50051'],
    ['my host:8080', 'contains spaces', 'write host:port, e.g. 0.0.0.0:50051'],
    ['-bad-:8080', "has host '-bad-', which is not a host name or an IP address", 'use letters, digits, \'.\', \'-\' (a name or IPv4 address), or an IPv6 address in brackets, e.g. 0.0.0.0:50051'],
  ])('address %j: %s', (address, problem, hint) => {
    const r = check(['server:', `  listen_address: "${address}"`]);
    expect(r.problems.map((p) => [p.code, p.message, p.hint])).toEqual([['invalid-value', `server.listen_address '${address}' ${problem}`, hint]]);
  });

  test('settings that cannot go together: client_auth without TLS; two servers on one port', () => {
    const r = check(['server:', '  listen_address: "0.0.0.0:8080"', '  tls:', '    client_auth: true', 'metrics:', '  prometheus:', '    port: 8080']);
    expect(brief(r.problems)).toEqual([
      '2:19 port-conflict server.listen_address',
      '4:18 conflicting-settings server.tls.client_auth',
      '7:11 port-conflict metrics.prometheus.port',
      '7:11 port-conflict metrics.prometheus.port',
    ]);
    expect(r.problems[0]!.message).toBe('server.listen_address uses port 8080, which server.http.listen_address (0.0.0.0:8080) uses too: two servers cannot listen on one port');
    expect(r.problems[1]!.hint).toBe('set server.tls.enabled: true (with cert_file and key_file), or remove client_auth');
    expect(r.problems.slice(2).map((p) => p.message)).toEqual([
      'metrics.prometheus.port uses port 8080, which server.http.listen_address (0.0.0.0:8080) uses too: two servers cannot listen on one port',
      'metrics.prometheus.port uses port 8080, which server.listen_address (0.0.0.0:8080) uses too: two servers cannot listen on one port',
    ]);
  });

  test('no port conflict on different hosts, with REST or metrics off', () => {
    expect(check(['server:', '  listen_address: "127.0.0.1:8080"', '  http:', '    listen_address: "10.0.0.5:8080"', 'metrics:', '  prometheus:', '    port: 9191']).problems).toEqual([]);
    expect(check(['server:', '  http:', '    enabled: false', '    listen_address: "0.0.0.0:50051"']).problems).toEqual([]);
    expect(check(['metrics:', '  enabled: false', '  prometheus:', '    port: 8080']).problems).toEqual([]);
    expect(check(['metrics:', '  prometheus:', '    enabled: false', '    port: 8080']).problems).toEqual([]);
    // A wildcard host conflicts with any host.
    expect(brief(check(['server:', '  listen_address: "127.0.0.1:8080"']).problems)).toEqual(['2:19 port-conflict server.listen_address']);
    expect(brief(check(['server:', '  listen_address: "[::]:8080"']).problems)).toEqual(['2:19 port-conflict server.listen_address']);
  });

  test('YAML problems: syntax, duplicate keys, aliases, tags, several documents, not a mapping', () => {
    expect(brief(check(['registry:', '  local_policy_dir: C: /policies']).problems)).toEqual(['2:21 yaml-syntax ']);
    expect(check(['registry:', '  local_policy_dir: C: /policies']).problems[0]!.hint).toBe(`a value containing ': ' must be quoted, e.g. path: "C:/policies"`);
    const dup = check(['logging:', '  level: info', '  level: debug']);
    expect(brief(dup.problems)).toEqual(['3:3 duplicate-key ']);
    expect(dup.problems[0]!.message).toBe("duplicate key 'level': a section cannot have the same key twice");
    expect(dup.problems[0]!.length).toBe(5);
    expect(brief(check(['server:', '  listen_address: *grpc']).problems)).toEqual(['2:19 yaml-alias ']);
    const tag = check(['logging:', '  format: !plain json']);
    expect(brief(tag.problems)).toEqual(['2:11 yaml-warning ']);
    expect(tag.problems[0]!.severity).toBe('warning');
    expect(tag.ok).toBe(true);
    expect(brief(check(['server: {}', '---', 'logging: {}']).problems)).toEqual(['2:1 invalid-document ']);
    const list = check(['- server:', '    listen_address: "0.0.0.0:50051"']);
    expect(list.problems.map((p) => [p.code, p.message, p.hint])).toEqual([
      ['invalid-document', 'the configuration must be a mapping of sections (server:, logging:, ...); got a list', "remove the leading '- ': sections are keys, not list items"],
    ]);
    expect(brief(check('just text\n').problems)).toEqual(['1:1 invalid-document ']);
    // A file that cannot be parsed still yields the defaults.
    expect(check(['logging:', '  level: info', '  level: debug']).config).toEqual(DEFAULT_CONFIG);
  });

  test('aliases that are defined work', () => {
    const r = check(['x-address: &addr "127.0.0.1:50051"'].slice(1).concat(['server:', '  listen_address: &addr "127.0.0.1:50051"', 'debug:', '  enabled: false', 'tracing:', '  jaeger:', '    agent_host: localhost']));
    expect(r.problems).toEqual([]);
  });

  test('with errors, config is a best effort: each bad value is replaced by its default', () => {
    const r = check(['server:', '  listen_address: "127.0.0.1:1"', '  http:', '    listen_address: nope', '    cors_allowed_origins: ["*", "bad/"]', 'logging:', '  level: verbose', '  format: plain', 'bogus: 1']);
    expect(r.ok).toBe(false);
    expect(r.config.server.listen_address).toBe('127.0.0.1:1');
    expect(r.config.server.http.listen_address).toBe(DEFAULT_CONFIG.server.http.listen_address);
    expect(r.config.server.http.cors_allowed_origins).toEqual(DEFAULT_CONFIG.server.http.cors_allowed_origins);
    expect(r.config.logging.level).toBe('info');
    expect(r.config.logging.format).toBe('plain');
    expect('bogus' in r.config).toBe(false);
  });
});

describe('files', () => {
  test('loadConfig reads a file; relative paths in it are relative to its directory', async () => {
    const dir = join(tmp, 'etc');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      ['registry:', '  local_policy_dir: policies', 'server:', '  tls:', '    cert_file: ../tls/server.crt', '    key_file: /abs/server.key', 'pricing:', '  file: ""', 'audit:', '  file:', '    path: ./audit.log'].join('\n'),
    );
    const r = await loadConfig(file);
    expect(shown(r.problems)).toBe('');
    expect(r.file).toBe(file);
    expect(r.config.registry.local_policy_dir).toBe(join(dir, 'policies'));
    expect(r.config.server.tls.cert_file).toBe(join(tmp, 'tls', 'server.crt'));
    expect(r.config.server.tls.key_file).toBe('/abs/server.key');
    expect(r.config.pricing.file).toBe('');
    expect(r.config.audit.file.path).toBe(join(dir, 'audit.log'));
    // Defaults are absolute already; paths from the environment are left as given.
    expect(r.config.logging.file.path).toBe(DEFAULT_CONFIG.logging.file.path);
    const e = await loadConfig(file, { env: { POLICY_ENGINE_POLICY_DIR: 'rel/dir' } });
    expect(e.config.registry.local_policy_dir).toBe('rel/dir');
    // parseConfig leaves paths as written unless given a base directory.
    expect(check(['registry:', '  local_policy_dir: policies']).config.registry.local_policy_dir).toBe('policies');
    expect(check(['registry:', '  local_policy_dir: policies'], { baseDir: '/srv' }).config.registry.local_policy_dir).toBe('/srv/policies');
  });

  test('the keys holding paths', () => {
    expect(filePathKeys()).toEqual([
      'server.tls.cert_file',
      'server.tls.key_file',
      'server.tls.ca_file',
      'registry.auth.token_file',
      'registry.local_policy_dir',
      'logging.file.path',
      'audit.file.path',
      'debug.cpu_profile_path',
      'debug.memory_profile_path',
      'pricing.file',
    ]);
  });

  test('a missing file or a directory is a problem, not an exception', async () => {
    const missing = await loadConfig(join(tmp, 'nope.yaml'));
    expect(missing.ok).toBe(false);
    expect(missing.problems.map((p) => [p.code, p.message])).toEqual([['file-not-found', `no such file: '${join(tmp, 'nope.yaml')}'`]]);
    const dir = await loadConfig(tmp);
    expect(dir.problems.map((p) => p.code)).toEqual(['read-error']);
    expect(dir.problems[0]!.message).toMatch(/it is a directory/);
  });

  test('the examples validate: daemon.yaml without notes, the guide\'s production.yaml with notes for inactive sections', async () => {
    const daemon = await loadConfig(join(ROOT, 'examples', 'config', 'daemon.yaml'));
    expect(shown(daemon.problems)).toBe('');
    expect(daemon.notes).toEqual([]);
    expect(daemon.config.registry.local_policy_dir).toBe(join(ROOT, 'examples', 'policies'));
    expect(daemon.config.server.listen_address).toBe('127.0.0.1:50051');

    const production = await loadConfig(join(ROOT, 'examples', 'config', 'production.yaml'));
    expect(shown(production.problems)).toBe('');
    expect(production.ok).toBe(true);
    expect(production.notes.map((n) => `${n.kind} ${n.path}`)).toEqual([
      'inactive registry.url',
      'inactive integrations.llm_shield.enabled',
      'inactive integrations.llm_costops.enabled',
      'inactive integrations.llm_governance.enabled',
      'inactive tracing.enabled',
      'inactive audit.output',
      'caution server.http.cors_allowed_origins',
    ]);
    expect(production.config.server.tls.enabled).toBe(true);
    expect(production.config.runtime.worker_threads).toBe(8);
  });
});
