import { createHash } from 'node:crypto'

/**
 * The one Lua script behind every operation of `redisStore` (atomic: Redis runs a script alone).
 *
 * KEYS: 1 counter index (sorted set: counter key → expiry, +inf when never), 2 lease queue (sorted set:
 * reservation id → lease expiry), 3 lease records (hash: reservation id → msgpack [amount…, key…]),
 * then the counters' own keys, then their window keys in order.
 * A counter is a msgpack array: 9 used values, 9 reserved values (tallyFields order), expiry (-1: never).
 * ARGV: op, now, epsilon, then per operation (see `budget-arguments.ts`).
 * Numbers go back as strings (`%.17g`: exact doubles); Redis would truncate Lua numbers to integers.
 */
export const budgetScript = `
local F = 9
local op = ARGV[1]
local now = tonumber(ARGV[2])
local EPS = tonumber(ARGV[3])
local INDEX, LEASES, RECORDS = KEYS[1], KEYS[2], KEYS[3]
local cache, dirty, created = {}, {}, {}

local function fmt(x) return string.format('%.17g', x) end

local function load(key)
  local c = cache[key]
  if c == nil then
    local raw = redis.call('GET', key)
    c = false
    if raw then
      c = cmsgpack.unpack(raw)
      local e = c[2 * F + 1]
      if e >= 0 and e <= now then
        redis.call('DEL', key)
        redis.call('ZREM', INDEX, key)
        c = false
      end
    end
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
      if not created[key] then
        redis.call('SET', key, cmsgpack.pack(c), 'KEEPTTL')
      elseif e < 0 then
        redis.call('SET', key, cmsgpack.pack(c))
        redis.call('ZADD', INDEX, '+inf', key)
      elseif e > now then
        redis.call('SET', key, cmsgpack.pack(c), 'PX', string.format('%d', math.ceil(e - now)))
        redis.call('ZADD', INDEX, fmt(e), key)
      end
    end
  end
end

local function closeLease(id)
  local raw = redis.call('HGET', RECORDS, id)
  if not raw then return false end
  redis.call('HDEL', RECORDS, id)
  redis.call('ZREM', LEASES, id)
  local record = cmsgpack.unpack(raw)
  for i = F + 1, #record do
    local c = load(record[i])
    if c then
      for f = 1, F do
        local v = c[F + f] - record[f]
        if v < EPS then v = 0 end
        c[F + f] = v
      end
      dirty[record[i]] = true
    end
  end
  return true
end

local function sweep()
  redis.call('ZREMRANGEBYSCORE', INDEX, '-inf', fmt(now))
  local ids = redis.call('ZRANGEBYSCORE', LEASES, '-inf', fmt(now))
  for i = 1, #ids do
    if not closeLease(ids[i]) then redis.call('ZREM', LEASES, ids[i]) end
  end
end

-- Counters of the request: ARGV from position p, KEYS from 4.
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
          return { tostring(i - 1), tostring(field - 1), fmt(used), fmt(reserved) }
        end
      end
    end
  end
  return nil
end

local function states(list, out)
  for _, ch in ipairs(list) do
    for f = 1, 2 * F do out[#out + 1] = fmt(total(ch, f)) end
  end
  return out
end

local function vector(p)
  local v = {}
  for f = 1, F do v[f] = tonumber(ARGV[p + f - 1]) end
  return v
end

sweep()

if op == 'reserve' then
  local id, leaseExpires, enforce = ARGV[4], tonumber(ARGV[5]), ARGV[6] == '1'
  local amount = vector(7)
  local list = charges(17, tonumber(ARGV[16]))
  local exceeded = check(list, amount)
  if exceeded and enforce then
    flush()
    return { '0', exceeded[1], exceeded[2], exceeded[3], exceeded[4] }
  end
  local record = {}
  for f = 1, F do record[f] = amount[f] end
  for i, ch in ipairs(list) do
    local c = entry(ch.key, ch.expires)
    for f = 1, F do c[F + f] = c[F + f] + amount[f] end
    record[F + i] = ch.key
  end
  redis.call('HSET', RECORDS, id, cmsgpack.pack(record))
  redis.call('ZADD', LEASES, fmt(leaseExpires), id)
  local out = { '1' }
  if exceeded then
    for j = 1, 4 do out[1 + j] = exceeded[j] end
  else
    for j = 1, 4 do out[1 + j] = '' end
  end
  states(list, out)
  flush()
  return out
elseif op == 'commit' then
  local id, hasUsage = ARGV[4], ARGV[5] == '1'
  local usage = vector(6)
  local list = charges(16, tonumber(ARGV[15]))
  local found = id ~= '' and closeLease(id)
  if hasUsage then
    for _, ch in ipairs(list) do
      local c = entry(ch.key, ch.expires)
      for f = 1, F do c[f] = c[f] + usage[f] end
    end
  end
  local out = states(list, { found and '1' or '0' })
  flush()
  return out
elseif op == 'renew' then
  local id, leaseExpires = ARGV[4], tonumber(ARGV[5])
  flush()
  local score = redis.call('ZSCORE', LEASES, id)
  if not score or tonumber(score) <= now then return '0' end
  redis.call('ZADD', LEASES, fmt(leaseExpires), id)
  return '1'
elseif op == 'read' then
  local list = charges(5, tonumber(ARGV[4]))
  local out = states(list, {})
  flush()
  return out
elseif op == 'list' then
  flush()
  local keys = redis.call('ZRANGE', INDEX, 0, -1)
  local out = {}
  for _, key in ipairs(keys) do
    local c = load(key)
    if c then
      out[#out + 1] = key
      for f = 1, 2 * F do out[#out + 1] = fmt(c[f]) end
    else
      redis.call('ZREM', INDEX, key)
    end
  end
  return out
end
return redis.error_reply('unknown operation ' .. tostring(op))
`

/** SHA1 of {@link budgetScript}, as `EVALSHA` wants it. */
export const budgetScriptSha = createHash('sha1').update(budgetScript).digest('hex')
