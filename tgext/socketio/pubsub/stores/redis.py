"""History in Redis: a stream per channel, and its epoch and last offset in a hash.

One Lua script gives a publication its offset and appends it, atomically, so
concurrent publishers on any number of processes get distinct, ordered offsets.
Sent again after Redis lost its answer (see :mod:`..backends.unanswered`),
it returns the position it gave, if it did.
The stream is trimmed to the channel's size and expires with its age; the hash
lives longer (a day past the age), so offsets keep growing while the channel is
in use. A Redis that lost its data starts the channel over with a new epoch.
"""
import hashlib
import json
import time
import uuid

from redis.exceptions import NoScriptError

from ..backends import PublishError
from ..backends.redis_replies import run_once
from ..backends.unanswered import PATIENCE, NotSent, Unanswered, until_answered
from . import position

_APPEND = """
if ARGV[7] == 'retry' then  -- sent again after a lost answer: recorded already?
  for _, entry in ipairs(redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 100)) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'u' and fields[i + 1] == ARGV[6] then
        return {redis.call('HGET', KEYS[2], 'epoch'), tonumber(string.match(entry[1], '^%d+'))}
      end
    end
  end
end
local offset = redis.call('HINCRBY', KEYS[2], 'offset', 1)
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local size = tonumber(ARGV[3])
if size > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', size, offset .. '-1', 'd', ARGV[2], 't', ARGV[5], 'u', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4] + 86400000)
return {epoch, offset}
"""
_APPEND_SHA = hashlib.sha1(_APPEND.encode()).hexdigest()  # EVALSHA: not the script each time


class RedisHistory:
    """Each channel's recent publications in a Redis stream."""

    keeps_history = True
    encodes_json = True

    unanswered_patience = PATIENCE

    def __init__(self, url, bus_channel='tgext.socketio'):
        import redis
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.prefix = bus_channel + ':history:'

    def _keys(self, channel):
        return [self.prefix + 'stream:' + channel, self.prefix + 'meta:' + channel]

    def append(self, channel, data, size, seconds):
        now = time.time()
        arguments = [uuid.uuid4().hex[:12], json.dumps(data, allow_nan=False), size,
                     max(int(seconds * 1000), 1), repr(now), uuid.uuid4().hex]
        def attempt(retry):
            keys_and_arguments = [2, *self._keys(channel), *arguments,
                                  'retry' if retry else 'first']
            try:
                return run_once(self.client.connection_pool, 'EVALSHA', _APPEND_SHA,
                                *keys_and_arguments)
            except NoScriptError:  # not run: a Redis that has not seen it (yet, or since a restart)
                return run_once(self.client.connection_pool, 'EVAL', _APPEND,
                                *keys_and_arguments)

        try:
            epoch, offset = until_answered(attempt, self.unanswered_patience)
        except (NotSent, Unanswered) as exc:
            raise PublishError('cannot publish to Redis (recording the publication): %s'
                               % exc) from exc
        return position(epoch.decode(), offset)

    def top(self, channel):
        epoch, offset = self.client.hmget(self._keys(channel)[1], 'epoch', 'offset')
        return position(epoch.decode() if epoch else None, int(offset or 0))

    def since(self, channel, after=None, after_time=None, size=0, seconds=0.0, limit=None):
        stream_key, meta_key = self._keys(channel)
        epoch, top = self.client.hmget(meta_key, 'epoch', 'offset')
        epoch, top = (epoch.decode() if epoch else None), int(top or 0)
        entries = [(int(entry_id.split(b'-')[0]), float(fields[b't']), fields[b'd'])
                   for entry_id, fields in self.client.xrange(stream_key)]
        entries = [entry for entry in entries if time.time() - entry[1] <= seconds]
        if after is not None:
            if epoch is None:  # nothing published since Redis started, or all expired
                return [], not after.get('offset')
            if after.get('epoch') is None and not after.get('offset'):
                after = position(epoch, 0)  # subscribed before the channel's first publication
            if after.get('epoch') != epoch:
                return [], False
            kept = [entry for entry in entries if entry[0] > after['offset']]
            recovered = top <= after['offset'] or bool(kept) and kept[0][0] == after['offset'] + 1
        else:
            kept = [entry for entry in entries if entry[1] > after_time]
            if entries:  # all kept since after_time, or nothing was ever dropped
                recovered = entries[0][1] <= after_time or entries[0][0] == 1
            else:  # nothing kept: never used, or expired, so older than its age
                recovered = top == 0 or time.time() - after_time <= seconds
        kept = kept[:limit] if limit else kept
        return [(json.loads(data), position(epoch, offset)) for offset, _, data in kept], recovered
