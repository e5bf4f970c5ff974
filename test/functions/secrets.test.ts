import { describe, expect, test } from 'vitest';
import { findSecrets } from '../../src/functions/index.js';
import { cel } from './helpers.js';

const found = (text: string): string[] => findSecrets(text).map((f) => `${f.kind}:${text.slice(f.start, f.end)}`);

// Fake credentials in the documented formats (the AWS pair is AWS's own documentation example).
const GHP = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const PAT = 'github_pat_11ABCDEFG0' + '123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456';
const SLACK = 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const HOOK = 'https://hooks.slack.com/services/' + 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const OPENAI = 'sk-proj-' + 'abcDEF123456ghiJKL789012mnoPQR345678stuVWX';
const OPENAI_LEGACY = 'sk-' + 'AbCdEfGhIjKlMnOpQrStT3BlbkFJuVwXyZ0123456789abcd';
const ANTHROPIC = 'sk-ant-api03-' + 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG-xyzAA';
const GOOGLE = 'AIza' + 'SyA-1234567890abcdefghijklmnopqrstu';
const STRIPE = 'sk_live_' + '51HxYzAbCdEfGhIjKlMnOp';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAvRt1aB2cD3eF4gH5\nkL6mN7oP8qR9sT0uV1wX2yZ3==\n-----END RSA PRIVATE KEY-----';

