import { createHash } from 'node:crypto'
import { addAmount, budgetStorageCode, ownEntry } from './budget-storage-code.ts'

/**
 * The Lua code behind every operation of `redisStore` (atomic: Redis runs a script alone): definitions,
 * then `main(keys, args)`. As the function library {@link budgetLibrary} (Redis 7+, `FCALL`) the definitions
 * are made once when the library loads; {@link budgetScript} (`EVALSHA`) makes them again on every call.
 *
 * keys: 1 counter index (sorted set: counter key → expiry, +inf when never), 2 lease queue (sorted set:
 * reservation key → lease expiry, open leases only), 3 the lease records of the layout before 0.2 (a
 * hash, only swept), 4 the operation's reservation key (`{prefix}:r:<id>`, or the bare `{prefix}:r:`
 * when there is no id), 5 when housekeeping is next due (no entry of the lease queue or the index is due
 * earlier; a commit returns lapsed leases and drops ended counters only then), then the counters' own
 * keys, then their window keys in order.
 * A reservation key holds `r` + the lease (big-endian doubles: expiry, amount…, then its counter keys
 * joined by newlines) while it is open, then `c` (closed by a commit) or `l` (lapsed) + until when it is
 * remembered (budget clock), with a Redis expiry of the retention: a redelivered operation is applied
 * once, and Redis itself forgets the id (no sweep, no sorted-set entry per closed id).
 * A counter is 19 big-endian doubles: 9 used values, 9 reserved values (tallyFields order), expiry (-1:
 * never); one written as msgpack by an older version is still read (first byte 0xdc).
 * args: 1 op, 2 the call's own numbers as big-endian doubles (now, then per operation, see
 * `budget-arguments.ts`: one string instead of dozens of arguments to parse), 3 the request's shape,
 * likewise (epsilon, retention in ms, then per counter its expiry, caps, window size and watch levels):
 * it repeats from call to call, so each is parsed once and kept, 4 the reservation key prefix, 5 the
 * retention in whole ms and 6 a lease's expiry, as text (PX and ZADD take them as the client formatted
 * them), 7 a reserve's lease as it is stored (made by the caller), or a commit's closed mark, then the
 * reservation keys a commit draws from. Lua numbers given to redis.call travel as exact doubles (%.17g).
 * A counter a grant raised has 8 more doubles: what grants added to its caps (tallyFields order, but
 * for the last field, unpricedRequests, which is no limit's unit); the cap check adds them (summed over
 * the window), and they go with the counter when its period ends.
 * A grant's key (`{prefix}:g:<id>`) holds `g` + until when it is remembered, like a closed reservation.
 * The reply is three bulk strings: the header (the operation's numbers as big-endian doubles; `list`:
 * the counters' keys joined by newlines), then each counter's 19 doubles as stored (or its totals over
 * its window, or zeros), so numbers stay exact and stored counters are not re-encoded, then per counter
 * with grants its index and granted amounts (10 doubles; empty when no counter has any); or, when no
 * state is wanted, the header alone as one bulk string.
 * As a function, the library keeps between calls what it decoded (counters, by their stored value; the
 * due key's number, by its value) and parsed (shapes): every call still reads every key it uses, and a
 * kept value is used only while the key holds the very string it was decoded from (bounded: 4096
 * counters, 256 shapes).
 */
