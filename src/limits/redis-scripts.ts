// The Lua scripts of the Redis limit store (redis-store.ts). Each runs
// atomically in Redis: one script per check() and per settle(), so
// check-and-reserve is exact across every replica sharing the Redis.
//
// They implement the semantics of MemoryLimitStore (memory-store.ts) step for
// step — the comparison test (test/limits/redis-vs-memory.test.ts) runs random
// sequences against both and requires identical answers. Times are the
// engine's `now` passed in ARGV (never Redis TIME): tests control the clock,
// and the engine's time is the one its decisions report.
//
// Data layout, for a check key K (e.g. `lim:ns/policy/rule:alice`), under the
// store's prefix P (default `policy-engine:`):
//
//   P h:K  HASH   entry id → amount (whole units), for every live entry or
//                 open reservation; plus three fields of the key itself:
//                 `:t` the running total (window/rolling: live entries,
//                 calendar: open reservations), `:s` (calendar) the settled
//                 use of the period, `:k` the check kind.
//   P w:K  ZSET   window and rolling: entry id → time it was counted (ms).
//   P r:K  ZSET   budgets: open reservation id → when it lapses (ms).
//   P d:ID STRING a decision's reservations, JSON
//                 [[index, kind, K, reserved, meta, windowMs], ...]
//
// Entry ids are `<decision id>#<check index>` (decision ids are UUIDs, so
// they never clash with the `:x` fields). Every key gets an expiry: windows
// their window length (rolling: plus the reservation TTL), calendar keys the
// period end plus the reservation TTL plus an hour of grace for late reports,
// decision records the longest reservation TTL plus that hour. Expiries only
// ever grow (PTTL, then PEXPIRE when longer) and are relative to the moment
// of the write, so a test clock far from the real one never expires keys
// early. Nothing is written for a dry run or a refused request except
// pruning, which only removes what no longer counts.
//
// Amounts, capacities and times are integers carried as decimal strings and
// written back with %.0f (exact up to 2^53), never in Lua's %.14g.

/**
 * check(): KEYS[1] the decision record, then h, w, r per check.
 * ARGV: now, dryRun ('1'/'0'), decision id, number of checks, then per check
 * kind, key, amount, capacity, windowMs, periodEndMs, reservationTtlMs,
 * minAmount, meta ('' when absent).
 * Returns { admitted, then per check: fits, granted, used, retryAfterMs (-1: none) }.
 */
