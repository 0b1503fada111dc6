"""Local stand-ins for external services, spoken to by their official SDKs."""
