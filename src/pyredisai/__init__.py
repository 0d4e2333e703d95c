"""pyredisai: a Redis-protocol model-serving server (RedisAI's AI.* commands) in Python."""

__version__ = "0.1.0"
REDIS_VERSION = "7.0.15"  # the Redis version whose behaviour the core commands follow