export const CHECK_LUA = `
local GRACE = 3600000
local BATCH = 256
local FIELDS = 9
local now = tonumber(ARGV[1])
local nowS = ARGV[1]
local dry = ARGV[2] == '1'
local id = ARGV[3]
local n = tonumber(ARGV[4])

local function fmt(x) return string.format('%.0f', x) end
local function opt(s) if s == nil or s == '' then return nil end return tonumber(s) end
local function extend(key, ms)
  if ms < 1 then ms = 1 end
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, fmt(ms)) end
end
local function sum(xs)
  local s = 0
  for j = 1, #xs do s = s + (tonumber(xs[j]) or 0) end
  return s
end

local checks = {}
local admitted = true
for i = 1, n do
  local a = 4 + (i - 1) * FIELDS
  local k = 1 + (i - 1) * 3
  local c = {
    kind = ARGV[a + 1], key = ARGV[a + 2], amount = tonumber(ARGV[a + 3]), cap = tonumber(ARGV[a + 4]),
    win = opt(ARGV[a + 5]), pend = opt(ARGV[a + 6]), ttl = opt(ARGV[a + 7]), min = opt(ARGV[a + 8]), meta = ARGV[a + 9],
    h = KEYS[k + 1], w = KEYS[k + 2], r = KEYS[k + 3],
  }
  local st = redis.call('HMGET', c.h, ':k', ':t', ':s')
  if st[1] and st[1] ~= c.kind then
    -- The key held another kind of check: start afresh, like the memory store.
    redis.call('DEL', c.h, c.w, c.r)
    st = { false, false, false }
  end
  local total0 = tonumber(st[2]) or 0
  local total = total0
  c.spent = tonumber(st[3]) or 0
  if c.kind ~= 'window' then
    -- Lapsed reservations release what they held (rolling: the entry goes too, it counts nothing now).
    while true do
      local ids = redis.call('ZRANGEBYSCORE', c.r, '-inf', nowS, 'LIMIT', 0, BATCH)
      if #ids == 0 then break end
      total = total - sum(redis.call('HMGET', c.h, unpack(ids)))
      redis.call('HDEL', c.h, unpack(ids))
      redis.call('ZREM', c.r, unpack(ids))
      if c.kind == 'rolling' then redis.call('ZREM', c.w, unpack(ids)) end
      if #ids < BATCH then break end
    end
  end
  if c.win and c.kind ~= 'calendar' then
    -- Entries that left the window (counted at or before now - window).
    local start = fmt(now - c.win)
    while true do
      local ids = redis.call('ZRANGEBYSCORE', c.w, '-inf', start, 'LIMIT', 0, BATCH)
      if #ids == 0 then break end
      total = total - sum(redis.call('HMGET', c.h, unpack(ids)))
      redis.call('HDEL', c.h, unpack(ids))
      redis.call('ZREM', c.w, unpack(ids))
      if c.kind == 'rolling' then redis.call('ZREM', c.r, unpack(ids)) end
      if #ids < BATCH then break end
    end
  end
  -- A changed total is written back below: with the consumption when there is one, else on its own.
  c.dirty = total ~= total0
  c.total = total
  c.used = total + c.spent
  local grant = -1
  if c.used + c.amount <= c.cap then
    grant = c.amount
  elseif c.min and c.used + c.min <= c.cap then
    grant = c.cap - c.used
  end
  c.grant = grant
  if grant < 0 then admitted = false end
  checks[i] = c
end

-- How long until the check would fit, as entries stop counting (each at the
-- end of its window, or when its reservation lapses if that is sooner): the
-- two orders are merged lazily, oldest first, until enough is freed.
local function retryAfter(c)
  local req = c.min or c.amount
  if req > c.cap then return -1 end
  local need = c.used + req - c.cap
  if c.kind == 'calendar' then
    local periodEnd = -1
    if c.pend ~= nil then periodEnd = math.max(0, c.pend - now) end
    -- Refused only because of open reservations: they free their share when they lapse, at the latest.
    if c.spent + req <= c.cap then
      local freed = 0
      local off = 0
      while true do
        local R = redis.call('ZRANGE', c.r, off, off + BATCH - 1, 'WITHSCORES')
        if #R == 0 then break end
        for j = 1, #R, 2 do
          local amt = tonumber(redis.call('HGET', c.h, R[j])) or 0
          if amt > 0 then
            freed = freed + amt
            if freed >= need then
              local wait = math.max(1, tonumber(R[j + 1]) - now)
              if periodEnd >= 0 and periodEnd < wait then return periodEnd end
              return wait
            end
          end
        end
        off = off + BATCH
      end
    end
    return periodEnd
  end
  local freed = 0
  local seen = {}
  local A, ai, an, aoff = {}, 1, 0, 0
  local B, bi, bn, boff = {}, 1, 0, 0
  local aDone, bDone = false, c.kind ~= 'rolling'
  while true do
    if not aDone and ai > an then
      A = redis.call('ZRANGE', c.w, aoff, aoff + BATCH - 1, 'WITHSCORES')
      aoff = aoff + BATCH
      ai, an = 1, #A
      if an == 0 then aDone = true end
    end
    if not bDone and bi > bn then
      B = redis.call('ZRANGE', c.r, boff, boff + BATCH - 1, 'WITHSCORES')
      boff = boff + BATCH
      bi, bn = 1, #B
      if bn == 0 then bDone = true end
    end
    if aDone and bDone then return -1 end
    local eid, at
    local ta = (not aDone) and (tonumber(A[ai + 1]) + c.win) or nil
    local tb = (not bDone) and tonumber(B[bi + 1]) or nil
    if ta and (not tb or ta <= tb) then
      eid, at = A[ai], ta
      ai = ai + 2
    else
      eid, at = B[bi], tb
      bi = bi + 2
    end
    if not seen[eid] then
      seen[eid] = true
      local amt = tonumber(redis.call('HGET', c.h, eid)) or 0
      if amt > 0 then
        freed = freed + amt
        -- The entry stops counting at the instant at (window: ts <= now - window; lapse: pendingUntil <= now).
        if freed >= need then return math.max(1, at - now) end
      end
    end
  end
end

local function flush(c)
  if c.dirty then redis.call('HSET', c.h, ':t', fmt(c.total)) end
end

local out = { admitted and 1 or 0 }
for i = 1, n do
  local c = checks[i]
  local fits = c.grant >= 0
  out[#out + 1] = fits and 1 or 0
  out[#out + 1] = 0
  out[#out + 1] = c.used
  out[#out + 1] = fits and -1 or retryAfter(c)
end
if not admitted or dry then
  -- Pruning is kept even when nothing is consumed: it only removed what no longer counts.
  for i = 1, n do flush(checks[i]) end
  return out
end

local refs = {}
local maxTtl = 0
for i = 1, n do
  local c = checks[i]
  local g = c.grant
  local eid = id .. '#' .. (i - 1)
  if c.kind == 'window' then
    -- An entry of 0 counts nothing and never frees anything: not stored.
    if g > 0 then
      redis.call('ZADD', c.w, nowS, eid)
      redis.call('HSET', c.h, eid, fmt(g), ':t', fmt(c.total + g), ':k', 'window')
      extend(c.h, c.win)
      extend(c.w, c.win)
    else
      flush(c)
    end
  else
    local ttl = c.ttl or 0
    redis.call('ZADD', c.r, fmt(now + ttl), eid)
    redis.call('HSET', c.h, eid, fmt(g), ':t', fmt(c.total + g), ':k', c.kind)
    if c.kind == 'rolling' then
      redis.call('ZADD', c.w, nowS, eid)
      local ms = (c.win or 0) + ttl
      extend(c.h, ms)
      extend(c.w, ms)
      extend(c.r, ms)
    else
      local ms = (c.pend or now) - now + ttl + GRACE
      extend(c.h, ms)
      extend(c.r, ms)
    end
    if ttl > maxTtl then maxTtl = ttl end
    refs[#refs + 1] = { i - 1, c.kind, c.key, fmt(g), c.meta, c.win or 0 }
  end
  out[3 + (i - 1) * 4] = g
end
if #refs > 0 then
  redis.call('SET', KEYS[1], cjson.encode(refs), 'PX', fmt(maxTtl + GRACE))
end
return out
`;

