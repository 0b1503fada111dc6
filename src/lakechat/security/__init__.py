"""Who is asking (principals, API keys) and how often they may ask (rate limits)."""
