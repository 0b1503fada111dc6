"""lakechat's own state: keys, sessions, messages, request log, audit log, jobs."""
