import { createHash } from 'node:crypto'

/**
 * The one Lua script behind every operation of `redisStore` (atomic: Redis runs a script alone).
 *
 * KEYS: 1 counter index (sorted set: counter key → expiry, +inf when never), 2 lease queue (sorted set:
 * reservation key → lease expiry, open leases only), 3 the lease records of the layout before 0.2 (a
 * hash, only swept), 4 the operation's reservation key (`{prefix}:r:<id>`, or the bare `{prefix}:r:`
 * when there is no id), then the counters' own keys, then their window keys in order.
 * A reservation key holds `r` + the lease (big-endian doubles: expiry, amount…, then its counter keys
 * joined by newlines) while it is open, then `c` (closed by a commit) or `l` (lapsed) + until when it is
 * remembered (budget clock), with a Redis expiry of the retention: a redelivered operation is applied
 * once, and Redis itself forgets the id (no sweep, no sorted-set entry per closed id).
 * A counter is 19 big-endian doubles: 9 used values, 9 reserved values (tallyFields order), expiry (-1:
 * never); one written as msgpack by an older version is still read (first byte 0xdc).
 * ARGV: op, now, epsilon, retention (ms), reservation key prefix, then per operation (see
 * `budget-arguments.ts`). Lua numbers given to redis.call travel as exact doubles (%.17g).
 * The reply is two bulk strings: a msgpack header, then each counter's 19 doubles as stored (or its
 * totals over its window, or zeros), so numbers stay exact and stored counters are not re-encoded.
 */
