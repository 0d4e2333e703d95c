"""RESP only: request reader and reply encoders. Knows nothing of sockets or the keyspace."""
