/**
 * The first part of the budget code (Lua, see `budget-script.ts`): the layout's constants, the state of
 * the current call, and how counters and leases are read, written, returned and swept.
 *
 * @example
 * const budgetCode = `${budgetStorageCode}\n-- the operations, then main(keys, args)`
 */
// Lua indexes the hot paths spell as literals (Lua 5.1 folds no constant a local names): a counter's 19
// doubles (its expiry the last), what grants added after them (from 20 to 28), and the bytes a counter
// is stored in without grants and with them (27 doubles: CGF).
const EXPIRY = 19
const GRANTED = 20
const GRANTED_LAST = 28
const COUNTER_BYTES = 8 * EXPIRY
const GRANTED_COUNTER_BYTES = 8 * 27

/**
 * Lua that adds the call's amount (N[3..11], a reserve's or a commit's) to counter c's fields from
 * offset + 1 (used: 0, reserved: 9) through local a, the fields written out with literal indexes
 * (zeros skipped: most calls leave most fields alone).
 *
 * @example
 * const lua = `local c, a = entry(key, expires)\n${addAmount(9, '  ')}`
 */
export function addAmount(offset: number, indent: string): string {
  return Array.from(
    { length: 9 },
    (_, f) =>
      `${indent}a = N[${3 + f}]\n${indent}if a ~= 0 then c[${offset + 1 + f}] = c[${offset + 1 + f}] + a end`,
  ).join('\n')
}

/**
 * Lua that makes c the entry() of the operation's own counter i (key K[5 + i], which charges() read),
 * written out for the hot paths: the counter, touched, or a new one.
 *
 * @example
 * const lua = `local key, c = K[5 + i]\n${ownEntry('  ')}`
 */
export function ownEntry(indent: string): string {
  return [
    'c = cache[key]',
    'if c and not c.d then',
    '  c.d = 1',
    '  ndirty = ndirty + 1',
    '  dirty[ndirty] = key',
    '  memoRaw[key] = false',
    'elseif not c then',
    '  c = entry(key, chExp[i])',
    'end',
  ]
    .map((line) => indent + line)
    .join('\n')
}

