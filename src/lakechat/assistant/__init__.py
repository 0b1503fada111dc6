"""The assistant: a message and session memory -> a typed plan -> an executed, explained answer."""
