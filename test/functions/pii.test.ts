import { describe, expect, test } from 'vitest';
import { findPii, ibanValid, ipv6Valid, luhnValid, ssnValid } from '../../src/functions/index.js';
import { foldFullWidth } from '../../src/functions/pii.js';
import { cel, celError, envOf } from './helpers.js';
import { scanCorpus } from './scan-corpus.js';

/** `kind:matched text` for every finding. */
const found = (text: string): string[] => findPii(text).map((f) => `${f.kind}:${text.slice(f.start, f.end)}`);

describe('e-mail', () => {
  test.each([
    ['write to jane.doe@example.com today', 'jane.doe@example.com'],
    ['<john+alerts@mail.example.co.uk>', 'john+alerts@mail.example.co.uk'],
    ['Mailto:o\'brien@example.ie.', "o'brien@example.ie"],
    ['x_y-z.1@sub-domain.example.museum', 'x_y-z.1@sub-domain.example.museum'],
    ['idn user@example.xn--p1ai ok', 'user@example.xn--p1ai'],
    ['écrire à jean.dupont@société.fr.', 'jean.dupont@société.fr'],
    ['x@café.example.com', 'x@café.example.com'],
    ['info@bücher.de, bitte', 'info@bücher.de'],
    ['почта иван@почта.рф', 'иван@почта.рф'],
    ['mail josé@example.com', 'josé@example.com'],
    ['a@例子.中国', 'a@例子.中国'],
    ['メールはjohn@example.comまで', 'john@example.com'], // Japanese text runs into the address
    ['메일은 a@b.com으로 보내 주세요', 'a@b.com'], // a Korean particle glued to the address
    ['x@société.xn--p1ai', 'x@société.xn--p1ai'],
  ])('%j', (text, match) => expect(found(text)).toEqual([`email:${match}`]));

  test.each(['x@é', 'x@é.é', 'a@😀.com', 'a@société.fr7', 'a@b.xn--é1', 'x@пример.comрф'])('not an e-mail either: %j', (text) =>
    expect(found(text).filter((f) => f.startsWith('email') && !f.endsWith('.com'))).toEqual([]),
  );

  test('full-width characters are read as the ASCII they stand for (NFKC), at their own offsets', () => {
    const fw = 'Ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ';
    expect(found(`mail ${fw} now`)).toEqual([`email:${fw}`]);
    expect(findPii(`mail ${fw} now`)).toEqual([{ kind: 'email', start: 5, end: 5 + fw.length }]);
    expect(found('電話：０７９１１　１２３４５６、メール：ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ')).toEqual(['phone:０７９１１　１２３４５６', 'email:ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ']);
    expect(found('mixed Ｊｏｈｎ@example.com and 1.2.3.4')).toEqual(['email:Ｊｏｈｎ@example.com', 'ipv4:1.2.3.4']);
    expect(found('ｘ＠ｙ，全角：テスト（１２３）')).toEqual([]);
  });

  // findPii folds the text at its first full-width character and goes on from a place before it,
  // keeping what it found up to there: the same findings as a scan of the folded text.
  test('a text with full-width characters gives the findings of its folded copy', () => {
    const wide = (t: string): string => t.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    const texts = scanCorpus(600, 7).flatMap((t) => {
      const k = Math.floor(t.length / 2);
      return [t, t.slice(0, k) + wide(t.slice(k, k + 40)) + t.slice(k + 40), wide(t.slice(0, 30)) + t.slice(30), `${t}，ｘ`];
    });
    let folded = 0;
    for (const t of texts) {
      const f = foldFullWidth(t);
      if (f !== t) folded++;
      expect(findPii(t), JSON.stringify(t)).toEqual(findPii(f));
    }
    expect(folded).toBeGreaterThan(1500);
  });

  test.each(['@mention in a tweet', 'user@localhost', 'a@b.c', 'git@github', 'name@-bad.com', 'name@bad-.com', 'email me at .@example.com', 'foo@@bar.com'])(
    'not an e-mail: %j',
    (text) => expect(found(text).filter((f) => f.startsWith('email'))).toEqual([]),
  );
});

