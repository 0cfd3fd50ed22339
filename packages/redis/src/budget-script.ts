import { createHash } from 'node:crypto'

/**
 * The one Lua script behind every operation of `redisStore` (atomic: Redis runs a script alone).
 *
 * KEYS: 1 counter index (sorted set: counter key → expiry, +inf when never), 2 lease queue (sorted set:
 * reservation id → lease expiry, or when to forget a closed id), 3 lease records (hash: reservation id →
 * msgpack [expiry, amount…, key…], or `c` for an id a commit closed and `l` for a lapsed one, kept for the
 * retention so a redelivered operation is applied once), then the counters' own keys, then their window
 * keys in order.
 * A counter is a msgpack array: 9 used values, 9 reserved values (tallyFields order), expiry (-1: never).
 * ARGV: op, now, epsilon, retention (ms), then per operation (see `budget-arguments.ts`).
 * Lua numbers given to redis.call travel as exact doubles (%.17g). Replies are one bulk string of
 * concatenated msgpack values (a header, then each counter as stored), so numbers stay exact doubles
 * (Redis would truncate Lua numbers to integers) and the script does not re-encode what it just read.
 */
export const budgetScript = `
local F = 9
local op = ARGV[1]
local now = tonumber(ARGV[2])
local EPS = tonumber(ARGV[3])
local RETAIN = tonumber(ARGV[4])
local INDEX, LEASES, RECORDS = KEYS[1], KEYS[2], KEYS[3]
local cache, dirty, created, packed = {}, {}, {}, {}
local NIL = cmsgpack.pack(nil)
-- read and list return lapsed leases but delete no counter: ended periods stay until the next write.
local READONLY = op == 'read' or op == 'list'

local function decode(key, raw)
  if not raw then return false end
  local c = cmsgpack.unpack(raw)
  local e = c[2 * F + 1]
  if e >= 0 and e <= now and not READONLY then
    redis.call('DEL', key)
    redis.call('ZREM', INDEX, key)
    return false
  end
  packed[key] = raw
  return c
end

-- Reads every key not cached yet in one MGET.
local function preload(keys, from)
  local missing = {}
  for i = from, #keys do
    if cache[keys[i]] == nil then missing[#missing + 1] = keys[i] end
  end
  if #missing == 0 then return end
  local raws = redis.call('MGET', unpack(missing))
  for i, key in ipairs(missing) do cache[key] = decode(key, raws[i]) end
end

local function load(key)
  local c = cache[key]
  if c == nil then
    c = decode(key, redis.call('GET', key))
    cache[key] = c
  end
  return c
end

local function entry(key, expires)
  local c = load(key)
  if not c then
    c = {}
    for f = 1, 2 * F do c[f] = 0 end
    c[2 * F + 1] = expires
    cache[key] = c
    created[key] = true
  end
  dirty[key] = true
  return c
end

local function flush()
  for key in pairs(dirty) do
    local c = cache[key]
    if c then
      local e = c[2 * F + 1]
      local raw = cmsgpack.pack(c)
      packed[key] = raw
      if not created[key] then
        redis.call('SET', key, raw, 'KEEPTTL')
      elseif e < 0 then
        redis.call('SET', key, raw)
        redis.call('ZADD', INDEX, '+inf', key)
      elseif e > now then
        redis.call('SET', key, raw, 'PX', math.ceil(e - now))
        redis.call('ZADD', INDEX, e, key)
      end
    end
  end
  dirty = {}
end

-- Remembers a closed ('c') or lapsed ('l') reservation id until the retention passes.
local function mark(id, m)
  redis.call('HSET', RECORDS, id, m)
  redis.call('ZADD', LEASES, now + RETAIN, id)
end

-- Takes v (per field) off the reserved values of a lease record's counters, never below 0.
local function giveBack(record, v)
  preload(record, F + 2)
  for i = F + 2, #record do
    local c = load(record[i])
    if c then
      for f = 1, F do
        local x = c[F + f] - v[f]
        if x < EPS then x = 0 end
        c[F + f] = x
      end
      dirty[record[i]] = true
    end
  end
end

-- A lease record is msgpack [expiry, amount x F, counter keys...]. Returns the lease's amount to its
-- counters and remembers the id as m; 'open' when the lease had not lapsed yet, 'lapsed' when it had.
local function closeLease(id, raw, m)
  local record = cmsgpack.unpack(raw)
  local amount = {}
  for f = 1, F do amount[f] = record[1 + f] end
  giveBack(record, amount)
  mark(id, m)
  if record[1] <= now then return 'lapsed' end
  return 'open'
end

-- Returns lapsed leases and forgets closed ids past their retention: every one due, or at most limit.
local function sweep(limit)
  local ids
  if limit then
    ids = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, limit)
  else
    ids = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now)
  end
  for i = 1, #ids do
    local raw = redis.call('HGET', RECORDS, ids[i])
    if raw and raw ~= 'c' and raw ~= 'l' then
      closeLease(ids[i], raw, 'l')
    else
      redis.call('HDEL', RECORDS, ids[i])
      redis.call('ZREM', LEASES, ids[i])
    end
  end
end

-- Counters of the request: ARGV from position p, KEYS from 4 (own keys, then window keys).
local function charges(p, n)
  local list, k = {}, 4 + n
  for i = 1, n do
    local ch = { key = KEYS[3 + i], expires = tonumber(ARGV[p]), caps = {}, window = {} }
    local ncaps = tonumber(ARGV[p + 1])
    p = p + 2
    for j = 1, ncaps do
      ch.caps[j] = { tonumber(ARGV[p]), tonumber(ARGV[p + 1]) }
      p = p + 2
    end
    local nwindow = tonumber(ARGV[p])
    p = p + 1
    for j = 1, nwindow do
      ch.window[j] = KEYS[k]
      k = k + 1
    end
    list[i] = ch
  end
  preload(KEYS, 4)
  return list
end

local function total(ch, field)
  local c = load(ch.key)
  local sum = c and c[field] or 0
  for _, key in ipairs(ch.window) do
    local w = load(key)
    if w then sum = sum + w[field] end
  end
  return sum
end

local function check(list, amount)
  for i, ch in ipairs(list) do
    for _, cap in ipairs(ch.caps) do
      local field = cap[1]
      local requested = amount[field]
      if requested > 0 then
        local used = total(ch, field)
        local reserved = total(ch, F + field)
        if used + reserved + requested > cap[2] + EPS then
          return { i - 1, field - 1, used, reserved }
        end
      end
    end
  end
  return nil
end

-- The reply: a msgpack header, then one msgpack value per counter: its packed state as stored (no
-- window), its totals over the window, or nil (zeros). Call after flush().
local function reply(header, list)
  local parts = { cmsgpack.pack(header) }
  if list then
    for i, ch in ipairs(list) do
      if #ch.window == 0 then
        parts[i + 1] = load(ch.key) and packed[ch.key] or NIL
      else
        local totals = {}
        for f = 1, 2 * F do totals[f] = total(ch, f) end
        parts[i + 1] = cmsgpack.pack(totals)
      end
    end
  end
  return table.concat(parts)
end

local function vector(p)
  local v = {}
  for f = 1, F do v[f] = tonumber(ARGV[p + f - 1]) end
  return v
end

if op == 'reserve' then
  local id, leaseExpires, enforce = ARGV[5], tonumber(ARGV[6]), ARGV[7] == '1'
  local amount = vector(8)
  local list = charges(18, tonumber(ARGV[17]))
  if redis.call('HEXISTS', RECORDS, id) == 1 then
    -- delivered again: the reservation is held (or was closed) already
    return reply({ 1, -1, 0, 0, 0, 1 }, list)
  end
  local exceeded = check(list, amount)
  if exceeded then
    sweep()
    exceeded = check(list, amount)
    if exceeded and enforce then
      flush()
      return reply({ 0, exceeded[1], exceeded[2], exceeded[3], exceeded[4] })
    end
  end
  local record = { leaseExpires }
  for f = 1, F do record[1 + f] = amount[f] end
  for i, ch in ipairs(list) do
    local c = entry(ch.key, ch.expires)
    for f = 1, F do c[F + f] = c[F + f] + amount[f] end
    record[1 + F + i] = ch.key
  end
  redis.call('HSET', RECORDS, id, cmsgpack.pack(record))
  redis.call('ZADD', LEASES, leaseExpires, id)
  local header = { 1, -1, 0, 0, 0 }
  if exceeded then
    for j = 1, 4 do header[1 + j] = exceeded[j] end
  end
  flush()
  return reply(header, list)
elseif op == 'commit' then
  local id, hasUsage = ARGV[5], ARGV[6] == '1'
  local usage = vector(7)
  local ndraw = tonumber(ARGV[16])
  local list = charges(18 + ndraw, tonumber(ARGV[17 + ndraw]))
  local found = false
  if id ~= '' then
    local raw = redis.call('HGET', RECORDS, id)
    if raw == 'c' then return reply({ 0, 1 }, list) end
    if raw and raw ~= 'l' then
      found = closeLease(id, raw, 'c') == 'open'
    else
      mark(id, 'c')
    end
  end
  if hasUsage then
    for _, ch in ipairs(list) do
      local c = entry(ch.key, ch.expires)
      for f = 1, F do c[f] = c[f] + usage[f] end
    end
    -- drawFrom: ndraw values, groups of (count, ids...); each group gives back the usage once, in order
    local j = 17
    while j < 17 + ndraw do
      local count = tonumber(ARGV[j])
      local left = {}
      for f = 1, F do left[f] = math.max(0, usage[f]) end
      for k = 1, count do
        local hold = ARGV[j + k]
        local raw = redis.call('HGET', RECORDS, hold)
        if raw and raw ~= 'c' and raw ~= 'l' then
          local record = cmsgpack.unpack(raw)
          local delta = {}
          for f = 1, F do
            local d = math.min(record[1 + f], left[f])
            delta[f] = d
            left[f] = left[f] - d
            record[1 + f] = record[1 + f] - d
          end
          giveBack(record, delta)
          redis.call('HSET', RECORDS, hold, cmsgpack.pack(record))
        end
      end
      j = j + 1 + count
    end
  end
  sweep(4)
  flush()
  -- Housekeeping on writes (reads delete nothing): drop a few counters whose period ended.
  local ended = redis.call('ZRANGEBYSCORE', INDEX, '-inf', now, 'LIMIT', 0, 16)
  for _, key in ipairs(ended) do
    if not cache[key] then
      redis.call('DEL', key)
      redis.call('ZREM', INDEX, key)
    end
  end
  return reply({ found and 1 or 0, 0 }, list)
elseif op == 'renew' then
  local id, leaseExpires = ARGV[5], tonumber(ARGV[6])
  local raw = redis.call('HGET', RECORDS, id)
  if not raw or raw == 'c' or raw == 'l' then return cmsgpack.pack(0) end
  local record = cmsgpack.unpack(raw)
  if record[1] <= now then
    closeLease(id, raw, 'l')
    flush()
    return cmsgpack.pack(0)
  end
  record[1] = leaseExpires
  redis.call('HSET', RECORDS, id, cmsgpack.pack(record))
  redis.call('ZADD', LEASES, leaseExpires, id)
  return cmsgpack.pack(1)
elseif op == 'read' then
  local list = charges(6, tonumber(ARGV[5]))
  sweep()
  flush()
  return reply({}, list)
elseif op == 'list' then
  sweep()
  flush()
  local keys = redis.call('ZRANGE', INDEX, 0, -1)
  preload(keys, 1)
  local live, list = {}, {}
  for _, key in ipairs(keys) do
    if load(key) then
      live[#live + 1] = key
      list[#list + 1] = { key = key, window = {} }
    else
      redis.call('ZREM', INDEX, key)
    end
  end
  return reply(live, list)
end
return redis.error_reply('unknown operation ' .. tostring(op))
`

/** SHA1 of {@link budgetScript}, as `EVALSHA` wants it. */
export const budgetScriptSha = createHash('sha1').update(budgetScript).digest('hex')
