-- The Lua side of the scripting engine, run once when the engine starts.
-- `R` holds the Rust functions (raw command call, logging, ...); this file
-- builds the `redis` table around them, the error handler that turns every
-- error into Redis's {err=, source=, line=} table, and the read-only proxies
-- that protect the globals and the library tables.
local R = ...
local getinfo = debug.getinfo
local G = _G
local rawget, rawset, error, type, setmetatable, getmetatable =
    rawget, rawset, error, type, setmetatable, getmetatable

-- Frames of C functions and of this file are not the script's: an error is
-- located at the first frame of user code below them.
local function internal(i)
  return i.what == 'C' or i.source == '=cinnabar'
end

local function err_handler(err)
  local level = 2
  local i = getinfo(level, 'nSl')
  while i and internal(i) do
    level = level + 1
    i = getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

local xpcall = xpcall
local function run(f, ...)
  if select('#', ...) > 0 then
    local args = {...}
    return xpcall(function() return f(unpack(args)) end, err_handler)
  end
  return xpcall(f, err_handler)
end

local redis = {}
-- R.call & co are C functions raising the error half of the (value,
-- error) pair their R.*_raw twin returns; pcall returns it instead.
redis.call = R.call
redis.pcall = R.pcall
redis.error_reply = R.error_reply
redis.status_reply = R.status_reply
redis.sha1hex = R.sha1hex
redis.log = R.log
redis.setresp = R.setresp
redis.set_repl = R.set_repl
redis.acl_check_cmd = R.acl_check_cmd
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.LOG_DEBUG = 0
redis.LOG_VERBOSE = 1
redis.LOG_NOTICE = 2
redis.LOG_WARNING = 3
redis.REPL_NONE = 0
redis.REPL_AOF = 1
redis.REPL_SLAVE = 2
redis.REPL_REPLICA = 2
redis.REPL_ALL = 3
redis.REDIS_VERSION = R.version
redis.REDIS_VERSION_NUM = R.version_num

math.random = R.random
math.randomseed = R.randomseed

-- loadstring refuses precompiled chunks, as Redis's patched Lua does.
local loadstring = loadstring
G.loadstring = function(s, name)
  if type(s) == 'string' and s:sub(1, 1) == '\27' then
    return nil, 'attempt to load a binary chunk'
  end
  return loadstring(s, name)
end

-- Read-only proxies: an empty table whose reads go to the real one and
-- whose writes fail. `protected` remembers them for setmetatable & co.
local protected = setmetatable({}, {__mode = 'k'})
local function readonly_error()
  error('Attempt to modify a readonly table', 2)
end
local function proxy(real, index)
  local p = {}
  local mt = {__index = index or real, __newindex = readonly_error}
  local mt_proxy = setmetatable({}, {__index = mt, __newindex = readonly_error})
  protected[mt_proxy] = true
  mt.__metatable = mt_proxy
  protected[p] = true
  setmetatable(p, mt)
  return p
end

local real_setmetatable = setmetatable
G.setmetatable = function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return real_setmetatable(t, mt)
end
local real_rawset = rawset
G.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return real_rawset(t, k, v)
end

for _, name in ipairs({'string', 'math', 'table', 'cjson', 'bit', 'cmsgpack', 'struct'}) do
  if G[name] then G[name] = proxy(G[name]) end
end
G.redis = proxy(redis)

G.print = nil
G.dofile = nil
G.loadfile = nil
G.debug = nil
G.module = nil
G.require = nil
G.package = nil

local function missing(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end

-- While FUNCTION LOAD runs the library code, globals are only a small
-- `redis` table (register_function, log, versions), as in Redis.
local load_redis = {
  register_function = R.register_function,
  log = R.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = R.version, REDIS_VERSION_NUM = R.version_num,
}
local load_globals = {redis = proxy(load_redis, function(_, k)
  local v = rawget(load_redis, k)
  if v == nil then missing(k) end
  return v
end)}
local lookup = G
local function set_loading(on)
  lookup = on and load_globals or G
end

-- The environment of user code: reads of missing globals fail, writes fail.
local env = proxy(G, function(_, k)
  local v = rawget(lookup, k)
  if v == nil then missing(k) end
  return v
end)
G._G = env

return env, run, set_loading