describe('phone numbers', () => {
  test.each([
    ['call +1 415 555 2671 now', '+1 415 555 2671'],
    ['+14155552671', '+14155552671'],
    ['+44 20 7946 0958', '+44 20 7946 0958'],
    ['+33 1 23 45 67 89', '+33 1 23 45 67 89'],
    ['+49 (0)30 1234567', '+49 (0)30 1234567'],
    ['(415) 555-2671', '(415) 555-2671'],
    ['415-555-2671', '415-555-2671'],
    ['415.555.2671', '415.555.2671'],
    ['1-800-555-0199', '1-800-555-0199'],
    ['tel: 555-123-4567.', '555-123-4567'],
    ['0044 20 7946 0958', '0044 20 7946 0958'],
    ['UK 020 7946 0958', '020 7946 0958'],
    ['FR 01 23 45 67 89', '01 23 45 67 89'],
    ['mobile 07911 123456', '07911 123456'],
    ['call 07700 900123.', '07700 900123'],
    ['07700 900 123', '07700 900 123'],
    ['07911-123456', '07911-123456'],
    ['0791 112 3456', '0791 112 3456'],
  ])('%j', (text, match) => expect(found(text)).toEqual([`phone:${match}`]));

  test('two numbers side by side', () => {
    expect(found('555-123-4567 555-987-6543')).toEqual(['phone:555-123-4567', 'phone:555-987-6543']);
  });

  test.each([
    '4155552671', // bare digits: an id as often as a phone
    'order 12345678901',
    'ID12-555-123-4567', // glued to an identifier
    '1555-123-4567', // inside a longer digit run
    '555-123-45678',
    '+12',
    '123-456-7890', // area code cannot start with 1
    'on 01.02.2024 12 people came',
    '2024-01-15',
    'v4.15.555.2671',
    '07911 12345', // UK mobiles have 11 digits
    '07911 1234567',
    '08911 123456', // 5 + 6 digits only after the mobile prefix 07
    '01234 567890',
    'ref 12345 678901',
    '0791 1123456', // other groupings are not the UK form
    '07911.123456',
    '07911 123-456',
    'order 07911 123456 789', // part of a longer number
    'ID-07911 123456',
  ])('not a phone: %j', (text) => expect(found(text)).toEqual([]));
});

describe('credit cards', () => {
  test.each([
    ['4111 1111 1111 1111', 'Visa, spaces'],
    ['4111-1111-1111-1111', 'Visa, dashes'],
    ['4111111111111111', 'Visa, contiguous'],
    ['5555 5555 5555 4444', 'Mastercard'],
    ['2223003122003222', 'Mastercard 2-series'],
    ['3782 822463 10005', 'Amex 4-6-5'],
    ['6011 1111 1111 1117', 'Discover'],
    ['3530 1113 3330 0000', 'JCB'],
    ['4222222222222', 'Visa, 13 digits'],
  ])('%s (%s)', (card) => expect(found(`card: ${card}, exp 12/29`)).toEqual([`credit_card:${card}`]));

  test.each([
    '4111 1111 1111 1112', // Luhn fails
    '1234 5678 9012 3456', // no issuer starts with 1
    '4111 1111-1111 1111', // mixed separators
    '41111 1111 1111 111', // odd grouping
    '4111 1111 1111 1111 1111 1', // 21 digits
    'ref 79927398713', // Luhn-valid but 11 digits
  ])('not a card: %j', (text) => expect(found(text).filter((f) => f.startsWith('credit_card'))).toEqual([]));

  test('Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('0')).toBe(true);
    expect(luhnValid('12a4')).toBe(false);
  });
});

describe('US social security numbers', () => {
  test.each(['123-45-6789', '123 45 6789', '219-09-9999'])('%j', (ssn) => expect(found(`ssn ${ssn}`)).toEqual([`us_ssn:${ssn}`]));

  test('nine bare digits only right after "SSN" or "social security"', () => {
    expect(found('SSN: 123456789')).toEqual(['us_ssn:123456789']);
    expect(found('my social security number is 123456789')).toEqual(['us_ssn:123456789']);
    expect(found('invoice 123456789')).toEqual([]);
  });

  test.each(['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567', '123-45-0000', '123-45 6789', '1234-56-789'])('invalid: %j', (ssn) =>
    expect(found(ssn).filter((f) => f.startsWith('us_ssn'))).toEqual([]),
  );

  test('area, group and serial rules', () => {
    expect(ssnValid('001', '01', '0001')).toBe(true);
    expect(ssnValid('899', '99', '9999')).toBe(true);
    expect(ssnValid('000', '01', '0001')).toBe(false);
    expect(ssnValid('666', '01', '0001')).toBe(false);
    expect(ssnValid('950', '01', '0001')).toBe(false);
    expect(ssnValid('123', '00', '0001')).toBe(false);
    expect(ssnValid('123', '45', '0000')).toBe(false);
  });
});