const budgetCode = `${budgetStorageCode}
-- The shapes of requests (as a function the library's state outlives a call), by their numbers' string
-- (args[3]): the store's epsilon and retention, then how many counters, and per counter its expiry, its
-- caps (count, then field and cap each), how many window keys it has, and its watch levels (count, then
-- field and level each; -1: its state is wanted anyway). A budget sends the same few shapes again and
-- again (they change with a period), so each is parsed once. Keys: own keys from 6, then window keys.
local SHAPES, nshapes = {}, 0
local function shape(blob)
  local s = SHAPES[blob]
  if s then return s end
  local V = { parse(doubles(#blob / 8), blob) }
  local n = V[3]
  s = { V = V, n = n, exp = {}, ncap = {}, cap = {}, nwin = {}, win = {}, nwatch = {}, watch = {} }
  local p, k = 4, 6 + n
  for i = 1, n do
    s.exp[i] = V[p]
    s.ncap[i] = V[p + 1]
    s.cap[i] = p + 2
    p = p + 2 + 2 * V[p + 1]
    s.nwin[i] = V[p]
    s.win[i] = k
    k = k + V[p]
    local nwatch = V[p + 1]
    s.nwatch[i] = nwatch
    s.watch[i] = p + 2
    p = p + 2 + 2 * max(0, nwatch)
  end
  if nshapes >= 256 then SHAPES, nshapes = {}, 0 end
  SHAPES[blob] = s
  nshapes = nshapes + 1
  return s
end

-- When housekeeping is due, from the due key's value (as a function the library's state outlives a
-- call: the last value read and its number are kept, as it seldom changes and tonumber is not cheap).
local dueRaw, dueAt
local function dueOf(raw)
  if raw ~= dueRaw then
    -- unknown (none saved yet, or by the layout before): due now
    dueRaw, dueAt = raw, tonumber(raw) or -huge
  end
  return dueAt
end

-- Reads the reservation key, when housekeeping is due and every counter in one MGET; returns what the
-- reservation key holds.
local function charges()
  local raws = call('MGET', unpack(K, 4))
  -- (dueOf(raws[2]) without the call when the value is the one it parsed last)
  due = raws[2] == dueRaw and dueAt or dueOf(raws[2])
  for i = 6, #K do
    local key = K[i]
    if cache[key] == nil then cache[key] = decode(key, raws[i - 3]) end
  end
  return raws[1]
end

-- Field f of counter i summed over its window.
local function total(i, f)
  local c = load(K[5 + i])
  local sum = c and c[f] or 0
  for w = chWin[i], chWin[i] + chNwin[i] - 1 do
    local x = load(K[w])
    if x then sum = sum + x[f] end
  end
  return sum
end

-- What grants added to field f of counter i's caps, over its window (0 when no counter has grants).
local function granted(i, f)
  if not GR then return 0 end
  local c = load(K[5 + i])
  local sum = c and c[G + f] or 0
  for w = chWin[i], chWin[i] + chNwin[i] - 1 do
    local x = load(K[w])
    if x and x[G + f] then sum = sum + x[G + f] end
  end
  return sum
end

-- The first cap the amount (N[o + 1..o + F]) would pass: { index, field, used, reserved, granted }.
local function check(o)
  for i = 1, nch do
    local p = chCap[i]
    local windowless = chNwin[i] == 0
    -- charges() read every counter of the request
    local c = windowless and cache[K[5 + i]]
    for j = p, p + 2 * chNcap[i] - 1, 2 do
      local field = SV[j]
      local requested = N[o + field]
      if requested > 0 then
        local used, reserved, g
        if not windowless then
          used, reserved, g = total(i, field), total(i, F + field), granted(i, field)
        elseif c then
          used, reserved, g = c[field], c[F + field], c[G + field] or 0
        else
          used, reserved, g = 0, 0, 0
        end
        if used + reserved + requested > SV[j + 1] + g + EPS then
          return { i - 1, field - 1, used, reserved, g }
        end
      end
    end
  end
  return nil
end

-- Whether the caller wants the counters' states: one is wanted anyway, or one's used reached a watch level.
local function wanted()
  for i = 1, nch do
    local nwatch = chNwatch[i]
    if nwatch < 0 then return true end
    if nwatch > 0 then
      if chNwin[i] == 0 then
        -- no window: the counter's own value (charges() read every counter of the request); one
        -- level (the common case) without a loop
        local c = cache[K[5 + i]]
        local j = chWatch[i]
        if nwatch == 1 then
          if (c and c[SV[j]] or 0) >= SV[j + 1] then return true end
        else
          for j = j, j + 2 * nwatch - 1, 2 do
            if (c and c[SV[j]] or 0) >= SV[j + 1] then return true end
          end
        end
      else
        for j = chWatch[i], chWatch[i] + 2 * nwatch - 1, 2 do
          if total(i, SV[j]) >= SV[j + 1] then return true end
        end
      end
    end
  end
  return false
end

-- The reply's third part: per counter with grants, its index and what grants added (F doubles, over
-- its window).
local function grantsPart(n, amountOf)
  local parts = {}
  for i = 1, n do
    local t, any = { i - 1 }, false
    for f = 1, F do
      t[1 + f] = amountOf(i, f)
      if t[1 + f] > 0 then any = true end
    end
    if any then parts[#parts + 1] = pack(RF, unpack(t, 1, F + 1)) end
  end
  return concat(parts)
end

-- The reply: the header (its numbers as doubles, or packed already), then per counter of the request
-- its 19 doubles as stored (no window), its totals over the window, or zeros, then the grants part; the
-- header alone, as one bulk string, when counters is false or no state is wanted (the common case: a
-- table costs Redis more to convert). Call after flush().
local function reply(header, counters)
  if type(header) ~= 'string' then
    if type(header) == 'number' then header = { header } end
    header = pack(doubles(#header), unpack(header))
  end
  if not (counters and wanted()) then return header end
  local parts = {}
  local grants = ''
  do
    for i = 1, nch do
      local key = K[5 + i]
      if chNwin[i] == 0 then
        local c = load(key)
        local raw = c and stored(key, c) or ZERO
        if #raw > 8 * (2 * F + 1) then raw = sub(raw, 1, 8 * (2 * F + 1)) end
        parts[i] = raw
      else
        local t = {}
        for f = 1, 2 * F do t[f] = total(i, f) end
        t[2 * F + 1] = -1
        parts[i] = pack(CF, unpack(t, 1, 2 * F + 1))
      end
    end
    if GR then grants = grantsPart(nch, granted) end
  end
  return { header, concat(parts), grants }
end

-- Headers most calls reply, packed by the first call (a library being loaded has no struct).
local HELD, SETTLED, CLOSED
-- The shape the last call bound (see main).
local SH

-- A reservation: holds the amount on every counter of the request (unless a cap would be passed and
-- it is enforced) as a lease that lapses at its expiry.
local function reserve(numbers, args)
  -- N: now, lease expiry, amount (F), enforce
  local leaseExpires, enforce = N[2], N[3 + F] == 1
  local held = charges()
  if held and kind(held) then
    -- delivered again: the reservation is held (or was closed) already
    return reply({ 1, -1, 0, 0, 0, 1 }, true)
  end
  local exceeded = check(2)
  if exceeded then
    sweep()
    exceeded = check(2)
    if exceeded and enforce then
      flush()
      return reply({ 0, exceeded[1], exceeded[2], exceeded[3], exceeded[4], 0, exceeded[5] }, false)
    end
  end
  for i = 1, nch do
    -- the amount onto its reserved values
    local key, c, a = K[5 + i]
${ownEntry('    ')}
${addAmount(9, '    ')}
  end
  -- the lease as the caller made it (args[7]): its expiry and amount as they came (bytes 9 to 88 of
  -- the numbers), then its counter keys (the operation's own, K[6..5 + nch]) joined by newlines
  call('SET', ID, args[7])
  call('ZADD', LEASES, args[6], ID)
  queued(leaseExpires)
  local header = HELD
  if exceeded then
    header = { 1, exceeded[1], exceeded[2], exceeded[3], exceeded[4], 0, exceeded[5] }
  end
  flush()
  -- (saveDue() and reply(), skipped when there is nothing to save and no state is wanted)
  if dueChanged then saveDue() end
  if header == HELD and not wanted() then return HELD end
  return reply(header, true)
end

-- A commit (settle, release or record): closes the reservation (given back), adds the usage, draws
-- it from the reservations it names; housekeeping when due.
local function commit(numbers, args)
  -- N: now, has usage, usage (F), then the draws: how many groups, and their sizes
  local hasUsage, p = N[2] == 1, 3 + F
  local held = charges()
  local found = false
  if ID ~= RP then
    local k = kind(held)
    if k == 'c' then return reply({ 0, 1 }, true) end
    if k == 'r' then
      found = closeLease(ID, held, args[7]) == 'open'
    else
      mark(ID, args[7])
    end
  end
  if hasUsage then
    for i = 1, nch do
      -- the usage onto its used values
      local key, c, a = K[5 + i]
${ownEntry('      ')}
${addAmount(0, '      ')}
    end
    -- drawFrom: N[p] groups, their sizes after it; their reservation keys from args[8], in order.
    -- Each group gives back the usage once, drawn from its reservations in order.
    local a = 8
    for g = 1, N[p] do
      local left = {}
      for f = 1, F do left[f] = max(0, N[2 + f]) end
      for _ = 1, N[p + g] do
        local hold = args[a]
        a = a + 1
        local raw = call('GET', hold)
        if kind(raw) == 'r' then
          local record, leaseKeys = parseLease(raw)
          local delta = {}
          for f = 1, F do
            local d = min(record[1 + f], left[f])
            delta[1 + f] = d
            left[f] = left[f] - d
            record[1 + f] = record[1 + f] - d
          end
          giveBack(leaseKeys, 1, #leaseKeys, delta)
          call('SET', hold, lease(record[1], { unpack(record, 2, F + 1) }, leaseKeys))
        end
      end
    end
  end
  if due > now then
    flush()
  else
    -- Housekeeping on writes (reads delete nothing), only when something is due: return a few lapsed
    -- leases, drop a few counters whose period ended, then note when the next entry is due.
    sweep(4)
    flush()
    local ended = call('ZRANGEBYSCORE', INDEX, '-inf', now, 'LIMIT', 0, 16)
    for _, key in ipairs(ended) do
      if not cache[key] then
        call('DEL', key)
        call('ZREM', INDEX, key)
      end
    end
    due, dueChanged = 1e308, true
    for _, queue in ipairs({ LEASES, INDEX }) do
      local first = call('ZRANGE', queue, 0, 0, 'WITHSCORES')
      local t = tonumber(first[2])
      if t and t < due then due = t end
    end
  end
  if dueChanged then saveDue() end
  local header = found and SETTLED or CLOSED
  if not wanted() then return header end
  return reply(header, true)
end

-- A renewal: moves an open lease's expiry.
local function renew(numbers, args)
  local leaseExpires = N[2]
  local raw = call('GET', ID)
  if kind(raw) ~= 'r' then return reply(0, false) end
  if parse('>d', raw, 2) <= now then
    closeLease(ID, raw, 'l')
    flush()
    return reply(0, false)
  end
  call('SETRANGE', ID, 1, pack('>d', leaseExpires))
  call('ZADD', LEASES, args[6], ID)
  due = dueOf(call('GET', DUE))
  queued(leaseExpires)
  saveDue()
  return reply(1, false)
end

-- A grant: raises one counter's caps, once per grant id.
local function grant(numbers, args)
  -- N: now, amount (F); one counter. ID is the grant's key ('g' + until when it is remembered, with a
  -- Redis expiry of the retention, like a closed reservation).
  local held = charges()
  if held and markedUntil(held) > now then return reply({ 1 }, true) end
  local c = entry(K[6], chExp[1])
  for f = 1, F do c[G + f] = (c[G + f] or 0) + N[1 + f] end
  GR = true
  if RETAIN > 0 then mark(ID, 'g') end
  flush()
  saveDue()
  return reply({ 0 }, true)
end

-- A read: the counters' states.
local function read(numbers, args)
  charges()
  sweep()
  flush()
  return reply({}, true)
end

-- A list: every live counter of the index, by key.
local function list(numbers, args)
  sweep()
  flush()
  local indexed = call('ZRANGE', INDEX, 0, -1)
  preload(indexed, 1, #indexed)
  local live, parts, own = {}, {}, {}
  for _, key in ipairs(indexed) do
    local c = load(key)
    if c then
      live[#live + 1] = key
      parts[#parts + 1] = sub(stored(key, c), 1, 8 * (2 * F + 1))
      own[#live] = c
    else
      call('ZREM', INDEX, key)
    end
  end
  local grants = ''
  if GR then grants = grantsPart(#live, function(i, f) return own[i][G + f] or 0 end) end
  return { concat(live, '\\n'), concat(parts), grants }
end

local OPERATIONS = { reserve = reserve, commit = commit, renew = renew, grant = grant, read = read, list = list }

local function main(keys, args)
  local op, numbers = args[1], args[2]
  K = keys
  if not HELD then
    call, pack, parse, unpack, sub, byte, find, format, rep, gmatch, concat, max, min, ceil, huge,
      tonumber, type, pairs, ipairs = globals()
    HELD = pack('>ddddddd', 1, -1, 0, 0, 0, 0, 0)
    SETTLED, CLOSED = pack('>dd', 1, 0), pack('>dd', 0, 0)
  end
  -- (the format and the shape without a call when they are known already)
  N = { parse(FMT[#numbers / 8] or doubles(#numbers / 8), numbers) }
  local sh = SHAPES[args[3]] or shape(args[3])
  if sh ~= SH then
    -- (the shape's tables stay bound while calls repeat it)
    SH, SV, nch = sh, sh.V, sh.n
    chExp, chNcap, chCap, chNwin, chWin, chNwatch, chWatch =
      sh.exp, sh.ncap, sh.cap, sh.nwin, sh.win, sh.nwatch, sh.watch
    EPS, RETAIN = SV[1], SV[2]
  end
  now, RP, RETAIN_PX = N[1], args[4], args[5]
  INDEX, LEASES, RECORDS, ID, DUE = keys[1], keys[2], keys[3], keys[4], keys[5]
  due, dueChanged, GR = -huge, false, false
  -- (a call that raised left its changed counters listed, never written: the memo dropped them)
  cache, ndirty, whole = {}, 0, nil
  -- read and list return lapsed leases but delete no counter: ended periods stay until the next write.
  READONLY = op == 'read' or op == 'list'

  local run = OPERATIONS[op]
  if run then return run(numbers, args) end
  return redis.error_reply('unknown operation ' .. tostring(op))
end
`

/** The Lua script of every `redisStore` operation, for servers without functions (`EVALSHA`). */
export const budgetScript = `${budgetCode}
return main(KEYS, ARGV)
`

/** SHA1 of {@link budgetScript}, as `EVALSHA` wants it. */
export const budgetScriptSha = createHash('sha1').update(budgetScript).digest('hex')

const codeSha = createHash('sha1').update(budgetCode).digest('hex').slice(0, 16)

/**
 * The name of the function {@link budgetLibrary} registers: versioned by the code, so processes running
 * two versions of the store on one server (a rolling deploy) each call their own.
 */
export const budgetFunction = `tokenwarden_budget_${codeSha}`

/** The code as a Redis function library (`FUNCTION LOAD`), registering {@link budgetFunction}. */
export const budgetLibrary = `#!lua name=tokenwarden_${codeSha}
${budgetCode}
redis.register_function('${budgetFunction}', main)
`