/**
 * settle(): KEYS[1] the decision record, then h, w, r per reservation (in
 * the record's order). ARGV: now, decision id, the record as the caller read
 * it, then per reservation the actual use ('' = not reported).
 * Returns { found (1, 0, or -1 when the record changed since it was read), settled }.
 */
export const SETTLE_LUA = `
local nowS = ARGV[1]
local id = ARGV[2]
local rec = redis.call('GET', KEYS[1])
if not rec then return { 0, 0 } end
if rec ~= ARGV[3] then return { -1, 0 } end
redis.call('DEL', KEYS[1])

local function fmt(x) return string.format('%.0f', x) end
local function extend(key, ms)
  if ms < 1 then ms = 1 end
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, fmt(ms)) end
end

local refs = cjson.decode(rec)
local settled = 0
for j = 1, #refs do
  local ref = refs[j]
  local actual = ARGV[3 + j]
  if actual ~= nil and actual ~= '' then
    local kind = ref[2]
    local h, w, r = KEYS[2 + (j - 1) * 3], KEYS[3 + (j - 1) * 3], KEYS[4 + (j - 1) * 3]
    local eid = id .. '#' .. fmt(ref[1])
    local amt = tonumber(actual)
    local st = redis.call('HMGET', h, ':t', ':s')
    local total = tonumber(st[1]) or 0
    local spent = tonumber(st[2]) or 0
    if redis.call('ZSCORE', r, eid) then
      -- Still pending: the reservation is replaced by the actual use.
      total = total - (tonumber(redis.call('HGET', h, eid)) or 0)
      redis.call('ZREM', r, eid)
      if kind == 'calendar' then
        redis.call('HDEL', h, eid)
        redis.call('HSET', h, ':t', fmt(total), ':s', fmt(spent + amt))
      else
        -- Rolling: the entry keeps its time, with the actual amount.
        redis.call('HSET', h, eid, fmt(amt), ':t', fmt(total + amt))
      end
    elseif kind == 'calendar' then
      -- The reservation lapsed before the report: the use still happened and still counts.
      if redis.call('EXISTS', h) == 1 then redis.call('HSET', h, ':s', fmt(spent + amt)) end
    else
      redis.call('ZADD', w, nowS, eid)
      redis.call('HSET', h, eid, fmt(amt), ':t', fmt(total + amt), ':k', 'rolling')
      local ms = tonumber(ref[6]) or 0
      extend(h, ms)
      extend(w, ms)
    end
    settled = settled + 1
  end
end
return { 1, settled }
`;