export const budgetStorageCode = `
-- The library functions the code calls, kept in locals: a function runs with an empty global table that
-- forwards each read to the real globals through its metatable (a failed lookup, then a second one), and
-- a library being loaded has none of them yet, so main binds them on its first call.
local function globals()
  return redis.call, struct.pack, struct.unpack, unpack, string.sub, string.byte, string.find,
    string.format, string.rep, string.gmatch, table.concat, math.max, math.min, math.ceil, math.huge,
    tonumber, type, pairs, ipairs
end
-- call: redis.call, pack and parse: struct.pack and struct.unpack, the others by their own names
local call, pack, parse, unpack, sub, byte, find, format, rep, gmatch, concat, max, min, ceil, huge
local tonumber, type, pairs, ipairs

local F = 9
local CF = '>ddddddddddddddddddd'
-- a counter that has grants: its 19 doubles, then what grants added to its caps (the first F - 1
-- fields: the last, unpricedRequests, is no limit's unit, and is not stored)
local CGF = '>ddddddddddddddddddddddddddd'
local G = 2 * F + 1
local RF = '>dddddddddd'
local ZERO = '${'\\0'.repeat(152)}'
-- state of the current call, set by main
local K, N, SV, now, EPS, RETAIN, RETAIN_PX, RP, INDEX, LEASES, RECORDS, ID, DUE, READONLY
-- due: no entry of the lease queue or the counter index is due before it (never later than the truth)
local due, dueChanged
-- GR: a counter read or written in this call has grants (only then are grants summed and replied)
local GR
-- cache: the counters this call read, by key (false: none); dirty: the keys of those it changes, in
-- order, ndirty of them (each counter flagged d until flush() writes it: 1 changed, 2 created by this
-- call; kept from call to call, like the flagged counters the memo keeps)
local cache, dirty, ndirty = nil, {}, 0
-- whole: counters this call read whose value is not 19 or 27 doubles (msgpack of the layout before),
-- to be written whole (nil while none)
local whole
-- the counters of the request: how many, and their shape's tables (see shape())
local nch = 0
local chExp, chCap, chNcap, chWin, chNwin, chWatch, chNwatch

-- Formats of n big-endian doubles, made once each.
local FMT = {}
local function doubles(n)
  local f = FMT[n]
  if not f then
    f = '>' .. rep('d', n)
    FMT[n] = f
  end
  return f
end

-- Counters decoded by earlier calls (as a function the library's state outlives a call), by key: the
-- value they were decoded from and its numbers. Used only when the value read is that same string (Lua
-- interns strings: one comparison), so a key written by anything else is decoded again; dropped when
-- a call changes the counter, until its write (false: the key still counts toward MEMO_MAX, which
-- bounds keys, not writes).
local memoRaw, memo, memoSize = {}, {}, 0
local MEMO_MAX = 4096

-- Remembers a counter's numbers as decoded from raw (its value in Redis).
local function remember(key, raw, c)
  if memoRaw[key] == nil then
    if memoSize >= MEMO_MAX then
      memoRaw, memo, memoSize = {}, {}, 0
    end
    memoSize = memoSize + 1
  end
  memoRaw[key] = raw
  memo[key] = c
end

local function decode(key, raw)
  if not raw then return false end
  local c
  if memoRaw[key] == raw then
    c = memo[key]
    if #raw > ${COUNTER_BYTES} then GR = true end
  else
    if byte(raw, 1) == 0xdc or (#raw ~= ${COUNTER_BYTES} and #raw ~= ${GRANTED_COUNTER_BYTES}) then
      whole = whole or {}
      whole[key] = true
    end
    if byte(raw, 1) == 0xdc then
      c = cmsgpack.unpack(raw)
      raw = pack(CF, unpack(c, 1, 2 * F + 1))
    elseif #raw > ${COUNTER_BYTES} then
      c = { parse(CGF, raw) }
      c[3 * F + 2] = nil
      GR = true
    else
      c = { parse(CF, raw) }
      c[2 * F + 2] = nil
    end
    remember(key, raw, c)
  end
  local e = c[${EXPIRY}]
  if e >= 0 and e <= now and not READONLY then
    call('DEL', key)
    call('ZREM', INDEX, key)
    memoRaw[key] = false
    return false
  end
  return c
end

-- A loaded counter's 19 doubles as stored (after flush(): as written): the value it was decoded from or
-- written as, packed again only when the memo was emptied since.
local function stored(key, c)
  return memoRaw[key] or pack(CF, unpack(c, 1, ${EXPIRY}))
end

-- Counter c (of key) is changed by this call: written by flush().
local function touch(key, c)
  if not c.d then
    c.d = 1
    ndirty = ndirty + 1
    dirty[ndirty] = key
  end
  memoRaw[key] = false
end

-- Reads every key (index from to to) not cached yet in one MGET.
local function preload(keys, from, to)
  local missing = {}
  for i = from, to do
    if cache[keys[i]] == nil then missing[#missing + 1] = keys[i] end
  end
  if #missing == 0 then return end
  local raws = call('MGET', unpack(missing))
  for i, key in ipairs(missing) do
    if cache[key] == nil then cache[key] = decode(key, raws[i]) end
  end
end

local function load(key)
  local c = cache[key]
  if c == nil then
    c = decode(key, call('GET', key))
    cache[key] = c
  end
  return c
end

local function entry(key, expires)
  local c = cache[key]
  if c == nil then c = load(key) end
  if not c then
    c = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, expires, d = 2 }
    cache[key] = c
    ndirty = ndirty + 1
    dirty[ndirty] = key
    memoRaw[key] = false
    return c
  end
  -- touch(key, c), written out (the hot path)
  if not c.d then
    c.d = 1
    ndirty = ndirty + 1
    dirty[ndirty] = key
  end
  memoRaw[key] = false
  return c
end

-- Something was queued at time t: the next housekeeping is due by t at the latest.
local function queued(t)
  if t < due then
    due = t
    dueChanged = true
  end
end

local function saveDue()
  if dueChanged then call('SET', DUE, format('%.17g', due)) end
end

-- When a closed ('c', 'l') or grant ('g') mark is remembered until: the decimal after its letter.
local function markedUntil(raw)
  return tonumber(sub(raw, 2))
end

local function flush()
  for i = 1, ndirty do
    local key = dirty[i]
    local c = cache[key]
    local d, e = c.d, c[${EXPIRY}]
    c.d = nil
    local raw
    if c[${GRANTED}] then
      raw = pack(CGF, unpack(c, 1, ${GRANTED_LAST}))
    else
      raw = pack(CF, unpack(c, 1, ${EXPIRY}))
    end
    -- remember(key, raw, c), written out (the hot path; a key it drops is false, counted already)
    if memoRaw[key] == nil then
      remember(key, raw, c)
    else
      memoRaw[key] = raw
      memo[key] = c
    end
    if d == 1 and not (whole and whole[key]) then
      -- over its value, which is as long (or shorter: grants only add doubles), so like SET KEEPTTL,
      -- with an integer reply (a status is a table to Lua)
      call('SETRANGE', key, '0', raw)
    elseif d == 1 then
      call('SET', key, raw, 'KEEPTTL')
    elseif e < 0 then
      call('SET', key, raw)
      call('ZADD', INDEX, '+inf', key)
    elseif e > now then
      call('SET', key, raw, 'PX', ceil(e - now))
      call('ZADD', INDEX, e, key)
      queued(e)
    end
  end
  ndirty = 0
end

-- What a reservation key holds: 'r' (open lease), 'c' (closed), 'l' (lapsed), or nil (unknown, or
-- remembered no longer: past the retention on the budget's clock).
local function kind(raw)
  if not raw then return nil end
  local b = byte(raw, 1)
  if b == 114 then return 'r' end
  if markedUntil(raw) <= now then return nil end
  if b == 99 then return 'c' end
  if b == 108 then return 'l' end
  return nil
end

-- A lease: 'r', then expiry and amount (F) as doubles, then its counter keys joined by newlines.
local function lease(expires, amount, keys)
  return 'r' .. pack(RF, expires, unpack(amount, 1, F)) .. concat(keys, '\\n')
end

-- A lease's { expiry, amount... } and counter keys.
local function parseLease(raw)
  local record = { parse(RF, raw, 2) }
  record[F + 2] = nil
  local keys = {}
  for key in gmatch(sub(raw, 8 * (F + 1) + 2), '[^\\n]+') do keys[#keys + 1] = key end
  return record, keys
end

-- Remembers a closed ('c') or lapsed ('l') reservation key, or an applied grant ('g'), until the
-- retention passes (the decimal after the letter, on the budget's clock); Redis drops it (PX:
-- RETAIN_PX, the retention's ms as the caller formatted them). m is the letter, or the whole mark as
-- the caller made it (a commit's: 'c' and now + retention, formatted by the client).
local function mark(key, m)
  if RETAIN > 0 then
    if #m == 1 then m = m .. format('%.17g', now + RETAIN) end
    call('SET', key, m, 'PX', RETAIN_PX)
  else
    call('DEL', key)
  end
end

-- Takes v (per field, from index 2) off the reserved values of the counters keys[from..to], never
-- below 0 (the fields written out: a loop costs the interpreter more).
local function giveBack(keys, from, to, v)
  if keys ~= K then preload(keys, from, to) end
  local x
  for i = from, to do
    local c = cache[keys[i]]
    if c == nil then c = load(keys[i]) end
    if c then
${Array.from(
  { length: 9 },
  (_, f) => `      if v[${2 + f}] ~= 0 then
        x = c[${10 + f}] - v[${2 + f}]
        if x < EPS then x = 0 end
        c[${10 + f}] = x
      end`,
).join('\n')}
      touch(keys[i], c)
    end
  end
end

-- Returns an open lease's amount to its counters, forgets its queue entry and remembers the key as m;
-- 'open' when the lease had not lapsed yet, 'lapsed' when it had. When the lease's counters are the
-- first keys of the operation's own counters (a settle of its reservation), they are not parsed.
local function closeLease(key, raw, m)
  local record = { parse(RF, raw, 2) }
  local keys, from, to = K, 6, 5
  local size, last = #raw - 8 * (F + 1) - 1, #K
  local length = -1
  while length < size and to < last do
    to = to + 1
    length = length + #K[to] + 1
  end
  if length ~= size or find(raw, concat(K, '\\n', 6, to), 8 * (F + 1) + 2, true) ~= 8 * (F + 1) + 2 then
    record, keys = parseLease(raw)
    from, to = 1, #keys
  end
  giveBack(keys, from, to, record)
  mark(key, m)
  call('ZREM', LEASES, key)
  if record[1] <= now then return 'lapsed' end
  return 'open'
end

-- Returns lapsed leases: every one due, or at most limit.
local function sweep(limit)
  local due
  if limit then
    due = call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, limit)
  else
    due = call('ZRANGEBYSCORE', LEASES, '-inf', now)
  end
  for i = 1, #due do
    local key = due[i]
    if sub(key, 1, #RP) == RP then
      local raw = call('GET', key)
      if kind(raw) == 'r' then
        closeLease(key, raw, 'l')
      else
        call('ZREM', LEASES, key)
      end
    else
      -- a lease (or a closed id) of the layout before: msgpack [expiry, amount..., keys...] in RECORDS
      local raw = call('HGET', RECORDS, key)
      if raw and raw ~= 'c' and raw ~= 'l' then
        local record = cmsgpack.unpack(raw)
        giveBack(record, F + 2, #record, record)
      end
      call('HDEL', RECORDS, key)
      call('ZREM', LEASES, key)
    end
  end
end
`