describe('known token formats', () => {
  test.each([
    [`export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE`, ['aws_access_key_id:AKIAIOSFODNN7EXAMPLE']],
    [
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      ['aws_access_key_id:AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ],
    ['creds: AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ['aws_access_key_id:AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']],
    [`token ${GHP} ok`, [`github_token:${GHP}`]],
    [`GITHUB_TOKEN=${PAT}`, [`github_token:${PAT}`]],
    ['glpat-' + 'AbCdEfGhIjKlMnOpQrSt', ['gitlab_token:glpat-AbCdEfGhIjKlMnOpQrSt']],
    [`bot ${SLACK}`, [`slack_token:${SLACK}`]],
    [`post to ${HOOK}`, [`slack_webhook:${HOOK}`]],
    [`OPENAI_API_KEY=${OPENAI}`, [`openai_api_key:${OPENAI}`]],
    [`key ${OPENAI_LEGACY}`, [`openai_api_key:${OPENAI_LEGACY}`]],
    [`x-api-key: ${ANTHROPIC}`, [`anthropic_api_key:${ANTHROPIC}`]],
    [`maps key=${GOOGLE}&q=1`, [`google_api_key:${GOOGLE}`]],
    [`stripe ${STRIPE} and rk_test_abcdefghijklmnop1234`, [`stripe_key:${STRIPE}`, 'stripe_key:rk_test_abcdefghijklmnop1234']],
    [`Authorization: Bearer ${JWT}`, [`jwt:${JWT}`]],
    [`Authorization: Bearer ${GHP}`, [`github_token:${GHP}`]],
    ['Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543', ['bearer_token:8f14e45fceea167a5a36dedd4bea2543']],
    ['curl -H "Authorization: Bearer ya29.a0AfH6SMBx3kLq9w2Z-7_vT" https://x', ['bearer_token:ya29.a0AfH6SMBx3kLq9w2Z-7_vT']],
    ['authorization: bearer Zm9vYmFyMTIzNDU2Nzg5MGFi==', ['bearer_token:Zm9vYmFyMTIzNDU2Nzg5MGFi==']],
    ['send BEARER 0a1b2c3d4e5f6a7b8c9d0e1f. Then', ['bearer_token:0a1b2c3d4e5f6a7b8c9d0e1f']],
    ['auth_token: "Bearer abcdefghij0123456789xyz"', ['bearer_token:abcdefghij0123456789xyz']],
    [`key:\n${PEM}\nafter`, [`private_key:${PEM}`]],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n(truncated)', ['private_key:-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n']],
  ])('%j', (text, expected) => expect(found(text)).toEqual(expected));

  test.each([
    'AKIAIOSFODNN7EXAMPL', // 19 characters
    'XAKIAIOSFODNN7EXAMPLE', // inside a longer token
    'ghp_short',
    'sk-not-a-key',
    'the sk_live_ prefix alone',
    'eyJhbGciOiJIUzI1NiJ9 is only a header',
    '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
    'sha256:2b7d1c4e9f0a6b3d8e5c2a1f7b9d0c4e6a8f1b3d5c7e9a0b2d4f6a8c0e2b4d6f',
    'commit 7f3c9a1e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a',
    'uuid 123e4567-e89b-12d3-a456-426614174000',
    'Authorization: Bearer YOUR_ACCESS_TOKEN_HERE', // no digit: a placeholder
    'Authorization: Bearer <token>',
    'Authorization: Bearer $TOKEN',
    'Authorization: Bearer {{ access_token }}',
    'Authorization: Bearer abc123', // too short for a token
    'Authorization: Bearer your-token-1234567890abcdef',
    'the bearer of this letter, Bearer Bearer Bearer',
    'Bearer0a1b2c3d4e5f6a7b8c9d0e1f', // no space: not the header form
  ])('not a secret: %j', (text) => expect(found(text)).toEqual([]));
});

describe('name = value assignments', () => {
  test.each([
    ['password = "Tr0ub4dor&3"', ['password:Tr0ub4dor&3']],
    ["DB_PASSWORD='s3cr3t-P@ss'", ['password:s3cr3t-P@ss']],
    ['{"password": "hunter2hunter2"}', ['password:hunter2hunter2']],
    ['userPassword: Winter2026!', ['password:Winter2026!']],
    ['login?user=bob&pass=Xy7#kq92z&next=/', ['password:Xy7#kq92z']],
    ['postgres://admin:hunter22@db.internal:5432/app', ['password:hunter22']],
    ['api_key: "zX9kQ2mP7vL4nR8tY1wE"', ['generic_secret:zX9kQ2mP7vL4nR8tY1wE']],
    ['client_secret=7d9f2a1b8c3e4f5a6b7c8d9e0f1a2b3c', ['generic_secret:7d9f2a1b8c3e4f5a6b7c8d9e0f1a2b3c']],
    ['SECRET_KEY = "django-insecure-8h$2k!x9#q"', ['generic_secret:django-insecure-8h$2k!x9#q']],
    // Names that say "password" in full take values of 6 characters or more: weak passwords leak too.
    ['password: hunter2', ['password:hunter2']],
    ['DB_PASSWORD=hunter2', ['password:hunter2']],
    ['{"password": "abc123"}', ['password:abc123']],
    ['passwd=123456', ['password:123456']],
    ['Password: 12345678', ['password:12345678']],
    ['pwd: Xy7#kq92zq', ['password:Xy7#kq92zq']],
  ])('%j', (text, expected) => expect(found(text)).toEqual(expected));

  test.each([
    'password = user_input',
    'password: string',
    'password = get_password()',
    'password="changeme"',
    'PASSWORD=${DB_PASSWORD}',
    'password: ********',
    'password = "short"',
    'password: {{ vault.db_password }}',
    'api_key = os.environ["API_KEY"]',
    'api_key: "your-api-key-here"',
    'token: abc123',
    'max_tokens=4096, temperature: 0.7',
    'bypass = true; compass = "north-north-west"',
    'if password == confirm_password:',
    'postgres://user@db.internal:5432/app',
    'See https://example.com:8443/path for docs',
    // the working directory, not a password
    'pwd: /home/user/projects',
    'PWD=/home/user/src',
    'OLDPWD=~/projects',
    'pwd: ./build',
    'PWD="C:\\Users\\me\\src"',
    // short values: prose, code, other names than password
    'password: see the vault',
    'password: hunter', // letters only: prose or an identifier
    "password: 'letmein'",
    'password: abc12', // 5 characters
    'password: 12345',
    'password = args[1]',
    'password = a.b.c',
    'password: 111111',
    'Boarding pass: AB1234', // "pass" alone keeps the 8-character minimum
    'pwd: abc123',
    'passphrase: abc123',
  ])('not a secret: %j', (text) => expect(found(text)).toEqual([]));

  test('a specific format wins over the generic assignment around it', () => {
    expect(found(`api_key = "${OPENAI}"`)).toEqual([`openai_api_key:${OPENAI}`]);
  });
});

describe('secrets() in CEL', () => {
  test('lists kinds once each, in a fixed order', () => {
    const text = `deploy with ${GHP} and ${OPENAI}; ${PEM}; also ghp_${'z'.repeat(36)}`;
    expect(cel('secrets(t)', { t: text })).toEqual(['private_key', 'github_token', 'openai_api_key']);
    expect(cel("secrets('nothing to see')")).toEqual([]);
    expect(cel("size(secrets(t)) > 0 && 'private_key' in secrets(t)", { t: PEM })).toBe(true);
  });

  test('redact() can remove secrets by kind', () => {
    expect(cel("redact(t, ['github_token', 'private_key'])", { t: `use ${GHP}\n${PEM}\nthanks` })).toBe('use [REDACTED:GITHUB_TOKEN]\n[REDACTED:PRIVATE_KEY]\nthanks');
  });
});