export const budgetScript = `
local F = 9
local CF = '>' .. string.rep('d', 2 * F + 1)
local RF = '>' .. string.rep('d', F + 1)
local ZERO = string.rep('\\0', 8 * (2 * F + 1))
local op = ARGV[1]
local now = tonumber(ARGV[2])
local EPS = tonumber(ARGV[3])
local RETAIN = tonumber(ARGV[4])
local RP = ARGV[5]
local INDEX, LEASES, RECORDS, ID = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local cache, dirty, created, packed = {}, {}, {}, {}
-- read and list return lapsed leases but delete no counter: ended periods stay until the next write.
local READONLY = op == 'read' or op == 'list'

local function decode(key, raw)
  if not raw then return false end
  local c
  if string.byte(raw, 1) == 0xdc then
    c = cmsgpack.unpack(raw)
    raw = struct.pack(CF, unpack(c, 1, 2 * F + 1))
  else
    c = { struct.unpack(CF, raw) }
    c[2 * F + 2] = nil
  end
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
  for i, key in ipairs(missing) do
    if cache[key] == nil then cache[key] = decode(key, raws[i]) end
  end
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
      local raw = struct.pack(CF, unpack(c, 1, 2 * F + 1))
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

-- What a reservation key holds: 'r' (open lease), 'c' (closed), 'l' (lapsed), or nil (unknown, or
-- remembered no longer: past the retention on the budget's clock).
local function kind(raw)
  if not raw then return nil end
  local k = string.sub(raw, 1, 1)
  if k ~= 'r' and tonumber(string.sub(raw, 2)) <= now then return nil end
  return k
end

-- A lease: 'r', then expiry and amount (F) as doubles, then its counter keys joined by newlines.
local function lease(expires, amount, keys)
  return 'r' .. struct.pack(RF, expires, unpack(amount, 1, F)) .. table.concat(keys, '\\n')
end

-- A lease's { expiry, amount... } and counter keys.
local function parseLease(raw)
  local record = { struct.unpack(RF, raw, 2) }
  record[F + 2] = nil
  local keys = {}
  for key in string.gmatch(string.sub(raw, 8 * (F + 1) + 2), '[^\\n]+') do keys[#keys + 1] = key end
  return record, keys
end

-- Remembers a closed ('c') or lapsed ('l') reservation key until the retention passes; Redis drops it.
local function mark(key, m)
  if RETAIN > 0 then
    redis.call('SET', key, m .. string.format('%.17g', now + RETAIN), 'PX', math.ceil(RETAIN))
  else
    redis.call('DEL', key)
  end
end

-- Takes v (per field, from index 2) off the reserved values of the counters keys, never below 0.
local function giveBack(keys, from, v)
  preload(keys, from)
  for i = from, #keys do
    local c = load(keys[i])
    if c then
      for f = 1, F do
        local x = c[F + f] - v[1 + f]
        if x < EPS then x = 0 end
        c[F + f] = x
      end
      dirty[keys[i]] = true
    end
  end
end

-- Returns an open lease's amount to its counters, forgets its queue entry and remembers the key as m;
-- 'open' when the lease had not lapsed yet, 'lapsed' when it had.
local function closeLease(key, raw, m)
  local record, keys = parseLease(raw)
  giveBack(keys, 1, record)
  mark(key, m)
  redis.call('ZREM', LEASES, key)
  if record[1] <= now then return 'lapsed' end
  return 'open'
end

-- Returns lapsed leases: every one due, or at most limit.
local function sweep(limit)
  local due
  if limit then
    due = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, limit)
  else
    due = redis.call('ZRANGEBYSCORE', LEASES, '-inf', now)
  end
  for i = 1, #due do
    local key = due[i]
    if string.sub(key, 1, #RP) == RP then
      local raw = redis.call('GET', key)
      if kind(raw) == 'r' then
        closeLease(key, raw, 'l')
      else
        redis.call('ZREM', LEASES, key)
      end
    else
      -- a lease (or a closed id) of the layout before: msgpack [expiry, amount..., keys...] in RECORDS
      local raw = redis.call('HGET', RECORDS, key)
      if raw and raw ~= 'c' and raw ~= 'l' then
        local record = cmsgpack.unpack(raw)
        giveBack(record, F + 2, record)
      end
      redis.call('HDEL', RECORDS, key)
      redis.call('ZREM', LEASES, key)
    end
  end
end

-- Counters of the request: ARGV from position p, KEYS from 5 (own keys, then window keys). Reads the
-- reservation key and every counter in one MGET; returns the list and what the reservation key holds.
local function charges(p, n)
  local list, k = {}, 5 + n
  for i = 1, n do
    local ch = { key = KEYS[4 + i], expires = tonumber(ARGV[p]), caps = {}, window = {} }
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
  local raws = redis.call('MGET', unpack(KEYS, 4))
  for i = 5, #KEYS do
    if cache[KEYS[i]] == nil then cache[KEYS[i]] = decode(KEYS[i], raws[i - 3]) end
  end
  return list, raws[1]
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

-- The reply: a msgpack header, then per counter its 19 doubles as stored (no window), its totals over
-- the window, or zeros. Call after flush().
local function reply(header, list)
  local parts = {}
  if list then
    for i, ch in ipairs(list) do
      if #ch.window == 0 then
        parts[i] = load(ch.key) and packed[ch.key] or ZERO
      else
        local totals = {}
        for f = 1, 2 * F do totals[f] = total(ch, f) end
        totals[2 * F + 1] = -1
        parts[i] = struct.pack(CF, unpack(totals, 1, 2 * F + 1))
      end
    end
  end
  return { cmsgpack.pack(header), table.concat(parts) }
end

local function vector(p)
  local v = {}
  for f = 1, F do v[f] = tonumber(ARGV[p + f - 1]) end
  return v
end

if op == 'reserve' then
  local leaseExpires, enforce = tonumber(ARGV[6]), ARGV[7] == '1'
  local amount = vector(8)
  local list, held = charges(18, tonumber(ARGV[17]))
  if kind(held) then
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
  local keys = {}
  for i, ch in ipairs(list) do
    local c = entry(ch.key, ch.expires)
    for f = 1, F do c[F + f] = c[F + f] + amount[f] end
    keys[i] = ch.key
  end
  redis.call('SET', ID, lease(leaseExpires, amount, keys))
  redis.call('ZADD', LEASES, leaseExpires, ID)
  local header = { 1, -1, 0, 0, 0 }
  if exceeded then
    for j = 1, 4 do header[1 + j] = exceeded[j] end
  end
  flush()
  return reply(header, list)
elseif op == 'commit' then
  local hasUsage = ARGV[6] == '1'
  local usage = vector(7)
  local ndraw = tonumber(ARGV[16])
  local list, held = charges(18 + ndraw, tonumber(ARGV[17 + ndraw]))
  local found = false
  if ID ~= RP then
    local k = kind(held)
    if k == 'c' then return reply({ 0, 1 }, list) end
    if k == 'r' then
      found = closeLease(ID, held, 'c') == 'open'
    else
      mark(ID, 'c')
    end
  end
  if hasUsage then
    for _, ch in ipairs(list) do
      local c = entry(ch.key, ch.expires)
      for f = 1, F do c[f] = c[f] + usage[f] end
    end
    -- drawFrom: ndraw values, groups of (count, keys...); each group gives back the usage once, in order
    local j = 17
    while j < 17 + ndraw do
      local count = tonumber(ARGV[j])
      local left = {}
      for f = 1, F do left[f] = math.max(0, usage[f]) end
      for h = 1, count do
        local hold = ARGV[j + h]
        local raw = redis.call('GET', hold)
        if kind(raw) == 'r' then
          local record, keys = parseLease(raw)
          local delta = {}
          for f = 1, F do
            local d = math.min(record[1 + f], left[f])
            delta[1 + f] = d
            left[f] = left[f] - d
            record[1 + f] = record[1 + f] - d
          end
          giveBack(keys, 1, delta)
          redis.call('SET', hold, lease(record[1], { unpack(record, 2, F + 1) }, keys))
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
  local leaseExpires = tonumber(ARGV[6])
  local raw = redis.call('GET', ID)
  if kind(raw) ~= 'r' then return reply(0) end
  if struct.unpack('>d', raw, 2) <= now then
    closeLease(ID, raw, 'l')
    flush()
    return reply(0)
  end
  redis.call('SETRANGE', ID, 1, struct.pack('>d', leaseExpires))
  redis.call('ZADD', LEASES, leaseExpires, ID)
  return reply(1)
elseif op == 'read' then
  local list = charges(7, tonumber(ARGV[6]))
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