describe('IBAN', () => {
  test.each([
    'DE89 3704 0044 0532 0130 00',
    'DE89370400440532013000',
    'GB82 WEST 1234 5698 7654 32',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NL91 ABNA 0417 1643 00',
    'NO93 8601 1117 947',
  ])('%j', (iban) => expect(found(`IBAN: ${iban}.`)).toEqual([`iban:${iban}`]));

  test.each(['DE89 3704 0044 0532 0130 01', 'DE89 3704 0044 0532 0130', 'XX89 3704 0044 0532 0130 00', 'DE8937040044053201300012', 'DE89370400440532013001'])('invalid: %j', (iban) =>
    expect(found(iban)).toEqual([]),
  );

  test('mod-97 check', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('gb82 west 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('GB82WEST1234569876543')).toBe(false);
  });
});

describe('IP and MAC addresses', () => {
  test.each([
    ['host 192.168.1.10 is down', 'ipv4:192.168.1.10'],
    ['connect to 10.0.0.1:8080', 'ipv4:10.0.0.1'],
    ['route 10.0.0.0/8', 'ipv4:10.0.0.0'],
    ['dns 8.8.8.8.', 'ipv4:8.8.8.8'],
    ['addr 2001:db8::8a2e:370:7334', 'ipv6:2001:db8::8a2e:370:7334'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'ipv6:2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    ['link-local fe80::1 here', 'ipv6:fe80::1'],
    ['loopback ::1', 'ipv6:::1'],
    ['mapped ::ffff:192.0.2.128', 'ipv6:::ffff:192.0.2.128'],
    ['[2001:db8::1]:443', 'ipv6:2001:db8::1'],
    ['nic 00:1A:2B:3C:4D:5E', 'mac_address:00:1A:2B:3C:4D:5E'],
    ['nic 00-1a-2b-3c-4d-5e', 'mac_address:00-1a-2b-3c-4d-5e'],
    ['cisco 001a.2b3c.4d5e', 'mac_address:001a.2b3c.4d5e'],
  ])('%j', (text, f) => expect(found(text)).toEqual([f]));

  test.each([
    '256.1.1.1',
    '192.168.01.1',
    '1.2.3',
    '1.2.3.4.5',
    'version 1.2.3.4',
    'v1.2.3.4',
    'section 1.2.3.4',
    'std::vector<int> a::b',
    '12:30:45',
    '00:1A:2B:3C:4D',
    '12-34-56-78-90-12',
    'fe80::1::2',
    'dead::beef',
  ])('not an address: %j', (text) => expect(found(text)).toEqual([]));

  test('IPv6 forms', () => {
    expect(ipv6Valid('::')).toBe(false);
    expect(ipv6Valid('1:2:3:4:5:6:7:8')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7')).toBe(false);
    expect(ipv6Valid('1::2:3:4:5:6:7:8')).toBe(false);
    expect(ipv6Valid('64:ff9b::192.0.2.33')).toBe(true);
  });
});

describe('no false positives on everyday text', () => {
  test.each([
    'Order #100234 shipped; tracking 1Z999AA10123456784; ref ORD-2024-000123.',
    'Upgrade from version 2.10.4 to 3.0.0-rc.1 (build 20241115.3).',
    'Request id 123e4567-e89b-12d3-a456-426614174000 and 550e8400-e29b-41d4-a716-446655440000.',
    'Logged at 2026-11-02T08:14:03.221Z, then 2026-11-02 08:14:05 UTC, epoch 1762071243.',
    'Invoice 2024-0042 totals $1,234.56 (VAT 19%), due 15.01.2025.',
    'Call me maybe? 10 items at 3.99 each, 24/7 support, ISBN 978-3-16-148410-0.',
    'sha256:2b7d1c4e9f0a6b3d8e5c2a1f7b9d0c4e6a8f1b3d5c7e9a0b2d4f6a8c0e2b4d6f',
    'Coordinates 48.8584, 2.2945; temperature -3.5°C; ratio 16:9; score 3-1.',
  ])('%j', (text) => expect(found(text)).toEqual([]));
});

describe('pii() and redact() in CEL', () => {
  const prompt = 'Mail jane@example.com or call +1 415 555 2671; card 4111 1111 1111 1111; server 10.1.2.3.';

  test('pii() lists kinds once each, in a fixed order', () => {
    expect(cel('pii(p)', { p: prompt })).toEqual(['email', 'phone', 'credit_card', 'ipv4']);
    expect(cel("pii('a@b.io and c@d.io')")).toEqual(['email']);
    expect(cel("pii('nothing here')")).toEqual([]);
    expect(cel("'credit_card' in pii(p) && size(pii(p)) == 4", { p: prompt })).toBe(true);
  });

  test('redact() replaces every finding with [REDACTED:KIND]', () => {
    expect(cel('redact(p)', { p: prompt })).toBe('Mail [REDACTED:EMAIL] or call [REDACTED:PHONE]; card [REDACTED:CREDIT_CARD]; server [REDACTED:IPV4].');
    expect(cel("redact('nothing here')")).toBe('nothing here');
  });

  test('redact() replaces full-width and internationalised addresses whole', () => {
    expect(cel('redact(p)', { p: '連絡先：Ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ（仕事）' })).toBe('連絡先：[REDACTED:EMAIL]（仕事）');
    expect(cel('redact(p)', { p: 'Écrivez à jean.dupont@société.fr ou au 07911 123456.' })).toBe('Écrivez à [REDACTED:EMAIL] ou au [REDACTED:PHONE].');
  });

  test('redact(text, kinds) redacts only those kinds, PII or secret', () => {
    expect(cel("redact(p, ['email', 'phone'])", { p: prompt })).toBe('Mail [REDACTED:EMAIL] or call [REDACTED:PHONE]; card 4111 1111 1111 1111; server 10.1.2.3.');
    expect(cel("redact(p, ['EMAIL'])", { p: prompt })).toMatch(/^Mail \[REDACTED:EMAIL\] or call \+1/);
    expect(cel("redact(p, [])", { p: prompt })).toBe(prompt);
    expect(cel("redact('key AKIAIOSFODNN7EXAMPLE for a@b.io', ['aws_access_key_id'])")).toBe('key [REDACTED:AWS_ACCESS_KEY_ID] for a@b.io');
    expect(cel("redact('key AKIAIOSFODNN7EXAMPLE for a@b.io', ['aws_access_key_id', 'email'])")).toBe('key [REDACTED:AWS_ACCESS_KEY_ID] for [REDACTED:EMAIL]');
  });

  test('an unknown kind is an error naming the known ones', () => {
    expect(celError("redact('x', ['emails'])")).toMatch(/^redact\(\): unknown kind 'emails'; PII kinds: email, phone, credit_card/);
    expect(celError('redact(p, k)', { p: 'x', k: [1] })).toMatch(/needs a list of strings/);
  });

  test('the scan cap: only the first maxScanLength characters are scanned; redact keeps the rest as it is', () => {
    const env = envOf({ maxScanLength: 40 });
    const text = 'first a@example.com then ...............' + ' late b@example.com';
    expect(cel('pii(t)', { t: text }, env)).toEqual(['email']);
    expect(cel('redact(t)', { t: text }, env)).toBe('first [REDACTED:EMAIL] then ...............' + ' late b@example.com');
    expect(cel('redact(t)', { t: text })).toBe('first [REDACTED:EMAIL] then ...............' + ' late [REDACTED:EMAIL]');
    expect(cel('pii(t)', { t: `${'x'.repeat(30)} a@example.com` }, env)).toEqual([]);
  });

  test('a cap never splits a surrogate pair', () => {
    const env = envOf({ maxScanLength: 3 });
    expect(cel("redact('ab🙂cd')", {}, env)).toBe('ab🙂cd');
  });
});
